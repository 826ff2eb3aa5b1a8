"""Who is calling the API: the bearer token, its person and its scopes.

The API authenticates by ``Authorization: Bearer <token>`` only. A session cookie never counts
(not even for reading): a cookie would let another site's page make the browser call the API,
and the API blueprints are exempt from CSRF checking."""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import gettext as _

from academy.api.errors import ApiError
from academy.api.tokens import SCOPE_ROLES, usable_token
from academy.auth.access import can_see_person, hr_scope
from academy.errors import Forbidden
from academy.extensions import db


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    kind, _sep, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def authenticate() -> None:
    """Before every API request: find the token or answer 401 (as a problem)."""
    token = usable_token(bearer_secret())
    if token is None:
        db.session.rollback()
        raise ApiError(401, _("Khoá truy cập thiếu, sai, đã hết hạn hoặc đã bị thu hồi."))
    if db.session.dirty:  # "last used" moved: bookkeeping, committed apart from the request's work
        db.session.commit()
    g.api_token = token
    g.api_user = token.user


def caller():
    return g.api_user


def require_scope(scope: str) -> None:
    """403 unless the token carries ``scope`` (and its person still holds a role for it)."""
    if scope not in g.api_token.scope_set or not (caller().roles & SCOPE_ROLES[scope]):
        raise ApiError(403, _("Khoá này không có phạm vi %(scope)s.", scope=scope))


def staff_scope():
    """The subtree the caller may read and write (None: everything, for admins)."""
    try:
        return hr_scope(caller())
    except Forbidden as refused:
        raise ApiError(
            403, _("Chỉ cán bộ tổ chức hoặc quản trị viên được dùng thao tác này.")
        ) from refused


def may_see_person(person) -> bool:
    return can_see_person(caller(), person)


def rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT") or "300/minute")


def rate_key() -> str:
    """Requests are counted per token (a digest of it, never the secret), else per address."""
    secret = bearer_secret()
    if secret:
        return "api:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "api-anon:" + (request.remote_addr or "")
