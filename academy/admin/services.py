"""Admin services. record_audit() is the one way to write the audit log."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from academy.admin.models import AuditEvent
from academy.extensions import db


def record_audit(action: str, target: str = "", detail: dict | None = None, actor=None) -> AuditEvent:
    """Add an audit event (the caller commits with its own change, so both land or neither).

    ``action`` is a dotted verb such as ``report.download`` or ``certificate.revoke``.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    # remote_addr is the client behind a trusted proxy when ProxyFix is configured (ACADEMY_PROXY_HOPS).
    ip = (request.remote_addr or "") if has_request_context() else ""
    event = AuditEvent(actor_id=getattr(actor, "id", None), action=action, target=str(target)[:200],
                       detail=detail or {}, ip=ip[:64])
    db.session.add(event)
    return event
