"""One person's transcript: where they have been, and every course they are enrolled in with its
status, progress, best scores, certificates and the hours it credits, as a page and as a PDF.

Built from a fixed number of queries whatever the number of courses (person, enrolments, modules,
lessons read, module results, certificates, unit history, unit directory): no per-course query.
Statuses are taken as at one moment (``now``) with the rules of ``reports.counting``; a deactivated
person's transcript is built the same way (their records stay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template
from sqlalchemy import case, func, literal, select

from academy.auth.models import UnitMembership, User
from academy.auth.units import UnitInfo, unit_directory
from academy.catalog.models import Course, Lesson, Module
from academy.certificates.models import Certificate
from academy.certificates.services import verify_url
from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.learning.counting import completed_by, overdue_at
from academy.learning.models import Assignment, Enrollment, LessonProgress, ModuleResult
from academy.pdf import STATIC_SCHEME, make_fetcher
from academy.reports.exporters import STATUS_LABELS

STATUSES = ("completed", "overdue", "in_progress", "not_started")


def local_day(moment: datetime | None) -> str:
    """A moment as its local date, dd/mm/yyyy; empty for none."""
    return moment.astimezone(academy_zone()).strftime("%d/%m/%Y") if moment else ""


def local_time(moment: datetime | None) -> str:
    """A moment as local date and time, dd/mm/yyyy HH:MM; empty for none."""
    return moment.astimezone(academy_zone()).strftime("%d/%m/%Y %H:%M") if moment else ""


@dataclass(frozen=True)
class ModuleScore:
    position: int
    title: str
    score: float | None  # best score, 0..1; None if never attempted
    passed: bool


@dataclass(frozen=True)
class CertificateEntry:
    serial: str
    verify_code: str
    issued_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def verify_url(self) -> str:
        """The public address of its verify page (as printed on the certificate)."""
        return verify_url(self.verify_code)


@dataclass
class CourseEntry:
    course_id: int
    title: str
    course_hours: int
    enrolled_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    status: str  # one of STATUSES, as at the transcript's moment
    mandate_unit: UnitInfo | None  # the unit the live mandate was made for; None: voluntary
    mandate_days: int | None  # a mandate due N days after joining
    unbound: bool  # assigned once, by a mandate since cancelled
    progress: int = 0  # percent
    modules: list[ModuleScore] = field(default_factory=list)
    certificates: list[CertificateEntry] = field(default_factory=list)

    @property
    def mandatory(self) -> bool:
        return self.mandate_unit is not None

    @property
    def average(self) -> float | None:
        """The mean of the best scores of the modules attempted (as the completion report)."""
        scores = [m.score for m in self.modules if m.score is not None]
        return sum(scores) / len(scores) if scores else None

    @property
    def hours(self) -> int:
        """Hours credited: the course's hours once completed, else none."""
        return self.course_hours if self.status == "completed" else 0


@dataclass(frozen=True)
class Stay:
    unit: UnitInfo | None
    started_at: datetime
    ended_at: datetime | None


@dataclass
class Transcript:
    person: User
    unit: UnitInfo | None
    history: list[Stay]
    courses: list[CourseEntry]
    now: datetime

    @property
    def year(self) -> int:
        return self.now.astimezone(academy_zone()).year

    @property
    def hours_total(self) -> int:
        return sum(c.hours for c in self.courses)

    @property
    def hours_this_year(self) -> int:
        zone = academy_zone()
        return sum(
            c.hours
            for c in self.courses
            if c.hours and c.completed_at.astimezone(zone).year == self.year
        )

    def count(self, status: str) -> int:
        return sum(1 for c in self.courses if c.status == status)


def build_transcript(person: User, now: datetime | None = None) -> Transcript:
    now = now or utcnow()
    units = unit_directory()
    courses = _course_entries(person.id, now, units)
    return Transcript(
        person=person,
        unit=units.get(person.unit_id) if person.unit_id else None,
        history=_history(person.id, units),
        courses=courses,
        now=now,
    )


def _history(user_id: int, units: dict[int, UnitInfo]) -> list[Stay]:
    """The person's stays in units, the current one first."""
    rows = db.session.execute(
        select(UnitMembership.unit_id, UnitMembership.started_at, UnitMembership.ended_at)
        .where(UnitMembership.user_id == user_id)
        .order_by(UnitMembership.started_at.desc(), UnitMembership.id.desc())
    ).all()
    return [Stay(units.get(r.unit_id), r.started_at, r.ended_at) for r in rows]


def _course_entries(user_id: int, now: datetime, units: dict[int, UnitInfo]) -> list[CourseEntry]:
    settled = case(
        (completed_by(now), literal("completed")),
        (overdue_at(now), literal("overdue")),
        else_=literal("open"),
    )
    rows = db.session.execute(
        select(
            Enrollment.course_id,
            Enrollment.source,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            Course.title,
            Course.hours,
            Assignment.unit_id.label("mandate_unit_id"),
            Assignment.due_days,
            settled.label("settled"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(Assignment, Assignment.id == Enrollment.assignment_id)
        .where(Enrollment.user_id == user_id)
        .order_by(Enrollment.enrolled_at, Enrollment.id)
    ).all()
    if not rows:
        return []
    course_ids = [r.course_id for r in rows]
    modules = _modules(course_ids)
    read = _lessons_read(user_id, course_ids)
    results = _results(user_id, course_ids)
    certificates = _certificates(user_id)
    entries = []
    for r in rows:
        course_modules = modules.get(r.course_id, [])
        scores, lessons, done = [], 0, 0
        for module_id, position, title, lesson_count in course_modules:
            best, passed = results.get(module_id, (None, False))
            scores.append(ModuleScore(position, title, best, passed))
            lessons += lesson_count
            done += read.get(module_id, 0) + (1 if passed else 0)
        steps = lessons + len(course_modules)
        started = any(read.get(m[0]) for m in course_modules) or any(
            s.score is not None for s in scores
        )
        status = r.settled
        if status == "open":
            status = "in_progress" if started else "not_started"
        entries.append(
            CourseEntry(
                course_id=r.course_id,
                title=r.title,
                course_hours=int(r.hours or 0),
                enrolled_at=r.enrolled_at,
                due_at=r.due_at,
                completed_at=r.completed_at if status == "completed" else None,
                status=status,
                mandate_unit=units.get(r.mandate_unit_id) if r.mandate_unit_id else None,
                mandate_days=r.due_days if r.mandate_unit_id else None,
                unbound=r.mandate_unit_id is None and r.source == "assigned",
                progress=100 if status == "completed" else (done * 100 // steps if steps else 0),
                modules=scores,
                certificates=certificates.get(r.course_id, []),
            )
        )
    return entries


def _modules(course_ids: list[int]) -> dict[int, list[tuple]]:
    """Per course: (module id, position, title, lessons) in order."""
    rows = db.session.execute(
        select(Module.course_id, Module.id, Module.position, Module.title, func.count(Lesson.id))
        .outerjoin(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id.in_(course_ids))
        .group_by(Module.course_id, Module.id, Module.position, Module.title)
        .order_by(Module.course_id, Module.position, Module.id)
    ).all()
    modules: dict[int, list[tuple]] = {}
    for course_id, module_id, position, title, lessons in rows:
        modules.setdefault(course_id, []).append((module_id, position, title, int(lessons)))
    return modules


def _lessons_read(user_id: int, course_ids: list[int]) -> dict[int, int]:
    """Per module: lessons the person has read."""
    rows = db.session.execute(
        select(Lesson.module_id, func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonProgress.user_id == user_id, Module.course_id.in_(course_ids))
        .group_by(Lesson.module_id)
    ).all()
    return {module_id: int(count) for module_id, count in rows}


def _results(user_id: int, course_ids: list[int]) -> dict[int, tuple[float, bool]]:
    """Per module: (best score, passed)."""
    rows = db.session.execute(
        select(ModuleResult.module_id, ModuleResult.best_score, ModuleResult.passed_at)
        .join(Module, Module.id == ModuleResult.module_id)
        .where(ModuleResult.user_id == user_id, Module.course_id.in_(course_ids))
    ).all()
    return {r.module_id: (float(r.best_score), r.passed_at is not None) for r in rows}


def _certificates(user_id: int) -> dict[int, list[CertificateEntry]]:
    """Per course: the person's certificates, the valid one first, then revoked ones, newest
    first."""
    rows = db.session.execute(
        select(
            Certificate.course_id,
            Certificate.serial,
            Certificate.verify_code,
            Certificate.issued_at,
            Certificate.revoked_at,
        )
        .where(Certificate.user_id == user_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.issued_at.desc())
    ).all()
    certificates: dict[int, list[CertificateEntry]] = {}
    for r in rows:
        certificates.setdefault(r.course_id, []).append(
            CertificateEntry(r.serial, r.verify_code, r.issued_at, r.revoked_at)
        )
    return certificates


def render_pdf(transcript: Transcript) -> bytes:
    """The transcript as an A4 PDF (WeasyPrint), fonts from the package's static folder only."""
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only when a PDF is asked for

    html = render_template(
        "reports/transcript_pdf.html",
        t=transcript,
        day=local_day,
        statuses=STATUS_LABELS,
        generated_at=local_time(transcript.now),
        static_prefix=STATIC_SCHEME,
    )
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=make_fetcher()).write_pdf()
