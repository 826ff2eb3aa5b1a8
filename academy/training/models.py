"""The city's training duties: in-person sessions with QR attendance, training recorded from
outside, the yearly hours each position must reach, and units' targets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.database import UTCDateTime, db, utcnow

SESSION_RESPONSES = ("registered", "declined")
TARGET_KINDS = ("course_completion", "average_hours", "attendance_rate", "track_certified")


class TrainingSession(db.Model):
    """A class, conference or briefing in a room: who is invited, when, where, and the hours it
    credits to those who attend. ``secret`` keys its rotating check-in codes."""

    __tablename__ = "training_sessions"
    __table_args__ = (Index("ix_training_sessions_starts", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    place: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hours: Mapped[float] = mapped_column(Float, default=0.0)  # credited to each attendee
    capacity: Mapped[int | None] = mapped_column(Integer)
    requires_sign_out: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str] = mapped_column(String(64))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course = relationship("Course")
    organiser = relationship("User", foreign_keys=[organiser_id])


class SessionInvite(db.Model):
    """A unit (with the units below it) or one person invited to a session."""

    __tablename__ = "session_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class SessionResponse(db.Model):
    """An invitee's answer: registered or declined (one per person and session)."""

    __tablename__ = "session_responses"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(db.Model):
    """One person present at one session (once): by the rotating QR code or by hand (with a
    reason, audited); late when checked in after the start plus the grace minutes."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    method: Mapped[str] = mapped_column(String(20), default="qr")  # qr | manual
    reason: Mapped[str] = mapped_column(Text, default="")  # why by hand
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExternalTraining(db.Model):
    """Training a person did elsewhere, recorded by HR with its document (a certificate scan)."""

    __tablename__ = "external_trainings"
    __table_args__ = (Index("ix_external_trainings_user_day", "user_id", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(300), default="")
    hours: Mapped[float] = mapped_column(Float)
    completed_on: Mapped[date] = mapped_column(Date)
    document_name: Mapped[str] = mapped_column(String(300), default="")  # as uploaded
    document_path: Mapped[str] = mapped_column(String(400), default="")  # in the instance folder
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HoursRequirement(db.Model):
    """Hours of training a year for people of one position (else the configured default)."""

    __tablename__ = "hours_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[str] = mapped_column(String(200), unique=True)
    hours: Mapped[float] = mapped_column(Float)


class UnitTarget(db.Model):
    """A unit's target for a year (its subtree counts): a share complete on a mandatory course by
    a date, an average of training hours, an attendance rate, or a share certified on a track."""

    __tablename__ = "unit_targets"
    __table_args__ = (Index("ix_unit_targets_unit_year", "unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    track: Mapped[str | None] = mapped_column(String(40))
    target: Mapped[float] = mapped_column(Float)  # a share (0–1) or hours
    due_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit = relationship("Unit")
    course = relationship("Course")
