"""In-person sessions: who is invited, who may see and manage one, creating, changing and
cancelling it, and each invitee's answer (registered or declined) within the capacity.

Public contract used by other parts of training: ``invited_user_ids(session)`` (a SELECT of the ids
of the active people invited directly or through a unit subtree), ``is_invited(session, user)``,
``can_view_session`` and ``can_manage_session``. Services flush; the view commits once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import String, cast, func, literal, or_, select
from sqlalchemy.orm import aliased

from academy.auth.access import can_see_person, is_admin
from academy.auth.models import Unit, User
from academy.database import UTCDateTime, db, utcnow
from academy.errors import BadRequest, NotFound
from academy.learning.services import INSERTS
from academy.training.models import SessionInvite, SessionResponse, TrainingSession

ORGANISER_ROLES = ("instructor", "hr", "admin")
PEOPLE_MAX = 500  # people named one by one on one session form


class AnswerRefused(BadRequest):
    """An answer that cannot be taken (full, started, cancelled); ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SessionData:
    """What the session form gives (times in UTC)."""

    title: str
    topic: str
    course_id: int | None
    place: str
    starts_at: datetime
    ends_at: datetime
    hours: float
    capacity: int | None
    requires_sign_out: bool
    unit_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)


# ---- who is invited ----------------------------------------------------------------------------


def _session_id(session) -> int:
    return session if isinstance(session, int) else session.id


def invited_user_ids(session):
    """A SELECT of the ids of the active people invited to ``session`` (a session or its id):
    named one by one, or in an invited unit or a unit below it."""
    sid = _session_id(session)
    direct = select(SessionInvite.user_id).where(
        SessionInvite.session_id == sid, SessionInvite.user_id.is_not(None)
    )
    member_unit, invited_unit = aliased(Unit), aliased(Unit)
    by_unit = (
        select(User.id)
        .join(member_unit, member_unit.id == User.unit_id)
        .join(invited_unit, member_unit.path.startswith(invited_unit.path))
        .join(SessionInvite, SessionInvite.unit_id == invited_unit.id)
        .where(SessionInvite.session_id == sid)
    )
    return select(User.id).where(
        User.is_active.is_(True), or_(User.id.in_(direct), User.id.in_(by_unit))
    )


def invited_session_ids(user):
    """A SELECT of the ids of the sessions ``user`` is invited to (directly or by unit)."""
    conditions = [SessionInvite.user_id == user.id]
    if user.unit is not None:
        above = literal(user.unit.path).startswith(Unit.path)  # the person's unit or one above
        conditions.append(SessionInvite.unit_id.in_(select(Unit.id).where(above)))
    return select(SessionInvite.session_id).where(or_(*conditions))


def is_invited(session, user) -> bool:
    """Whether ``user`` (active) is invited to ``session``."""
    if user is None or not getattr(user, "is_active", False) or not user.is_authenticated:
        return False
    found = db.session.scalar(
        select(SessionInvite.id)
        .where(SessionInvite.session_id == session.id)
        .where(SessionInvite.session_id.in_(invited_session_ids(user)))
        .limit(1)
    )
    return found is not None


# ---- who sees and manages ----------------------------------------------------------------------


def can_manage_session(user, session) -> bool:
    """Change, cancel and run a session: its organiser, admins, and HR whose unit contains the
    organiser's unit (so a city's HR may take over a ward's session, never the other way)."""
    if not user or not user.is_authenticated:
        return False
    if is_admin(user) or (session.organiser_id is not None and session.organiser_id == user.id):
        return True
    organiser = session.organiser
    return (
        user.has_role("hr")
        and user.unit is not None
        and organiser is not None
        and user.unit.contains(organiser.unit)
    )


def _invites_in_scope(scope: Unit):
    """A SELECT of the ids of sessions inviting a unit, or a person, inside ``scope``'s subtree."""
    by_unit = (
        select(SessionInvite.session_id)
        .join(Unit, Unit.id == SessionInvite.unit_id)
        .where(scope.subtree_filter())
    )
    by_person = (
        select(SessionInvite.session_id)
        .join(User, User.id == SessionInvite.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(scope.subtree_filter())
    )
    return by_unit.union(by_person)


def can_view_session(user, session) -> bool:
    """The session page: invitees, its managers, and HR in whose units an invitee lies."""
    if can_manage_session(user, session) or is_invited(session, user):
        return True
    if user.is_authenticated and user.has_role("hr") and user.unit is not None:
        ids = _invites_in_scope(user.unit).subquery()
        return db.session.scalar(select(ids.c[0]).where(ids.c[0] == session.id)) is not None
    return False


def get_session_for(user, session_id: int, *, manage: bool = False) -> TrainingSession:
    """The session if ``user`` may see it (or manage it); else ``NotFound``."""
    session = db.session.get(TrainingSession, session_id)
    allowed = session is not None and (
        can_manage_session(user, session) if manage else can_view_session(user, session)
    )
    if not allowed:
        raise NotFound
    return session


# ---- lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MySession:
    session: TrainingSession
    answer: str | None  # registered | declined | None (not answered)


def my_sessions(
    user, *, upcoming: bool, limit: int | None = None, only_going: bool = False
) -> list[MySession]:
    """Sessions ``user`` is invited to with their answer: the ones not yet over (soonest first,
    cancelled ones included so people learn of it) or the past ones (latest first); with
    ``only_going``, neither cancelled nor declined."""
    now = utcnow()
    answer = (
        select(SessionResponse.status)
        .where(SessionResponse.session_id == TrainingSession.id, SessionResponse.user_id == user.id)
        .scalar_subquery()
    )
    query = select(TrainingSession, answer).where(TrainingSession.id.in_(invited_session_ids(user)))
    if upcoming:
        query = query.where(TrainingSession.ends_at >= now).order_by(
            TrainingSession.starts_at, TrainingSession.id
        )
    else:
        query = query.where(TrainingSession.ends_at < now).order_by(
            TrainingSession.starts_at.desc(), TrainingSession.id.desc()
        )
    if only_going:
        query = query.where(
            TrainingSession.cancelled_at.is_(None),
            or_(answer.is_(None), answer != "declined"),
        )
    if limit:
        query = query.limit(limit)
    return [MySession(row[0], row[1]) for row in db.session.execute(query)]


def home_sessions(user, limit: int = 5) -> list[MySession]:
    """The home page's coming sessions: not over, not cancelled, not declined."""
    return my_sessions(user, upcoming=True, limit=limit, only_going=True)


def organised_sessions(user) -> list[TrainingSession]:
    """Sessions ``user`` organises or may see as HR (admins: all), latest start first."""
    query = select(TrainingSession).order_by(
        TrainingSession.starts_at.desc(), TrainingSession.id.desc()
    )
    if not is_admin(user):
        conditions = [TrainingSession.organiser_id == user.id]
        if user.has_role("hr") and user.unit is not None:
            conditions.append(TrainingSession.id.in_(_invites_in_scope(user.unit)))
            organiser = aliased(User)
            conditions.append(
                TrainingSession.organiser_id.in_(
                    select(organiser.id)
                    .join(Unit, Unit.id == organiser.unit_id)
                    .where(user.unit.subtree_filter())
                )
            )
        query = query.where(or_(*conditions))
    return list(db.session.scalars(query.limit(500)))


def answer_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """{session id: {"registered": n, "declined": m}} in one query."""
    counts: dict[int, dict[str, int]] = {
        sid: {"registered": 0, "declined": 0} for sid in session_ids
    }
    if not session_ids:
        return counts
    rows = db.session.execute(
        select(SessionResponse.session_id, SessionResponse.status, func.count())
        .where(SessionResponse.session_id.in_(session_ids))
        .group_by(SessionResponse.session_id, SessionResponse.status)
    )
    for sid, status, n in rows:
        counts[sid][status] = n
    return counts


def invited_count(session) -> int:
    return db.session.scalar(select(func.count()).select_from(invited_user_ids(session).subquery()))


def responses_of(session) -> list[tuple[User, SessionResponse]]:
    """Everyone who answered, by name (for the session's managers)."""
    return list(
        db.session.execute(
            select(User, SessionResponse)
            .join(SessionResponse, SessionResponse.user_id == User.id)
            .where(SessionResponse.session_id == session.id)
            .order_by(SessionResponse.status.desc(), User.full_name, User.id)
        ).tuples()
    )


def answer_of(session, user) -> str | None:
    return db.session.scalar(
        select(SessionResponse.status).where(
            SessionResponse.session_id == session.id, SessionResponse.user_id == user.id
        )
    )


def invites_of(session) -> tuple[list[Unit], list[User]]:
    """The units and the people a session invites, by name."""
    units = db.session.scalars(
        select(Unit)
        .join(SessionInvite, SessionInvite.unit_id == Unit.id)
        .where(SessionInvite.session_id == session.id)
        .order_by(Unit.path)
    )
    people = db.session.scalars(
        select(User)
        .join(SessionInvite, SessionInvite.user_id == User.id)
        .where(SessionInvite.session_id == session.id)
        .order_by(User.full_name, User.id)
    )
    return list(units), list(people)


# ---- people named on the form ------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;]+")


def find_people(text: str, actor) -> tuple[list[User], list[str]]:
    """The active people named by e-mail or employee code in ``text`` (commas, semicolons, spaces
    or lines between them), and the names that match nobody ``actor`` may invite: HR only people
    in their units; instructors and admins anyone."""
    names = list(dict.fromkeys(part for part in _SEPARATORS.split(text or "") if part))
    if not names:
        return [], []
    lowered = [name.lower() for name in names]
    found = db.session.scalars(
        select(User).where(
            User.is_active.is_(True),
            or_(func.lower(User.email).in_(lowered), func.lower(User.employee_code).in_(lowered)),
        )
    ).all()
    wide = is_admin(actor) or actor.has_role("instructor")
    people = [person for person in found if wide or can_see_person(actor, person)]
    known = {person.email.lower() for person in people} | {
        (person.employee_code or "").lower() for person in people
    }
    return people, [name for name in names if name.lower() not in known]


# ---- writing -----------------------------------------------------------------------------------


def snapshot(session: TrainingSession) -> dict:
    """The fields an audit event compares."""
    return {
        "title": session.title,
        "topic": session.topic,
        "course_id": session.course_id,
        "place": session.place,
        "starts_at": session.starts_at.isoformat() if session.starts_at else None,
        "ends_at": session.ends_at.isoformat() if session.ends_at else None,
        "hours": session.hours,
        "capacity": session.capacity,
        "requires_sign_out": session.requires_sign_out,
    }


def _apply(session: TrainingSession, data: SessionData) -> None:
    for name in (
        "title",
        "topic",
        "course_id",
        "place",
        "starts_at",
        "ends_at",
        "hours",
        "capacity",
        "requires_sign_out",
    ):
        setattr(session, name, getattr(data, name))


def _set_invites(session: TrainingSession, data: SessionData) -> None:
    db.session.execute(
        SessionInvite.__table__.delete().where(SessionInvite.session_id == session.id)
    )
    rows = [
        SessionInvite(session_id=session.id, unit_id=uid) for uid in dict.fromkeys(data.unit_ids)
    ]
    rows += [
        SessionInvite(session_id=session.id, user_id=uid) for uid in dict.fromkeys(data.user_ids)
    ]
    db.session.add_all(rows)
    db.session.flush()


def create_session(data: SessionData, organiser) -> TrainingSession:
    """Store a new session with its invitations and tell the invitees (the bell)."""
    session = TrainingSession(secret=secrets.token_hex(32), organiser_id=organiser.id)
    _apply(session, data)
    db.session.add(session)
    db.session.flush()
    _set_invites(session, data)
    notify_invitees(session)
    return session


def update_session(session: TrainingSession, data: SessionData) -> None:
    """Change a session; people newly invited are told, the others keep their answers."""
    if data.capacity is not None:
        registered = answer_counts([session.id])[session.id]["registered"]
        if registered > data.capacity:
            raise AnswerRefused(
                _(
                    "Đã có %(n)s người đăng ký; sức chứa không thể nhỏ hơn số đó.",
                    n=registered,
                )
            )
    _apply(session, data)
    _set_invites(session, data)
    notify_invitees(session)


def cancel_session(session: TrainingSession) -> bool:
    """Cancel a session (kept, shown as cancelled); tell those who had not declined. False when it
    was already cancelled."""
    if session.cancelled_at is not None:
        return False
    session.cancelled_at = utcnow()
    db.session.flush()
    declined = select(SessionResponse.user_id).where(
        SessionResponse.session_id == session.id, SessionResponse.status == "declined"
    )
    _notify(
        session,
        "session.cancelled",
        invited_user_ids(session).where(User.id.not_in(declined)),
        lambda: _("Buổi học “%(title)s” đã bị huỷ", title=session.title),
    )
    return True


def _lock_session(session: TrainingSession) -> None:
    """Answers to one session queue one behind another, so the capacity count is exact: SQLite
    takes the write lock now, PostgreSQL locks the session's row."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        db.session.execute(
            select(TrainingSession.id).where(TrainingSession.id == session.id).with_for_update()
        )
    db.session.refresh(session)


def answer_session(session: TrainingSession, user, status: str) -> str:
    """Record ``user``'s answer (registered or declined) until the session starts. A registration
    beyond the capacity is refused. Returns "unchanged" or "saved"."""
    if status not in ("registered", "declined"):
        raise BadRequest
    if not is_invited(session, user):
        raise NotFound
    _lock_session(session)
    if session.cancelled_at is not None:
        raise AnswerRefused(_("Buổi học này đã bị huỷ."))
    if utcnow() >= session.starts_at:
        raise AnswerRefused(_("Buổi học đã bắt đầu; không thể đổi câu trả lời nữa."))
    response = db.session.scalar(
        select(SessionResponse).where(
            SessionResponse.session_id == session.id, SessionResponse.user_id == user.id
        )
    )
    if response is not None and response.status == status:
        return "unchanged"
    if status == "registered" and session.capacity is not None:
        taken = answer_counts([session.id])[session.id]["registered"]
        if taken >= session.capacity:
            raise AnswerRefused(
                _("Buổi học đã đủ %(n)s người đăng ký; không thể đăng ký thêm.", n=session.capacity)
            )
    if response is None:
        db.session.add(SessionResponse(session_id=session.id, user_id=user.id, status=status))
    else:
        response.status, response.responded_at = status, utcnow()
    db.session.flush()
    return "saved"


# ---- notifications -----------------------------------------------------------------------------


def notify_invitees(session: TrainingSession) -> None:
    """One notification per invitee, once (people invited later by an edit get theirs then)."""
    if session.cancelled_at is not None:
        return
    _notify(
        session,
        "session.invited",
        invited_user_ids(session),
        lambda: _("Mời dự buổi học “%(title)s”", title=session.title),
    )


def _notify(session, kind: str, user_ids, title) -> None:
    """An INSERT … SELECT per language into the bell's table. Training sits beside notify, which
    reads reports (which reads training), so the table is written by name, not through notify."""
    notifications = db.metadata.tables["notifications"]
    link = url_for("training.session_detail", session_id=session.id)
    prefix = f"{kind}:{session.id}:"
    now = utcnow()
    insert = INSERTS[db.session.get_bind().dialect.name]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            text = str(title())[:300]
            body = _(
                "%(when)s, tại %(place)s.",
                when=format_datetime(session.starts_at, "short"),
                place=session.place,
            )
        if locale == default:
            speaks = or_(
                User.locale == locale,
                User.locale.is_(None),
                User.locale.not_in(current_app.config["LANGUAGES"]),
            )
        else:
            speaks = User.locale == locale
        rows = select(
            User.id,
            literal(kind),
            literal(text),
            literal(body),
            literal(link),
            literal(prefix) + cast(User.id, String),
            literal(now, UTCDateTime),
        ).where(User.id.in_(user_ids), speaks)
        columns = ["user_id", "kind", "title", "body", "link", "dedupe_key", "created_at"]
        db.session.execute(
            insert(notifications)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
