"""Each cadre's training hours in a calendar year, against the hours their position must reach.

The rules, as HR reads them:

- The year is the local calendar year (``BABEL_DEFAULT_TIMEZONE``): 1 January to 31 December.
- **Courses**: a course completed in the year credits its hours (the course's stated hours), once,
  in the year of its (local) completion date. A course started but not completed credits nothing.
- **Sessions**: a session that started in the year credits its hours to every person checked in
  at it. A session that requires signing out credits only those who also signed out. A cancelled
  session credits nothing.
- **External training** that HR recorded credits its hours in the year of its completion date.
- **Requirement**: the hours set for the person's position (the position's name matched ignoring
  case and diacritics), else ``TRAINING_HOURS_REQUIRED`` (40: one week a year of compulsory
  refresher training under Nghị định 101/2017/NĐ-CP, amended by Nghị định 89/2021/NĐ-CP, counted
  as 5 days × 8 periods). The requirement is met when the total reaches it.

``year_hours`` reads any number of people in three queries (one grouped union of the three
sources, the people's positions, the requirement table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import format_decimal
from sqlalchemy import Float, Select, cast, func, literal, or_, select, union_all

from academy.auth.models import User
from academy.catalog.models import Course
from academy.core.audit import record_audit
from academy.database import UTCDateTime, db, utcnow
from academy.errors import BadRequest
from academy.i18n import academy_zone
from academy.learning.models import Enrollment
from academy.search_text import fold
from academy.training.models import Attendance, ExternalTraining, HoursRequirement, TrainingSession

DEFAULT_REQUIRED = 40.0  # one week a year (Nghị định 101/2017/NĐ-CP): 5 days × 8 periods
ID_CHUNK = 10_000  # ids bound per query when a list is given (SQLite binds at most 32,766)
SOURCES = ("courses", "sessions", "external")


@dataclass(slots=True)
class YearHours:
    """One person's hours in one year, by source, against the requirement."""

    courses: float = 0.0
    sessions: float = 0.0
    external: float = 0.0
    required: float = DEFAULT_REQUIRED
    total: float = 0.0  # the three sources added up (rounded to 1/100 hour)

    @property
    def met(self) -> bool:
        return self.total >= self.required

    @property
    def shortfall(self) -> float:
        """Hours still missing (0 once met)."""
        return max(round(self.required - self.total, 2), 0.0)

    @property
    def fraction(self) -> float:
        """Share of the requirement reached, 0..1 (for a progress bar)."""
        return min(self.total / self.required, 1.0) if self.required > 0 else 1.0


def local_year(now: datetime | None = None) -> int:
    return (now or utcnow()).astimezone(academy_zone()).year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year's first moment and the next year's first moment (local), as aware datetimes."""
    zone = academy_zone()
    return (
        datetime.combine(date(year, 1, 1), time(), zone),
        datetime.combine(date(year + 1, 1, 1), time(), zone),
    )


def default_required() -> float:
    return float(current_app.config.get("TRAINING_HOURS_REQUIRED", DEFAULT_REQUIRED))


def requirement_table() -> dict[str, float]:
    """{folded position: hours} of every position with its own requirement (a small table)."""
    rows = db.session.execute(select(HoursRequirement.position, HoursRequirement.hours))
    return {fold(position): float(hours) for position, hours in rows}


def required_hours(position: str | None, table: dict[str, float] | None = None) -> float:
    """The hours a year a person of ``position`` must reach: the position's own requirement
    (matched ignoring case and diacritics), else ``TRAINING_HOURS_REQUIRED`` (default 40)."""
    table = requirement_table() if table is None else table
    return table.get(fold(position), default_required())


def _id_filter(column, user_ids):
    return column.in_(user_ids if isinstance(user_ids, Select) else list(user_ids))


def _sources(user_ids, year: int):
    """The query of one grouped row per person and source: (user id, source, hours)."""
    start, end = year_bounds(year)
    courses = (
        select(Enrollment.user_id, literal("courses"), func.sum(cast(Course.hours, Float)))
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            _id_filter(Enrollment.user_id, user_ids),
            Enrollment.completed_at >= literal(start, UTCDateTime),
            Enrollment.completed_at < literal(end, UTCDateTime),
        )
        .group_by(Enrollment.user_id)
    )
    sessions = (
        select(
            Attendance.user_id, literal("sessions"), func.sum(cast(TrainingSession.hours, Float))
        )
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(_id_filter(Attendance.user_id, user_ids), *session_counts(start, end))
        .group_by(Attendance.user_id)
    )
    external = (
        select(
            ExternalTraining.user_id,
            literal("external"),
            func.sum(cast(ExternalTraining.hours, Float)),
        )
        .where(
            _id_filter(ExternalTraining.user_id, user_ids),
            ExternalTraining.completed_on >= date(year, 1, 1),
            ExternalTraining.completed_on <= date(year, 12, 31),
        )
        .group_by(ExternalTraining.user_id)
    )
    return union_all(courses, sessions, external)


def session_counts(start: datetime, end: datetime) -> list:
    """The conditions under which an attendance credits its session's hours in [start, end)."""
    return [
        TrainingSession.starts_at >= literal(start, UTCDateTime),
        TrainingSession.starts_at < literal(end, UTCDateTime),
        TrainingSession.cancelled_at.is_(None),
        or_(TrainingSession.requires_sign_out.is_(False), Attendance.checked_out_at.is_not(None)),
    ]


def year_hours(user_ids, year: int) -> dict[int, YearHours]:
    """{user id: YearHours} for every person of ``user_ids`` (a list of ids, or a SELECT of one
    column of ids) in the local calendar ``year``; people without any hours get zeros.

    Set-based: three queries whatever the number of people (a list longer than ``ID_CHUNK`` is
    read a chunk at a time; pass a SELECT for a whole unit)."""
    table = requirement_table()
    if not isinstance(user_ids, Select):
        ids = list(dict.fromkeys(user_ids))
        if len(ids) > ID_CHUNK:
            result: dict[int, YearHours] = {}
            for start in range(0, len(ids), ID_CHUNK):
                result.update(_year_hours(ids[start : start + ID_CHUNK], year, table))
            return result
        user_ids = ids
    return _year_hours(user_ids, year, table)


def _year_hours(user_ids, year: int, table: dict[str, float]) -> dict[int, YearHours]:
    default = default_required()
    connection = db.session.connection()  # plain rows: no ORM result layer for 100,000 people
    sums: dict[int, list[float]] = {}
    for user_id, source, hours in connection.execute(_sources(user_ids, year)):
        sums.setdefault(user_id, [0.0, 0.0, 0.0])[SOURCES.index(source)] = float(hours or 0)
    people = connection.execute(select(User.id, User.position).where(_id_filter(User.id, user_ids)))
    by_position: dict[str | None, float] = {}  # positions repeat: fold each once
    result = {}
    for user_id, position in people:
        required = by_position.get(position)
        if required is None:
            required = by_position[position] = table.get(fold(position), default)
        found = sums.get(user_id)
        if found is None:
            result[user_id] = YearHours(required=required)
        else:
            courses, sessions, external = (_tidy(hours) for hours in found)
            total = _tidy(courses + sessions + external)
            result[user_id] = YearHours(courses, sessions, external, required, total)
    return result


def _tidy(hours: float) -> float:
    """Hours to 1/100 (sums of floats drift); whole and half hours, the usual case, as they are."""
    return hours if (hours * 2).is_integer() else round(hours, 2)


# ---- one person's items -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoursItem:
    """One course, session or external training in a person's year."""

    kind: str  # courses | sessions | external
    title: str
    hours: float
    on: date  # local date: completed, session day, or training completed
    detail: str = ""  # provider, or the session's place
    counted: bool = True  # False: a session that required signing out, not signed out
    record_id: int | None = None  # external training: its record (for the document)
    has_document: bool = False


def year_items(user_id: int, year: int) -> dict[str, list[HoursItem]]:
    """What a person's hours in ``year`` come from, by source, each list by date."""
    zone = academy_zone()
    start, end = year_bounds(year)
    courses = db.session.execute(
        select(Course.title, Course.hours, Enrollment.completed_at)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.user_id == user_id,
            Enrollment.completed_at >= literal(start, UTCDateTime),
            Enrollment.completed_at < literal(end, UTCDateTime),
        )
        .order_by(Enrollment.completed_at)
    )
    sessions = db.session.execute(
        select(TrainingSession, Attendance.checked_out_at)
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .where(Attendance.user_id == user_id, *session_counts(start, end)[:3])
        .order_by(TrainingSession.starts_at)
    )
    external = db.session.scalars(
        select(ExternalTraining)
        .where(
            ExternalTraining.user_id == user_id,
            ExternalTraining.completed_on >= date(year, 1, 1),
            ExternalTraining.completed_on <= date(year, 12, 31),
        )
        .order_by(ExternalTraining.completed_on, ExternalTraining.id)
    )
    return {
        "courses": [
            HoursItem("courses", title, float(hours), at.astimezone(zone).date())
            for title, hours, at in courses
        ],
        "sessions": [
            HoursItem(
                "sessions",
                session.title,
                float(session.hours),
                session.starts_at.astimezone(zone).date(),
                session.place,
                counted=not session.requires_sign_out or out is not None,
            )
            for session, out in sessions
        ],
        "external": [
            HoursItem(
                "external",
                record.title,
                float(record.hours),
                record.completed_on,
                record.provider,
                record_id=record.id,
                has_document=bool(record.document_path),
            )
            for record in external
        ],
    }


def hours_label(hours: float) -> str:
    """Hours as people write them: "12", "12,5" (one decimal at most, the reader's locale)."""
    rounded = round(float(hours), 1)
    return str(int(rounded)) if rounded == int(rounded) else format_decimal(rounded)


# ---- the requirement per position --------------------------------------------------------------


class RequirementClash(BadRequest):
    """Another position already has that name (ignoring case and diacritics)."""


def save_requirement(actor, position: str, hours: float, requirement=None) -> HoursRequirement:
    """Set a position's yearly hours (a new row, or ``requirement`` changed); flushed, audited.
    Two positions whose names differ only in case or diacritics are one position."""
    position = " ".join(position.split())
    clash = next(
        (
            row
            for row in db.session.scalars(select(HoursRequirement))
            if fold(row.position) == fold(position) and row is not requirement
        ),
        None,
    )
    if clash is not None:
        raise RequirementClash(clash.position)
    before = {"position": requirement.position, "hours": requirement.hours} if requirement else {}
    if requirement is None:
        requirement = HoursRequirement()
        db.session.add(requirement)
    requirement.position, requirement.hours = position, round(float(hours), 2)
    db.session.flush()
    record_audit(
        "training.requirement.save",
        target=f"hours_requirement:{requirement.id}",
        detail={"before": before, "after": {"position": position, "hours": requirement.hours}},
        actor=actor,
    )
    return requirement
