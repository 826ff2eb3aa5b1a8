"""People and the organisational unit tree."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import generate_password_hash

from academy.auth.passwords import verify_password
from academy.database import UTCDateTime, db, utcnow
from academy.search_text import fold

ROLES = ("learner", "instructor", "hr", "admin")
UNIT_KINDS = ("city", "agency", "ward", "cell")


class Unit(db.Model):
    """A node of the tree city → agencies / wards and communes → cells.

    ``path`` is the materialised path of ids ("/1/7/42/"), so a subtree is one prefix match.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="agency")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"

    def subtree_filter(self):
        """A SQL condition true for this unit and every unit below it."""
        return Unit.path.startswith(self.path)

    def subtree_ids_select(self):
        return select(Unit.id).where(self.subtree_filter())

    def contains(self, other: Unit | None) -> bool:
        return other is not None and other.path.startswith(self.path)


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    employee_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # full name, e-mail and employee code folded (lower case, no diacritics, đ → d): what people
    # search matches with LIKE, the same on SQLite and PostgreSQL. Kept by ``_fold_search_name``.
    search_name: Mapped[str] = mapped_column(String(700), default="", server_default="", index=True)
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped at logout and password change: every session cookie issued before is refused.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the identity provider's subject for a person who signs in through single sign-on
    sso_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    # optional e-mails (reminders before a due date, HR's weekly digest); overdue notices always go
    wants_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self) -> str:
        return f"<User {self.email}>"

    # Flask-Login identifies a session by id and version together.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    @roles.setter
    def roles(self, names) -> None:
        wanted = set(names)
        unknown = wanted - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=name) for name in sorted(wanted - self.roles)
        ]

    def has_role(self, *names: str) -> bool:
        return bool(self.roles & set(names))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` is this user's; one hash verification whatever the stored hash."""
        return verify_password(self.password_hash, password)


def search_key(full_name: str | None, email: str | None, employee_code: str | None) -> str:
    return fold(" ".join(part for part in (full_name, email, employee_code) if part))


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _fold_search_name(_mapper, _connection, user: User) -> None:
    user.search_name = search_key(user.full_name, user.email, user.employee_code)


@event.listens_for(User, "after_insert")
def _first_membership(_mapper, connection, user: User) -> None:
    if user.unit_id is not None:
        connection.execute(
            insert(UnitMembership).values(
                user_id=user.id, unit_id=user.unit_id, started_at=utcnow()
            )
        )


@event.listens_for(User, "after_update")
def _record_move(_mapper, connection, user: User) -> None:
    """A change of unit, by any path (admin form, staff import), closes one stay, opens the next."""
    if not inspect(user).attrs.unit_id.history.has_changes():
        return
    now = utcnow()
    connection.execute(
        update(UnitMembership)
        .where(UnitMembership.user_id == user.id, UnitMembership.ended_at.is_(None))
        .values(ended_at=now)
    )
    if user.unit_id is not None:
        connection.execute(
            insert(UnitMembership).values(user_id=user.id, unit_id=user.unit_id, started_at=now)
        )


class UnitMembership(db.Model):
    """Where a person was, and when: one row per stay in a unit (``ended_at`` empty = now).

    Figures count people where they are now (``User.unit_id``); this keeps the history of moves.
    """

    __tablename__ = "unit_memberships"
    __table_args__ = (Index("ix_unit_memberships_user", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()


class TotpCredential(db.Model):
    """A user's TOTP secret (RFC 6238). Pending until a first code confirms it; only then does
    sign-in ask for a code. ``last_used_step`` refuses a code replayed within its window."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator; only its SHA-256 is kept
    (each code carries 80 random bits, so a slow hash adds nothing)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
