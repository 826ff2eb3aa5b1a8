"""E-mail: every message is queued as a row (``OutboxMessage``) inside the caller's transaction and
delivered after the commit by a background job, never inside the request.

``queue_mail`` renders ``templates/mail/<template>.txt`` and ``.html`` in the recipient's language
(the platform's name and a link back are in the shared mail layout). ``dedupe_key`` makes a message
once-only: a second message with the same key (a job run twice, two workers at once) is not stored.
Delivery, retries and the outbox folder used when no SMTP server is configured are below.
"""

from __future__ import annotations

from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from academy.database import UTCDateTime, db, utcnow

MAIL_STATUSES = ("queued", "sent", "failed")


class OutboxMessage(db.Model):
    """One e-mail to one address; ``status`` queued → sent, or failed after the last retry."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "invitation", "reminder.due7"
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    # once-only messages (reminders): a second row with the same key is refused by the database
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def queue_mail(
    to_address: str,
    template: str,
    *,
    locale: str = "vi",
    kind: str | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    **context,
) -> OutboxMessage | None:
    """Queue one message (the caller commits; delivery starts after the commit).

    ``templates/mail/<template>.txt`` and ``.html`` are rendered in ``locale`` with ``context``;
    the subject is the text template's block ``subject`` (see mail/_layout.txt). Returns None when
    ``dedupe_key`` was already used (nothing is stored).
    """
    if dedupe_key is not None and db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return None
    with force_locale(locale):
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    subject, _, body = text.partition("\n")
    message = OutboxMessage(
        to_address=to_address,
        user_id=user_id,
        kind=kind or template,
        locale=locale,
        subject=subject.strip()[:300],
        text_body=body.lstrip("\n"),
        html_body=html,
        dedupe_key=dedupe_key,
    )
    db.session.add(message)
    return message
