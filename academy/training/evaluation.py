"""The year-end evaluation of a unit's cadres: per person, the year's training hours by kind
against the requirement, and what they came from (courses completed, sessions attended, training
recorded from outside), with the courses' scores and the certificates issued; per unit, the
year's targets against their results. Read by the XLSX and PDF exports (``evaluation_files``).

Set-based: a fixed number of queries whatever the number of people (units, people, hours,
courses, scores, certificates, sessions, external training, targets). People are those active
now, counted in the unit they are in now (as every HR figure: ``academy.learning.counting``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, literal, select

from academy.auth.models import Unit, User
from academy.auth.units import UnitInfo, unit_directory
from academy.catalog.models import TRACK_LABELS, Course, Module
from academy.certificates.models import Certificate
from academy.database import UTCDateTime, db, utcnow
from academy.i18n import academy_zone
from academy.learning.counting import counted_person
from academy.learning.models import Enrollment, ModuleResult
from academy.training.hours import session_counts, year_bounds, year_hours
from academy.training.models import Attendance, ExternalTraining, TrainingSession, UnitTarget
from academy.training.targets import target_report

SOURCES = ("course", "session", "external")


def local_date(moment: datetime) -> date:
    return moment.astimezone(academy_zone()).date()


@dataclass(frozen=True)
class HourItem:
    """One thing a person's hours came from: a course completed, a session attended, or
    training recorded from outside."""

    source: str  # one of SOURCES
    title: str
    day: date  # local date: completed, held, or completed outside
    hours: float
    provider: str = ""


@dataclass
class CadreYear:
    """One person's training year."""

    user_id: int
    full_name: str
    employee_code: str
    position: str
    unit: UnitInfo | None
    courses_hours: float = 0.0
    sessions_hours: float = 0.0
    external_hours: float = 0.0
    total: float = 0.0
    required: float = 0.0
    met: bool = False
    items: list[HourItem] = field(default_factory=list)
    average_score: float | None = None  # 0..1, best scores of the completed courses' modules
    certificates: list[str] = field(default_factory=list)  # serials issued in the year

    def of(self, source: str) -> list[HourItem]:
        return [item for item in self.items if item.source == source]

    @property
    def courses(self) -> list[HourItem]:
        return self.of("course")

    @property
    def sessions(self) -> list[HourItem]:
        return self.of("session")

    @property
    def external(self) -> list[HourItem]:
        return self.of("external")


@dataclass(frozen=True)
class TargetLine:
    """One of a unit's targets for the year with its result (None when none is measured)."""

    unit: UnitInfo | None
    kind: str
    subject: str  # the course or track it is about; empty for the others
    target: float  # a share 0..1, or hours for average_hours
    result: float | None
    due_on: date | None
    status: str  # as ``targets``: met, on_track, behind, overdue, not_started, no_data


@dataclass
class Evaluation:
    unit: UnitInfo | None  # None: the whole city (an admin's choice)
    year: int
    generated_at: datetime
    people: list[CadreYear]
    targets: list[TargetLine]

    @property
    def met_count(self) -> int:
        return sum(1 for person in self.people if person.met)

    def average(self, attribute: str = "total") -> float:
        if not self.people:
            return 0.0
        return sum(getattr(person, attribute) for person in self.people) / len(self.people)


def people_select(scope: Unit | None):
    """Ids of the people an evaluation of ``scope`` covers: active, now in the unit or below."""
    query = select(User.id).where(counted_person())
    if scope is not None:
        query = query.where(User.unit_id.in_(scope.subtree_ids_select()))
    return query


def count_people(scope: Unit | None) -> int:
    return db.session.scalar(select(func.count()).select_from(people_select(scope).subquery()))


def build_evaluation(scope: Unit | None, year: int, now: datetime | None = None) -> Evaluation:
    """The year of every person of ``scope`` (None: everyone), sorted by unit then name, and
    the targets of ``scope``'s units for ``year``."""
    now = now or utcnow()
    units = unit_directory()
    ids = people_select(scope)
    people = _people(ids, units)
    hours = year_hours(ids, year)
    items = _items(ids, year)
    scores = _average_scores(ids, year)
    certificates = _certificates(ids, year)
    for person in people:
        found = hours.get(person.user_id)
        if found is not None:
            person.courses_hours, person.sessions_hours = found.courses, found.sessions
            person.external_hours, person.total = found.external, found.total
            person.required, person.met = found.required, found.met
        person.items = items.get(person.user_id, [])
        person.average_score = scores.get(person.user_id)
        person.certificates = certificates.get(person.user_id, [])
    return Evaluation(
        unit=units.get(scope.id) if scope is not None else None,
        year=year,
        generated_at=now,
        people=people,
        targets=_targets(scope, year, units, now),
    )


def _people(ids, units: dict[int, UnitInfo]) -> list[CadreYear]:
    rows = db.session.execute(
        select(User.id, User.full_name, User.employee_code, User.position, User.unit_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.id.in_(ids))
        .order_by(Unit.path.is_(None), Unit.path, User.full_name, User.id)
    ).all()
    return [
        CadreYear(
            user_id=r.id,
            full_name=r.full_name,
            employee_code=r.employee_code or "",
            position=r.position or "",
            unit=units.get(r.unit_id),
        )
        for r in rows
    ]


def _items(ids, year: int) -> dict[int, list[HourItem]]:
    """Per person, what the year's hours came from, each kind in date order."""
    start, end = _bounds(year)
    found: dict[int, list[HourItem]] = {}
    courses = db.session.execute(
        select(Enrollment.user_id, Course.title, Enrollment.completed_at, Course.hours)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.user_id.in_(ids),
            Enrollment.completed_at >= start,
            Enrollment.completed_at < end,
        )
        .order_by(Enrollment.completed_at, Enrollment.id)
    ).all()
    for r in courses:
        item = HourItem("course", r.title, local_date(r.completed_at), float(r.hours or 0))
        found.setdefault(r.user_id, []).append(item)
    sessions = db.session.execute(
        select(Attendance.user_id, TrainingSession.title, TrainingSession.starts_at)
        .add_columns(TrainingSession.hours)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(Attendance.user_id.in_(ids), *session_counts(*year_bounds(year)))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()
    for r in sessions:
        item = HourItem("session", r.title, local_date(r.starts_at), float(r.hours or 0))
        found.setdefault(r.user_id, []).append(item)
    external = db.session.execute(
        select(ExternalTraining)
        .where(
            ExternalTraining.user_id.in_(ids),
            ExternalTraining.completed_on >= date(year, 1, 1),
            ExternalTraining.completed_on <= date(year, 12, 31),
        )
        .order_by(ExternalTraining.completed_on, ExternalTraining.id)
    ).scalars()
    for r in external:
        item = HourItem("external", r.title, r.completed_on, float(r.hours), r.provider or "")
        found.setdefault(r.user_id, []).append(item)
    return found


def _average_scores(ids, year: int) -> dict[int, float]:
    """Per person, the mean best score over the modules of the courses completed in the year
    (modules never attempted are left out, as in the completion report)."""
    start, end = _bounds(year)
    rows = db.session.execute(
        select(Enrollment.user_id, func.avg(ModuleResult.best_score))
        .join(Module, Module.course_id == Enrollment.course_id)
        .join(
            ModuleResult,
            (ModuleResult.module_id == Module.id) & (ModuleResult.user_id == Enrollment.user_id),
        )
        .where(
            Enrollment.user_id.in_(ids),
            Enrollment.completed_at >= start,
            Enrollment.completed_at < end,
        )
        .group_by(Enrollment.user_id)
    ).all()
    return {user_id: float(score) for user_id, score in rows if score is not None}


def _certificates(ids, year: int) -> dict[int, list[str]]:
    """Per person, the serials of the certificates issued in the year and not revoked."""
    start, end = _bounds(year)
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.serial)
        .where(
            Certificate.user_id.in_(ids),
            Certificate.revoked_at.is_(None),
            Certificate.issued_at >= start,
            Certificate.issued_at < end,
        )
        .order_by(Certificate.issued_at, Certificate.id)
    ).all()
    found: dict[int, list[str]] = {}
    for user_id, serial in rows:
        found.setdefault(user_id, []).append(serial)
    return found


def _bounds(year: int):
    """The local calendar year as bound values for UTC columns (the rule of ``hours``)."""
    start, end = year_bounds(year)
    return literal(start, UTCDateTime), literal(end, UTCDateTime)


def _targets(
    scope: Unit | None, year: int, units: dict[int, UnitInfo], now: datetime
) -> list[TargetLine]:
    """The year's targets of ``scope``'s units (itself and below; every unit for None), each
    with its value now (or at the end of its due day): a fixed number of queries per target."""
    query = (
        select(UnitTarget, Unit, Course.title)
        .join(Unit, Unit.id == UnitTarget.unit_id)
        .outerjoin(Course, Course.id == UnitTarget.course_id)
        .where(UnitTarget.year == year)
        .order_by(Unit.path, UnitTarget.due_on, UnitTarget.kind, UnitTarget.id)
    )
    if scope is not None:
        query = query.where(scope.subtree_filter())
    lines = []
    for target, unit, course_title in db.session.execute(query).all():
        progress = target_report(target, unit, units, now, children=False).unit
        subject = course_title or str(TRACK_LABELS.get(target.track, target.track or ""))
        lines.append(
            TargetLine(
                unit=units.get(unit.id),
                kind=target.kind,
                subject=subject,
                target=target.target,
                result=progress.current,
                due_on=target.due_on,
                status=progress.status,
            )
        )
    return lines
