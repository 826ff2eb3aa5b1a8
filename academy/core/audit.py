"""The audit log: who did what to which object. Every feature writes through record_audit();
the admin feature only shows it."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.database import UTCDateTime, db, utcnow


class AuditEvent(db.Model):
    """Who did what to which object: every export of personal data and every admin change."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")


def record_audit(
    action: str, target: str = "", detail: dict | None = None, actor=None
) -> AuditEvent:
    """Add an audit event (the caller commits with its own change, so both land or neither).

    ``action`` is a dotted verb such as ``report.download`` or ``certificate.revoke``.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    # remote_addr is the client behind a trusted proxy when ProxyFix is configured (PROXY_HOPS).
    ip = (request.remote_addr or "") if has_request_context() else ""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        target=str(target)[:200],
        detail=detail or {},
        ip=ip[:64],
    )
    db.session.add(event)
    return event
