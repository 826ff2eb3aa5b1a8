"""The completion report as ONE set-based query: enrolments joined to per-(learner, course)
aggregates of lesson progress and module results. No per-row queries, whatever the row count.

What it counts follows ``academy.learning.counting``: active people only, and every status "as at" a
moment. A period (``date_from``/``date_to``, local days) keeps the rows whose due date falls in it
(mandatory courses) or that were completed in it, and takes status, progress, completion date and
certificate as at the end of the period (or now, if that is earlier): a completion after the
period does not count in it.

Exports run that query once per unit name (``unit_ids``), so the database sorts one group of units'
rows at a time instead of the whole city's; the groups, taken in name order, give the same order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.types import NullType

from academy.auth.models import Unit, User
from academy.catalog.models import Course, Lesson, Module
from academy.certificates.models import Certificate
from academy.database import UTCDateTime, utcnow
from academy.i18n import academy_zone
from academy.learning.counting import completed_by, counted_person, mandatory, overdue_at
from academy.learning.models import Enrollment, LessonProgress, ModuleResult

STATUSES = ("not_started", "in_progress", "completed", "overdue")
SORTS = (
    "unit",
    "name",
    "code",
    "course",
    "enrolled",
    "due",
    "progress",
    "score",
    "completed",
    "status",
)


@dataclass
class ReportFilters:
    """What the reader asked for. ``scope`` is the widest subtree the reader may see (None = all);
    ``unit`` narrows it (it is always inside the scope: see services.resolve_filters)."""

    scope: Unit | None = None
    unit: Unit | None = None
    course_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    kind: str | None = None  # "mandatory", "voluntary" or None for both
    now: datetime = field(default_factory=utcnow)

    @property
    def subtree(self) -> Unit | None:
        return self.unit or self.scope

    @property
    def period_start(self) -> datetime | None:
        """The period's first instant: the start of ``date_from`` in local time (as UTC)."""
        return _local_midnight(self.date_from) if self.date_from else None

    @property
    def period_end(self) -> datetime | None:
        """The instant after the period: the start of the local day after ``date_to`` (as UTC)."""
        return _local_midnight(self.date_to + timedelta(days=1)) if self.date_to else None

    @property
    def as_of(self) -> datetime:
        """The moment the report's figures are taken at: the end of the period (its last
        microsecond, local time), or now if that is earlier."""
        end = self.period_end
        if end is None:
            return self.now
        return min(self.now, end - timedelta(microseconds=1))

    @property
    def in_the_past(self) -> bool:
        """Whether the figures are taken before now (a period that has ended)."""
        return self.as_of < self.now

    def describe(self) -> dict:
        """Plain data for the audit log."""
        return {
            "unit": self.subtree.code if self.subtree else None,
            "course_id": self.course_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "status": self.status,
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
        }


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, academy_zone()).astimezone(UTC)


def _scoped_users(filters: ReportFilters, unit_ids=None):
    if unit_ids is not None:
        return select(User.id).where(User.unit_id.in_(unit_ids))
    unit = filters.subtree
    if unit is None:
        return None
    return select(User.id).join(Unit, User.unit_id == Unit.id).where(unit.subtree_filter())


def _lesson_totals():
    """Per course: lessons and modules, the steps progress is counted in."""
    return (
        select(
            Module.course_id.label("course_id"),
            func.count(Lesson.id).label("total"),
            func.count(func.distinct(Module.id)).label("modules"),
        )
        .outerjoin(Lesson, Lesson.module_id == Module.id)
        .group_by(Module.course_id)
        .subquery("lt")
    )


def _learner_progress(filters: ReportFilters, unit_ids=None):
    """Per (learner, course): lessons read, module quizzes passed and the average best module score.

    Lesson progress and module results go through ONE grouped pass (a union), not one each: a
    single sort, and a single lookup structure for the join to enrolments.

    For a period that has ended, only what was done by its end counts: lessons read by then,
    quizzes passed by then, and best scores not changed since (a later attempt may have changed
    the best, which is then unknown as at the period's end: that module has no score there).
    """
    score, passed = ModuleResult.best_score, ModuleResult.passed_at.is_not(None)
    lessons = (
        select(
            LessonProgress.user_id.label("user_id"),
            Module.course_id.label("course_id"),
            literal_column("1").label("lesson"),
            cast(null(), Float).label("score"),
            literal_column("0").label("passed"),
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
    )
    if filters.in_the_past:
        as_of = literal(filters.as_of, UTCDateTime)
        lessons = lessons.where(LessonProgress.completed_at <= as_of)
        score = case((ModuleResult.updated_at <= as_of, ModuleResult.best_score), else_=null())
        passed = passed & (ModuleResult.passed_at <= as_of)
    results = select(
        ModuleResult.user_id,
        Module.course_id,
        literal_column("0"),
        score,
        case((passed, 1), else_=0),
    ).join(Module, Module.id == ModuleResult.module_id)
    users = _scoped_users(filters, unit_ids)
    if users is not None:
        lessons = lessons.where(LessonProgress.user_id.in_(users))
        results = results.where(ModuleResult.user_id.in_(users))
    steps = union_all(lessons, results).subquery("steps")
    return (
        select(
            steps.c.user_id,
            steps.c.course_id,
            func.sum(steps.c.lesson).label("done"),
            func.avg(steps.c.score).label("score"),
            func.sum(steps.c.passed).label("passed"),
        )
        .group_by(steps.c.user_id, steps.c.course_id)
        .subquery("lp")
    )


def status_expr(done, score, as_of: datetime):
    """completed > overdue > in progress > not started, as SQL, as at ``as_of``: completed by
    then; overdue when due before then and not completed by then (never without a due date)."""
    return case(
        (completed_by(as_of), literal("completed")),
        (overdue_at(as_of), literal("overdue")),
        (func.coalesce(done, 0) > 0, literal("in_progress")),
        (score.is_not(None), literal("in_progress")),
        else_=literal("not_started"),
    )


def completion_select(
    filters: ReportFilters,
    sort: str = "unit",
    descending: bool = False,
    *,
    unit_ids=None,
    raw_times: bool = False,
):
    """The report: one row per enrolment of an active person, with everything the exports show,
    as at ``filters.as_of`` (a completion after it shows no completion date and no certificate).

    ``unit_ids`` (ids, or an expanding bind parameter) keeps the learners of those units only: an
    export's group. ``raw_times`` leaves the three times as the driver gives them (text on SQLite)
    for exporters that convert them in bulk.
    """
    lt, lp = _lesson_totals(), _learner_progress(filters, unit_ids)
    as_of = filters.as_of
    done_by_then = completed_by(as_of)
    # The same measure the learner sees: lessons read and module quizzes passed count alike.
    done = func.coalesce(lp.c.done, 0) + func.coalesce(lp.c.passed, 0)
    steps = func.coalesce(lt.c.total, 0) + func.coalesce(lt.c.modules, 0)
    progress = case(
        (done_by_then, literal(100)),
        (steps > 0, (done * 100) // steps),
        else_=literal(0),
    )
    status = status_expr(lp.c.done, lp.c.score, as_of).label("status")
    completed = case((done_by_then, Enrollment.completed_at), else_=null())
    enrolled_at, due_at, completed_at = (
        type_coerce(column, NullType() if raw_times else UTCDateTime()).label(key)
        for key, column in (
            ("enrolled_at", Enrollment.enrolled_at),
            ("due_at", Enrollment.due_at),
            ("completed_at", completed),
        )
    )
    query = (
        select(
            Enrollment.id.label("enrollment_id"),
            Unit.id.label("unit_id"),
            Unit.name.label("unit_name"),
            Unit.code.label("unit_code"),
            User.employee_code,
            User.full_name,
            User.position,
            Course.title.label("course_title"),
            Enrollment.source,
            enrolled_at,
            due_at,
            progress.label("progress"),
            (lp.c.score * 100).label("score"),
            completed_at,
            status,
            case((done_by_then, Certificate.serial), else_=null()).label("certificate_serial"),
        )
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .join(Course, Course.id == Enrollment.course_id)
        .outerjoin(lt, lt.c.course_id == Enrollment.course_id)
        .outerjoin(
            lp, and_(lp.c.user_id == Enrollment.user_id, lp.c.course_id == Enrollment.course_id)
        )
        .outerjoin(
            Certificate,
            and_(
                Certificate.user_id == Enrollment.user_id,
                Certificate.course_id == Enrollment.course_id,
                Certificate.revoked_at.is_(None),
            ),
        )
        .where(counted_person())
    )
    if unit_ids is not None:
        query = query.where(User.unit_id.in_(unit_ids))
    query = _apply_filters(query, filters, status)
    return query.order_by(*_ordering(sort, descending, progress, lp.c.score, status, completed))


def export_unit_groups(filters: ReportFilters):
    """The units in the report (id, name) in name order, the report's first sort key: an export runs
    the report once per name, for the units of that name."""
    query = select(Unit.id, Unit.name).order_by(Unit.name, Unit.id)
    if filters.subtree is not None:
        query = query.where(filters.subtree.subtree_filter())
    return query


def in_period(filters: ReportFilters):
    """The period's rows: due in the period (mandatory courses), or completed in it. Days are
    local days; None when the report has no period."""
    start, end = filters.period_start, filters.period_end
    if start is None and end is None:
        return None

    def within(column):
        condition = column.is_not(None)
        if start is not None:
            condition &= column >= literal(start, UTCDateTime)
        if end is not None:
            condition &= column < literal(end, UTCDateTime)
        return condition

    return (mandatory() & within(Enrollment.due_at)) | within(Enrollment.completed_at)


def _apply_filters(query, filters: ReportFilters, status):
    unit = filters.subtree
    if unit is not None:
        query = query.where(unit.subtree_filter())
    if filters.course_id:
        query = query.where(Enrollment.course_id == filters.course_id)
    if filters.kind == "mandatory":
        query = query.where(mandatory())
    elif filters.kind == "voluntary":
        query = query.where(~mandatory())
    period = in_period(filters)
    if period is not None:
        query = query.where(period)
    if filters.status in STATUSES:
        query = query.where(status == filters.status)
    return query


def _ordering(sort, descending, progress, score, status, completed):
    columns = {
        "unit": [Unit.name, User.full_name, Course.title],
        "name": [User.full_name, Course.title],
        "code": [User.employee_code, Course.title],
        "course": [Course.title, User.full_name],
        "enrolled": [Enrollment.enrolled_at],
        "due": [Enrollment.due_at],
        "progress": [progress],
        "score": [score],
        "completed": [completed],
        "status": [status],
    }.get(sort) or [Unit.name, User.full_name, Course.title]
    ordered = [c.desc() if descending else c.asc() for c in columns]
    return [*ordered, Enrollment.id.desc() if descending else Enrollment.id.asc()]


def totals_select(filters: ReportFilters):
    """Row count, completed, overdue, average progress and average score of the filtered report."""
    rows = completion_select(filters).order_by(None).subquery("r")
    return select(
        func.count().label("rows"),
        func.coalesce(func.sum(case((rows.c.status == "completed", 1), else_=0)), 0).label(
            "completed"
        ),
        func.coalesce(func.sum(case((rows.c.status == "overdue", 1), else_=0)), 0).label("overdue"),
        func.avg(rows.c.progress).label("progress"),
        func.avg(rows.c.score).label("score"),
    )


def unit_summary_select(filters: ReportFilters):
    """Per-unit totals of the filtered report (the PDF's first part)."""
    rows = completion_select(filters).order_by(None).subquery("r")
    return (
        select(
            rows.c.unit_id,
            rows.c.unit_name,
            rows.c.unit_code,
            func.count().label("rows"),
            func.sum(case((rows.c.status == "completed", 1), else_=0)).label("completed"),
            func.sum(case((rows.c.status == "overdue", 1), else_=0)).label("overdue"),
            func.avg(rows.c.progress).label("progress"),
            func.avg(rows.c.score).label("score"),
        )
        .group_by(rows.c.unit_id, rows.c.unit_name, rows.c.unit_code)
        .order_by(rows.c.unit_name, rows.c.unit_id)
    )
