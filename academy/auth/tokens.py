"""Single-use links sent by e-mail: invitations (set a first password) and password resets.

Only the SHA-256 of a token is stored; the link carries the token itself. A new link of the same
purpose for the same person ends the earlier ones (``revoked_at``); using a link ends every other
open link of that person.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ForeignKey, Index, String, and_, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.auth.models import User
from academy.database import UTCDateTime, db, utcnow
from academy.errors import DomainError

TOKEN_PURPOSES = ("invitation", "reset")
TOKEN_BYTES = 32  # 256 random bits per link
MAX_TOKEN_CHARS = 100  # a longer "token" in a URL is not one of ours: no lookup at all
CHUNK = 500  # ids per statement (SQLite's limit on bound values)


class AccountToken(db.Model):
    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user = relationship("User", foreign_keys=[user_id])


class LinkUnusable(DomainError):
    """The link was used already, replaced by a newer one, has expired, or never existed."""

    status = 410


def token_digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == "invitation":
        return timedelta(days=float(config["INVITATION_DAYS"]))
    return timedelta(minutes=float(config["PASSWORD_RESET_MINUTES"]))


def _open_tokens(purpose: str, now: datetime):
    """Links of ``purpose`` still usable at ``now`` (a SQL condition)."""
    return and_(
        AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None),
        AccountToken.expires_at > now,
    )


def revoke_tokens(user_ids, purposes=TOKEN_PURPOSES, *, now: datetime | None = None) -> None:
    """End every unused link of ``purposes`` for the people ``user_ids`` (a list or a SELECT of
    ids): one statement, whatever the number of people."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id.in_(user_ids),
            AccountToken.purpose.in_(purposes),
            AccountToken.used_at.is_(None),
            AccountToken.revoked_at.is_(None),
        )
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def issue_tokens(user_ids, purpose: str, *, created_by_id: int | None = None) -> dict[int, str]:
    """A fresh link token for each of ``user_ids`` ({user id: token}); their earlier links of the
    same purpose stop working. Only each token's SHA-256 is stored. Set-based: one UPDATE and one
    bulk INSERT (per chunk of ids). The caller commits."""
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    ids = list(dict.fromkeys(user_ids))
    now = utcnow()
    expires_at = now + _lifetime(purpose)
    tokens = {user_id: secrets.token_urlsafe(TOKEN_BYTES) for user_id in ids}
    for start in range(0, len(ids), CHUNK):  # SQLite allows so many bound values per statement
        revoke_tokens(ids[start : start + CHUNK], (purpose,), now=now)
    if tokens:
        db.session.execute(
            insert(AccountToken),
            [
                {
                    "user_id": user_id,
                    "purpose": purpose,
                    "token_hash": token_digest(token),
                    "created_at": now,
                    "expires_at": expires_at,
                    "created_by_id": created_by_id,
                }
                for user_id, token in tokens.items()
            ],
        )
    return tokens


def issue_token(user, purpose: str, *, created_by_id: int | None = None) -> str:
    """A fresh link token for ``user`` (see ``issue_tokens``)."""
    return issue_tokens([user.id], purpose, created_by_id=created_by_id)[user.id]


def usable_token(token: str, purpose: str) -> AccountToken | None:
    """The stored link ``token`` names if it can still be used (for showing the form), else None.
    Using it is ``consume_token``: only that is safe against two uses at once."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return db.session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_digest(token), _open_tokens(purpose, utcnow())
        )
    )


def consume_token(token: str, purpose: str):
    """Use the link ``token`` once and return its (active) person; raise ``LinkUnusable`` when it
    was used, replaced, has expired, or does not exist. Two requests racing with one link: the
    conditional UPDATE lets exactly one through. The person's other open links end too (a
    password is set: an older invitation or reset must not set another). The caller commits."""
    now = utcnow()
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise LinkUnusable
    digest = token_digest(token)
    used = db.session.execute(
        update(AccountToken)
        .where(AccountToken.token_hash == digest, _open_tokens(purpose, now))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise LinkUnusable
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest))
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkUnusable
    others = select(AccountToken.id).where(
        AccountToken.user_id == user.id, AccountToken.id != row.id
    )
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.id.in_(others), AccountToken.used_at.is_(None))
        .where(AccountToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return user
