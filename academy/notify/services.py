"""The bell: storing a person's notifications once, reading and marking them, and links back to
the site that work in a mail as well as on a page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import String, bindparam, cast, func, select, update

from academy.auth.models import User
from academy.core.pagination import Page, clamp_page
from academy.database import db, utcnow
from academy.errors import NotFound
from academy.learning.services import dialect_insert
from academy.notify.models import Notification

BELL_SIZE = 8  # the latest notifications in the bell's menu
PAGE_SIZE = 20  # on /notifications
TITLE_MAX = 300  # Notification.title's column


# ---- links ------------------------------------------------------------------------------------


def _site_adapter():
    """URLs as the public site answers them (``PUBLIC_BASE_URL``), with or without a request."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return current_app.url_map.bind(
        base.netloc or "localhost", script_name=base.path or "/", url_scheme=base.scheme or "http"
    )


def site_path(endpoint: str, **values) -> str:
    """The path of a page ("/courses/x"), for a notification's link."""
    return _site_adapter().build(endpoint, values)


def public_url(endpoint: str, **values) -> str:
    """The full address of a page ("https://hocvien.example/courses/x"), for a mail."""
    return _site_adapter().build(endpoint, values, force_external=True)


def local_link(link: str | None) -> str | None:
    """``link`` when it is a path on this site; None for anything that would leave it."""
    if link and link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return None


# ---- storing ----------------------------------------------------------------------------------


def claim_notifications(rows: list[dict]) -> set[str]:
    """Store the notifications whose ``dedupe_key`` is new; return the keys stored by this call.

    One INSERT … ON CONFLICT DO NOTHING: a key stored before, or by a concurrent run (which this
    statement waits for), is skipped, so the caller sends each mail only for the keys it won.
    Flushes; the caller commits."""
    if not rows:
        return set()
    now = utcnow()
    values = [
        {
            "user_id": row["user_id"],
            "kind": row["kind"],
            "title": row["title"][:TITLE_MAX],
            "body": row.get("body", ""),
            "link": row.get("link", ""),
            "dedupe_key": row["dedupe_key"],
            "created_at": now,
        }
        for row in sorted(rows, key=lambda row: row["dedupe_key"])  # one lock order for all runs
    ]
    statement = (
        dialect_insert(Notification)
        .values(values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.__table__.c.dedupe_key)
    )
    return set(db.session.scalars(statement))


def existing_keys(keys: list[str]) -> set[str]:
    """Which of ``keys`` were already used by a notification (one indexed query)."""
    if not keys:
        return set()
    return set(
        db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
    )


# ---- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bell:
    unread: int
    latest: list  # rows: id, title, created_at, read_at
    user_id: int = 0

    @property
    def cache_key(self) -> str:
        """Everything the bell's menu shows, for its cached fragment (only ever this person's)."""
        shown = [(n.id, n.read_at is None) for n in self.latest]
        return f"{self.user_id}:{self.unread}:{hashlib.sha256(repr(shown).encode()).hexdigest()}"

    @property
    def badge(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)

    @property
    def label(self) -> str:
        """What a screen reader says for the bell: "3 thông báo chưa đọc"."""
        if not self.unread:
            return _("Thông báo, không có thông báo chưa đọc")
        return ngettext("%(num)s thông báo chưa đọc", "%(num)s thông báo chưa đọc", self.unread)


_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
    .scalar_subquery()
)
# Built once: the latest notifications with the unread count, for one person's bell.
_BELL = (
    select(
        Notification.id, Notification.title, Notification.created_at, Notification.read_at, _UNREAD
    )
    .where(Notification.user_id == bindparam("user_id"))
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(BELL_SIZE)
)


# What the bell shows changes only with one of these: a notification added (count, highest id),
# removed (count) or read (how many are read). Read with the signed-in user (auth.sessions), so a
# kept page puts in the bell's kept HTML without a statement of its own.
BELL_STAMP = (
    select(
        cast(func.count(), String)
        + ":"
        + cast(func.coalesce(func.max(Notification.id), 0), String)
        + ":"
        + cast(func.count(Notification.read_at), String)
    )
    .where(Notification.user_id == User.id)
    .scalar_subquery()
)


def bell_for(user) -> Bell:
    """The unread count and the latest notifications, in one query, once per request."""
    cached = g.get("_notify_bell")
    if cached is not None and cached[0] == user.id:
        return cached[1]
    rows = db.session.execute(_BELL, {"user_id": user.id}).all()
    bell = Bell(unread=rows[0][-1] if rows else 0, latest=list(rows), user_id=user.id)
    g._notify_bell = (user.id, bell)
    return bell


def notification_page(user, page: int) -> Page:
    """``user``'s notifications, newest first, ``PAGE_SIZE`` a page."""
    mine = Notification.user_id == user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(mine))
    number = clamp_page(page, total, PAGE_SIZE)
    items = db.session.scalars(
        select(Notification)
        .where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return Page(items=list(items), page=number, per_page=PAGE_SIZE, total=total)


def own_notification(user, notification_id: int) -> Notification:
    """``user``'s notification; anyone else's, or none, is ``NotFound``."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound
    return notification


def open_notification(user, notification_id: int) -> str | None:
    """Mark ``user``'s notification read; return where it leads (None: nowhere on this site)."""
    notification = own_notification(user, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
    return local_link(notification.link)


def mark_all_read(user) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return max(result.rowcount or 0, 0)


def set_reminder_choice(user, wants_reminders: bool) -> None:
    """Whether ``user`` gets the optional e-mails (before a due date, HR's weekly digest)."""
    user.wants_reminders = bool(wants_reminders)
