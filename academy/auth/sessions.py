"""Sessions that really end: who a session cookie names, checked on every request."""

from __future__ import annotations

from types import SimpleNamespace

from flask import has_request_context, request
from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import defer, joinedload, lazyload

from academy.auth.models import User
from academy.auth.two_factor import is_enrolled, is_required
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
        names = _VIEWS[endpoint].c.keys()
        values = dict(zip(names, row[1 + len(_STAMPS) :], strict=True))
        request.environ[_INPUTS] = SimpleNamespace(**values)
    for name, value in user.stamps.items():
        if _SEEN.get(name):
            _SEEN[name](value)
    if _lacks_required_second_factor(user):
        return None  # e.g. a session from before two-factor sign-in became required for the role
    return user


# Values read with the signed-in user, in the same statement (``add_session_stamp``).
_STAMPS: dict[str, object] = {}
_SEEN: dict[str, object] = {}
_STATEMENTS: dict[str | None, object] = {}
# A view's own inputs, read with the signed-in user when a request is for it (``read_with_user``).
_VIEWS: dict[str, object] = {}
_INPUTS = "academy.view_inputs"  # where a request keeps them: its own WSGI environ


def read_with_user(endpoint: str, statement) -> None:
    """Read ``statement`` (a SELECT of at most one row, its bind parameters named as the view's
    URL arguments, plus ``user_id``) in the same statement as the signed-in user whenever a
    request is for ``endpoint``; the view finds the row with ``view_inputs()``. A kept page's
    whole request is then one statement."""
    _VIEWS[endpoint] = statement.subquery(f"view_{endpoint.replace('.', '_')}")
    _STATEMENTS.clear()


def view_inputs(statement, params: dict):
    """The row ``read_with_user`` registered for this request's view, read with the signed-in
    user; else (no one signed in yet, another endpoint) ``statement`` run on its own. Its columns
    are None when nothing matched."""
    found = request.environ.get(_INPUTS)
    if found is not None:
        return found
    row = db.session.execute(statement, params).first()
    return row if row is not None else _nothing(statement)


def _nothing(statement) -> SimpleNamespace:
    return SimpleNamespace(**dict.fromkeys(statement.selected_columns.keys()))


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
            statement = statement.add_columns(*view.c).outerjoin(view, true())
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
