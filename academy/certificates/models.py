"""Certificates of completion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from academy.database import UTCDateTime, db, utcnow


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # One live certificate per (learner, course); a revoked one may be followed by a reissue.
        Index(
            "uq_certificates_live_user_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)  # HVS-YYYY-NNNNNN
    verify_code: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    user = relationship("User")
    course = relationship("Course")


class CertificateCounter(db.Model):
    """The last serial number used in a year; incremented inside the issuing transaction."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CertificateCredential(db.Model):
    """The Open Badges 3.0 credential issued with a certificate: its signed form (a VC-JOSE JWT,
    kept so the PDF attachment and every download are the same bytes) and its place in the
    revocation status list (``status_list`` number, ``status_index`` bit)."""

    __tablename__ = "certificate_credentials"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate = relationship("Certificate")
