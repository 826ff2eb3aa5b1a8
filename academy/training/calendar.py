"""Each person's calendar feed (iCalendar, RFC 5545) of the sessions they are invited to.

Calendar apps fetch the feed without cookies, so its address carries a signed token of the person's
id (the app's secret key, a salt of its own) instead of a sign-in. The feed lists every session the
person is invited to and has not declined, from a year back; a cancelled one stays with
STATUS:CANCELLED so calendars remove it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from academy.auth.models import User
from academy.database import db, utcnow
from academy.training.models import SessionResponse, TrainingSession
from academy.training.sessions import invited_session_ids

SALT = "training-calendar-feed"
HISTORY_DAYS = 365
LINE_OCTETS = 75


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def feed_token(user) -> str:
    return _serializer().dumps(user.id)


def user_for_token(token: str) -> User | None:
    """The active person a feed token names; None for a forged, mangled or stale one."""
    try:
        user_id = _serializer().loads(token)
    except BadData:
        return None
    if not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def feed_sessions(user) -> list[TrainingSession]:
    declined = select(SessionResponse.session_id).where(
        SessionResponse.user_id == user.id, SessionResponse.status == "declined"
    )
    since = utcnow() - timedelta(days=HISTORY_DAYS)
    return list(
        db.session.scalars(
            select(TrainingSession)
            .where(
                TrainingSession.id.in_(invited_session_ids(user)),
                TrainingSession.id.not_in(declined),
                TrainingSession.ends_at >= since,
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


# ---- RFC 5545 text -----------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = (value or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """A content line cut into lines of at most 75 octets (never inside a UTF-8 character), each
    continuation led by one space."""
    pieces, current, size = [], "", 0
    for char in line:
        octets = len(char.encode("utf-8"))
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1  # the leading space counts
        if size + octets > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += octets
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _description(session: TrainingSession) -> str:
    parts = []
    if session.course is not None:
        parts.append(_("Khoá học: %(title)s", title=session.course.title))
    if session.topic:
        parts.append(session.topic)
    parts.append(_("Số giờ được tính: %(hours)s", hours=f"{session.hours:g}"))
    return "\n".join(parts)


def _event(session: TrainingSession, host: str, now: datetime) -> list[str]:
    url = url_for("training.session_detail", session_id=session.id, _external=True)
    return [
        "BEGIN:VEVENT",
        f"UID:training-session-{session.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(session.starts_at)}",
        f"DTEND:{_stamp(session.ends_at)}",
        f"SUMMARY:{escape_text(session.title)}",
        f"LOCATION:{escape_text(session.place)}",
        f"DESCRIPTION:{escape_text(_description(session))}",
        f"URL:{url}",
        f"STATUS:{'CANCELLED' if session.cancelled_at else 'CONFIRMED'}",
        "END:VEVENT",
    ]


def calendar_text(user) -> str:
    """The person's feed as iCalendar text (CRLF line ends, folded lines), in their language."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    now = utcnow()
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Hoc vien So//Buoi hoc truc tiep//VI",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{escape_text(_('Buổi học – Học viện Số'))}",
        ]
        for session in feed_sessions(user):
            lines += _event(session, host, now)
        lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
