"""The xAPI outbox: one row per statement, stored in the transaction of the event it reports and
delivered to the Learning Record Store after the commit (``academy.xapi.delivery``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from academy.database import UTCDateTime, db, utcnow

# queued → sending (claimed by a delivery run) → sent; back to queued after a temporary failure
# (the LRS unreachable, a 5xx); failed after a refusal (a 4xx other than 409) or the last try.
STATEMENT_STATES = ("queued", "sending", "sent", "failed")


class XapiStatement(db.Model):
    """One xAPI statement. ``id`` is the statement's own id (a UUID, in ``body`` too): sent twice,
    the LRS recognises it, so a retry after a lost answer is never a second record."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_due", "state", "next_try_at"),
        Index("ix_xapi_statements_order", "occurred_at", "rank", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    body: Mapped[dict] = mapped_column(JSON)
    verb: Mapped[str] = mapped_column(String(40))  # short name: experienced, scored, passed, …
    # When it happened (the statement's timestamp) and, for one moment, the order of the story:
    # an attempt is scored (1) before its module is passed (2) and the course completed (3).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rank: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    tries: Mapped[int] = mapped_column(Integer, default=0)  # delivery runs that took it up
    # queued: not before this; sending: the end of the claim's lease (another run may take it up)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
