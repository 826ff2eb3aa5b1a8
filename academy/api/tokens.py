"""Personal access tokens: create (the secret is shown once), verify, revoke.

Only the SHA-256 of a secret is stored, as for the e-mailed links of ``academy.auth.tokens``. A
secret reads ``hvs_<random>``; its first characters (``prefix``) stay on the list so a person can
tell their keys apart."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from academy.api.models import SCOPES, ApiToken
from academy.auth.tokens import token_digest
from academy.core.audit import record_audit
from academy.database import utcnow
from academy.errors import BadRequest, NotFound
from academy.extensions import db

SECRET_PREFIX = "hvs_"
SECRET_BYTES = 32  # 256 random bits
MAX_SECRET_CHARS = 100  # anything longer is not one of ours: no lookup at all
LAST_USED_PRECISION = timedelta(minutes=1)  # "last used" is written at most once a minute

# Which roles may hold each scope: reading reports and writing people are HR's and admins' jobs;
# anyone may read their own learning.
SCOPE_ROLES = {
    "reports:read": {"hr", "admin"},
    "people:write": {"hr", "admin"},
    "learning:read": {"learner", "instructor", "hr", "admin"},
}


class TokenRefused(BadRequest):
    """A token cannot be created as asked (a scope the person's roles do not allow, a past
    expiry); ``field`` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def allowed_scopes(user) -> list[str]:
    """The scopes ``user``'s roles allow, in the order of ``SCOPES``."""
    return [scope for scope in SCOPES if user.roles & SCOPE_ROLES[scope]]


def create_token(
    user, name: str, scopes, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``user``: (row, secret). The secret is not stored and cannot be shown
    again. Raises ``TokenRefused``. Audited; the caller commits."""
    wanted = list(dict.fromkeys(scopes))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenRefused("name", _("Hãy đặt tên cho khoá (tối đa 100 ký tự)."))
    if not wanted:
        raise TokenRefused("scopes", _("Hãy chọn ít nhất một phạm vi."))
    refused = [s for s in wanted if s not in allowed_scopes(user)]
    if refused:
        raise TokenRefused(
            "scopes",
            _("Vai trò của bạn không cho phép phạm vi: %(scopes)s.", scopes=", ".join(refused)),
        )
    if expires_at is not None and expires_at <= utcnow():
        raise TokenRefused("expires_at", _("Ngày hết hạn phải ở tương lai."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:12],
        token_hash=token_digest(secret),
        scopes=" ".join(s for s in SCOPES if s in wanted),
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    record_audit(
        "api_token.create",
        f"api_token:{token.id}",
        {"name": name, "scopes": token.scopes, "owner": user.email},
        actor=user,
    )
    return token, secret


def usable_token(secret: str | None, now: datetime | None = None) -> ApiToken | None:
    """The token ``secret`` names if it is neither revoked nor expired and its owner is active;
    notes its use (at most once a minute). The caller commits."""
    if not secret or len(secret) > MAX_SECRET_CHARS or not secret.startswith(SECRET_PREFIX):
        return None
    now = now or utcnow()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return token


def tokens_of(user, *, everyone: bool = False) -> list[ApiToken]:
    """``user``'s tokens, newest first (everyone's for an admin who asks)."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not everyone:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))


def revoke_token(token_id: int, actor) -> ApiToken:
    """End a token at once. Its owner may revoke it, and so may an admin. Raises ``NotFound``
    for a token the actor may not know of. Audited; the caller commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and not actor.has_role("admin")):
        raise NotFound
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        record_audit(
            "api_token.revoke",
            f"api_token:{token.id}",
            {"name": token.name, "owner": token.user.email},
            actor=actor,
        )
    return token
