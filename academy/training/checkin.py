"""QR attendance: rotating signed codes, checking in and out once, by hand with a reason, and the
attendance rate targets are judged by.

A code belongs to a window of ``CHECKIN_CODE_SECONDS`` (30 s): window ``w = unix time // 30`` and
code = HMAC-SHA256(session.secret, "in:<session id>:<w>") cut to ten URL-safe characters. A
scanned address works in its own window and the next one (30–60 s), so a photo sent to someone
absent stops working within a minute. The button of a page that opened while its code was valid
still works ``CHECKIN_POST_GRACE_SECONDS`` later, for a slow phone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from academy.auth.models import Unit, User
from academy.core.audit import record_audit
from academy.core.qr import qr_svg_data_uri
from academy.database import db, utcnow
from academy.errors import DomainError
from academy.events import send, session_attended
from academy.i18n import academy_zone
from academy.learning.services import dialect_insert
from academy.training.models import Attendance, SessionInvite, TrainingSession
from academy.training.sessions import can_manage_session, invited_user_ids, is_invited

DIRECTIONS = ("in", "out")
CODE_LENGTH = 10  # URL-safe characters of the HMAC: 60 bits, far beyond guessing in a minute
LATEST_SHOWN = 8  # names on the projector screen


class CheckinRefused(DomainError):
    """A check-in (or out) that cannot be done; ``reason`` says which page the attendee sees."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason, self.status = reason, status


# ---- codes --------------------------------------------------------------------------------


def clock() -> float:
    """Now, as a unix time (one place, so tests can move it)."""
    return time.time()


def code_seconds() -> int:
    return int(current_app.config["CHECKIN_CODE_SECONDS"])


def current_window(at: float | None = None) -> int:
    """The code window of the unix time ``at`` (now by default)."""
    return int((clock() if at is None else at) // code_seconds())


def window_code(session: TrainingSession, window: int, direction: str = "in") -> str:
    message = f"{direction}:{session.id}:{window}".encode()
    digest = hmac.new(session.secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:CODE_LENGTH]


def window_token(session: TrainingSession, window: int, direction: str = "in") -> str:
    """``<window>-<code>``: the last part of the address a QR code carries."""
    return f"{window}-{window_code(session, window, direction)}"


def attend_url(session: TrainingSession, direction: str = "in", window: int | None = None) -> str:
    """The absolute address the projector's QR code shows now (under ``PUBLIC_BASE_URL``)."""
    window = current_window() if window is None else window
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/attend/{session.id}/{direction}/{window_token(session, window, direction)}"


def token_is_valid(
    session: TrainingSession, direction: str, token: str, *, at: float | None = None
) -> bool:
    """Whether ``token`` (``<window>-<code>``) is this session's code of the current window or the
    one before (as of the unix time ``at``, now by default)."""
    window_text, _, code = (token or "").partition("-")
    if direction not in DIRECTIONS or not window_text.isdigit() or len(window_text) > 12:
        return False
    window, now = int(window_text), clock() if at is None else at
    if not current_window(now) - 1 <= window <= current_window(now):
        return False
    return hmac.compare_digest(code, window_code(session, window, direction))


def screen_code(session: TrainingSession, direction: str = "in") -> dict:
    """What the projector shows now: the address, its QR code and when it changes."""
    window = current_window()
    url = attend_url(session, direction, window)
    return {
        "url": url,
        "qr": qr_svg_data_uri(url, scale=8, border=2),
        "window": window,
        "changes_in": round((window + 1) * code_seconds() - clock(), 1),
    }


# ---- who and when -------------------------------------------------------------------------


def can_run_checkin(user, session: TrainingSession) -> bool:
    """Who opens the check-in screen and the attendance list, and checks people in by hand: those
    who manage the session (its organiser, admins, HR above the organiser)."""
    return can_manage_session(user, session)


def checkin_opens_at(session: TrainingSession) -> datetime:
    return session.starts_at - timedelta(minutes=current_app.config["CHECKIN_OPENS_MINUTES"])


def signout_closes_at(session: TrainingSession) -> datetime:
    return session.ends_at + timedelta(minutes=current_app.config["CHECKIN_OPENS_MINUTES"])


def open_problem(session: TrainingSession, direction: str = "in", now=None) -> str | None:
    """Why nobody can check in (or out) of ``session`` now: "cancelled", "early", "over"; None
    when it is open."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        return "cancelled"
    if direction == "out":
        if not session.requires_sign_out:
            return "no_sign_out"
        opens, closes = session.starts_at, signout_closes_at(session)
    else:
        opens, closes = checkin_opens_at(session), session.ends_at
    if now < opens:
        return "early"
    return "over" if now > closes else None


def is_late(session: TrainingSession, at: datetime) -> bool:
    return at > session.starts_at + timedelta(minutes=current_app.config["CHECKIN_LATE_MINUTES"])


def attendance_of(session: TrainingSession, user) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )


def attend_state(session: TrainingSession, user, direction: str, token: str) -> str:
    """What the scanned page offers ``user``: "ready" (the button), "done" (already recorded), or
    why not: "not_invited", "cancelled", "early", "over", "no_sign_out", "not_checked_in",
    "expired" (a code older than its two windows)."""
    attendance = attendance_of(session, user)
    if attendance is not None and (direction == "in" or attendance.checked_out_at is not None):
        return "done"
    if not is_invited(session, user):
        return "not_invited"
    problem = open_problem(session, direction)
    if problem:
        return problem
    if direction == "out" and attendance is None:
        return "not_checked_in"
    return "ready" if token_is_valid(session, direction, token) else "expired"


# ---- writes -------------------------------------------------------------------------------


def check_in(session: TrainingSession, user, token: str, seen_at: float | None = None) -> bool:
    """Check ``user`` in by a scanned code; once, however often or concurrently it is sent.
    ``seen_at``: when this person's page showed the button with that code still valid (see
    ``code_accepted``). Returns whether this call recorded it (False: it was already)."""
    if attendance_of(session, user) is not None:
        return False
    _require_open(session, user, "in", token, seen_at)
    return _insert_attendance(session, user, method="qr")


def check_out(session: TrainingSession, user, token: str, seen_at: float | None = None) -> bool:
    """Record when ``user`` left, by the sign-out code; once (the first time stays). Returns
    whether this call recorded it."""
    attendance = attendance_of(session, user)
    if attendance is not None and attendance.checked_out_at is not None:
        return False
    _require_open(session, user, "out", token, seen_at)
    if attendance is None:
        raise CheckinRefused("not_checked_in")
    stamped = db.session.execute(
        Attendance.__table__.update()
        .where(Attendance.id == attendance.id, Attendance.checked_out_at.is_(None))
        .values(checked_out_at=utcnow())
    ).rowcount
    return bool(stamped)


def check_in_by_hand(
    session: TrainingSession, person: User, *, reason: str, late: bool, actor
) -> None:
    """The organiser checks an invitee in without a code, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise CheckinRefused("reason_required")
    if not is_invited(session, person):
        raise CheckinRefused("not_invited", 403)
    problem = open_problem(session)
    if problem in ("cancelled", "early"):
        raise CheckinRefused(problem)
    created = _insert_attendance(
        session, person, method="manual", reason=reason, late=late, actor=actor
    )
    if not created:
        raise CheckinRefused("already")
    record_audit(
        "attendance.manual",
        target=f"session:{session.id}",
        detail={"user_id": person.id, "reason": reason[:500], "late": late},
        actor=actor,
    )


def code_accepted(session, direction: str, token: str, seen_at: float | None = None) -> bool:
    """A posted code is taken while it is valid; or, for the person whose page showed it while it
    was valid (``seen_at``, kept in their signed session), ``CHECKIN_POST_GRACE_SECONDS`` after
    that, for a slow phone. A photo's address posted straight gets no grace."""
    if token_is_valid(session, direction, token):
        return True
    grace = current_app.config["CHECKIN_POST_GRACE_SECONDS"]
    return (
        seen_at is not None
        and 0 <= clock() - seen_at <= grace
        and token_is_valid(session, direction, token, at=seen_at)
    )


def _require_open(session, user, direction: str, token: str, seen_at: float | None) -> None:
    if not is_invited(session, user):
        raise CheckinRefused("not_invited", 403)
    problem = open_problem(session, direction)
    if problem:
        raise CheckinRefused(problem)
    if not code_accepted(session, direction, token, seen_at):
        raise CheckinRefused("expired", 410)


def _insert_attendance(
    session: TrainingSession, user, *, method: str, reason: str = "", late=None, actor=None
) -> bool:
    """Insert the attendance unless there is one; whether this call wrote it."""
    now = utcnow()
    stmt = dialect_insert(Attendance)
    written = db.session.execute(
        stmt.values(
            session_id=session.id,
            user_id=user.id,
            checked_in_at=now,
            late=is_late(session, now) if late is None else bool(late),
            method=method,
            reason=reason,
            recorded_by_id=getattr(actor, "id", None),
        )
        .on_conflict_do_nothing(index_elements=["session_id", "user_id"])
        .returning(stmt.table.c.id)
    ).scalar()
    if written is not None:
        send(session_attended, session=session, user=user, attended_at=now, method=method)
    return written is not None


# ---- the screen and the list --------------------------------------------------------------


@dataclass
class Tally:
    present: int
    late: int
    signed_out: int
    invited: int
    latest: list[dict]


def tally(session: TrainingSession) -> Tally:
    """How many of the invitees are in (the projector's live count) and the latest arrivals."""
    invited = invited_user_ids(session).subquery()
    row = db.session.execute(
        select(
            func.count(Attendance.id),
            func.count(Attendance.id).filter(Attendance.late.is_(True)),
            func.count(Attendance.checked_out_at),
        ).where(Attendance.session_id == session.id)
    ).one()
    count_invited = db.session.scalar(select(func.count()).select_from(invited)) or 0
    latest = db.session.execute(
        select(User.full_name, Attendance.checked_in_at, Attendance.late)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.session_id == session.id)
        .order_by(Attendance.checked_in_at.desc(), Attendance.id.desc())
        .limit(LATEST_SHOWN)
    ).all()
    return Tally(
        present=row[0],
        late=row[1],
        signed_out=row[2],
        invited=count_invited,
        latest=[{"name": name, "at": at, "late": late} for name, at, late in latest],
    )


def absentees(session: TrainingSession) -> list[User]:
    """The invitees not checked in yet, by name (whom the organiser may check in by hand)."""
    present = select(Attendance.user_id).where(Attendance.session_id == session.id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(invited_user_ids(session)), User.id.not_in(present))
            .order_by(User.full_name, User.id)
        )
    )


def invitee(session: TrainingSession, user_id: int) -> User:
    """The person of a manual check-in form (the form's choices hold only invitees)."""
    person = db.session.get(User, user_id) if user_id else None
    if person is None:
        raise CheckinRefused("not_invited", 403)
    return person


def attendance_list(session: TrainingSession) -> list[tuple[User, Attendance | None]]:
    """Every invitee (by name) with their attendance, if any; people checked in who are no longer
    invited are listed too."""
    invited = invited_user_ids(session).subquery()
    present = select(Attendance.user_id).where(Attendance.session_id == session.id)
    rows = db.session.execute(
        select(User, Attendance)
        .outerjoin(
            Attendance, and_(Attendance.user_id == User.id, Attendance.session_id == session.id)
        )
        .where(or_(User.id.in_(select(invited.c.id)), User.id.in_(present)))
        .order_by(User.full_name, User.id)
    ).all()
    return [(user, attendance) for user, attendance in rows]


# ---- attendance rate (unit targets) -------------------------------------------------------


def attended_condition():
    """When an attendance row counts as having attended: checked in, and, at a session that asks
    for it, signed out too."""
    return or_(
        Attendance.checked_out_at.is_not(None),
        ~exists().where(
            TrainingSession.id == Attendance.session_id, TrainingSession.requires_sign_out
        ),
    )


def attendance_counts(user_ids_select, start, end) -> tuple[int, int]:
    """(attended, invited) over the invitations of the people of ``user_ids_select`` (a SELECT of
    ids or a list) to sessions, not cancelled, that ended in [start, end): one pair per person and
    session, however they were invited. ``start``/``end`` are UTC datetimes, or dates (local)."""
    pairs = _invited_pairs(user_ids_select, _instant(start), _instant(end)).subquery()
    joined = and_(
        Attendance.session_id == pairs.c.session_id,
        Attendance.user_id == pairs.c.user_id,
        attended_condition(),
    )
    invited, attended = db.session.execute(
        select(func.count(), func.count(Attendance.id)).select_from(
            pairs.outerjoin(Attendance, joined)
        )
    ).one()
    return int(attended or 0), int(invited or 0)


def attendance_rate(user_ids_select, start, end) -> float | None:
    """Attended / invited (0–1) over the sessions that ended in [start, end); None when none of
    these people was invited to any."""
    attended, invited = attendance_counts(user_ids_select, start, end)
    return attended / invited if invited else None


def _invited_pairs(user_ids_select, start: datetime, end: datetime):
    ended = select(TrainingSession.id).where(
        TrainingSession.cancelled_at.is_(None),
        TrainingSession.ends_at >= start,
        TrainingSession.ends_at < end,
    )
    invited_unit, member_unit = aliased(Unit), aliased(Unit)
    through_unit = (
        select(SessionInvite.session_id.label("session_id"), User.id.label("user_id"))
        .join(invited_unit, invited_unit.id == SessionInvite.unit_id)
        .join(member_unit, member_unit.path.startswith(invited_unit.path))
        .join(User, User.unit_id == member_unit.id)
        .where(SessionInvite.session_id.in_(ended))
    )
    direct = (
        select(SessionInvite.session_id.label("session_id"), User.id.label("user_id"))
        .join(User, User.id == SessionInvite.user_id)
        .where(SessionInvite.session_id.in_(ended))
    )
    people = (User.id.in_(user_ids_select), User.is_active.is_(True))
    return through_unit.where(*people).union(direct.where(*people))


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value
    local = datetime.combine(value, datetime.min.time(), tzinfo=academy_zone())
    return local.astimezone(UTC)
