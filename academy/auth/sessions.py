"""Sessions that really end: who a session cookie names, checked on every request."""

from __future__ import annotations

from types import SimpleNamespace
from typing import NamedTuple

from flask import has_request_context, request
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import aliased, defer, joinedload, lazyload

from academy.auth.models import User
from academy.auth.two_factor import is_enrolled, is_required
from academy.database import json_rows, rows_from_json
from academy.extensions import db, login_manager


def init_sessions(app) -> None:
    """Let Flask-Login find the signed-in user through ``load_user``."""
    login_manager.user_loader(load_user)


def load_user(session_id: str):
    """The session names a user and the session version it was issued under; a version
    bumped by logout or a password change makes every older cookie worthless."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    endpoint, params = _view_of_request()
    params["user_id"] = int(user_id)
    row = db.session.execute(_one_user(endpoint), params).unique().first()
    user = row[0] if row is not None else None
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    user.stamps = dict(zip(_STAMPS, row[1 : 1 + len(_STAMPS)], strict=True))
    if endpoint is not None:
        request.environ[_INPUTS] = (params, _VIEWS[endpoint].read(row[1 + len(_STAMPS) :]))
    for name, value in user.stamps.items():
        if _SEEN.get(name):
            _SEEN[name](value)
    if _lacks_required_second_factor(user):
        return None  # e.g. a session from before two-factor sign-in became required for the role
    return user


class _View(NamedTuple):
    statement: object  # as the view gives it to view_inputs / view_rows
    subquery: object  # what is joined to the user's statement
    columns: tuple  # what the user's statement reads of it: columns, or entities aliased to it
    names: tuple
    many: bool

    def read(self, values: tuple):
        """The view's inputs from the user's row: one row (a namespace) or the list of rows."""
        if self.many:
            return rows_from_json(values[0], self.statement.selected_columns)
        return SimpleNamespace(**dict(zip(self.names, values, strict=True)))


# Values read with the signed-in user, in the same statement (``add_session_stamp``).
_STAMPS: dict[str, object] = {}
_SEEN: dict[str, object] = {}
_STATEMENTS: dict[str | None, object] = {}
# A view's own inputs, read with the signed-in user when a request is for it (``read_with_user``).
_VIEWS: dict[str, _View] = {}
_INPUTS = "academy.view_inputs"  # where a request keeps them, with their parameters: its environ


def read_with_user(endpoint: str, statement, many: bool = False) -> None:
    """Read ``statement`` in the same statement as the signed-in user whenever a request is for
    ``endpoint``; the view finds its row with ``view_inputs()`` (a SELECT of at most one row, of
    columns with names of their own or of ORM entities, which come as objects of the session), or
    its rows with ``view_rows()`` (``many``: any number of rows of columns, carried as one JSON
    value). Its bind parameters are named as the view's URL arguments, plus ``user_id``. A kept
    page's whole request is then one statement."""
    name = f"view_{endpoint.replace('.', '_')}"
    if many:
        rows = statement.subquery()
        subquery = select(json_rows(*rows.c).label("rows")).select_from(rows).subquery(name)
        columns, names = tuple(subquery.c), ("rows",)
    else:
        subquery = statement.subquery(name)
        described = statement.column_descriptions
        columns = tuple(
            aliased(d["expr"], subquery) if _is_entity(d) else subquery.c[d["name"]]
            for d in described
        )
        names = tuple(d["name"] for d in described)
    _VIEWS[endpoint] = _View(statement, subquery, columns, names, many)
    _STATEMENTS.clear()


def _is_entity(description: dict) -> bool:
    return isinstance(description["expr"], type)  # a mapped class, not one of its columns


def view_inputs(statement, params: dict):
    """The row ``read_with_user`` registered ``statement`` for, read with the signed-in user, when
    this request is for its view with these ``params``; else ``statement`` run on its own. Its
    columns are None when nothing matched."""
    found = _read_with_user(statement, params)
    if found is not None:
        return found
    row = db.session.execute(statement, params).first()
    return row if row is not None else _nothing(statement)


def view_rows(statement, params: dict) -> list:
    """The rows of ``statement`` (registered with ``many``), read with the signed-in user when this
    request is for its view with these ``params``; else ``statement`` run on its own."""
    found = _read_with_user(statement, params)
    if found is not None:
        return found
    return db.session.execute(statement, params).all()


def _read_with_user(statement, params: dict):
    """What was read with the user for ``statement`` and ``params`` in this request, if it was."""
    if not has_request_context() or request.endpoint not in _VIEWS:
        return None
    kept = request.environ.get(_INPUTS)
    if kept is None or _VIEWS[request.endpoint].statement is not statement or kept[0] != params:
        return None
    return kept[1]


def _nothing(statement) -> SimpleNamespace:
    return SimpleNamespace(**dict.fromkeys(d["name"] for d in statement.column_descriptions))


def _view_of_request() -> tuple[str | None, dict]:
    """The endpoint whose inputs come with the user, and its URL arguments (else None, {})."""
    if not has_request_context() or request.endpoint not in _VIEWS:
        return None, {}
    return request.endpoint, dict(request.view_args or {})


def add_session_stamp(name: str, expression, seen=None) -> None:
    """Read ``expression`` (a scalar subquery, correlated to ``users`` or not) with every
    signed-in user, as ``user.stamps[name]``, and hand it to ``seen(value)`` when given: what a
    feature's kept pages depend on (the bell's notifications, the catalogue's stamp) costs no
    statement of its own."""
    _STAMPS[name] = expression
    _SEEN[name] = seen
    _STATEMENTS.clear()


def _one_user(endpoint: str | None = None):
    """The user, unit, roles and stamps in one statement (the roles' usual selectin load would be
    a second), with the view's inputs when ``endpoint`` registered some; built once per endpoint."""
    if endpoint not in _STATEMENTS:
        statement = select(User, *(e.label(f"stamp_{n}") for n, e in _STAMPS.items()))
        if endpoint is not None:
            view = _VIEWS[endpoint]
            statement = statement.add_columns(*view.columns).outerjoin(view.subquery, true())
        _STATEMENTS[endpoint] = statement.where(User.id == bindparam("user_id")).options(
            joinedload(User.role_rows),
            # not needed by most pages: read when a page asks (HR's scope, the account form)
            lazyload(User.unit),
            defer(User.password_hash),
            defer(User.search_name),
        )
    return _STATEMENTS[endpoint]


def _lacks_required_second_factor(user) -> bool:
    return is_required(user) and not is_enrolled(user)
