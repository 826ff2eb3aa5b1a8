"""The people rows of the compliance matrix: the counted people of one unit, a page at a time, and
where each stands in each mandatory course. A page costs five queries, whatever its size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select

from academy.auth.models import User
from academy.catalog.models import Lesson, Module
from academy.core.pagination import Page, clamp_page
from academy.extensions import db
from academy.learning.counting import counted_person, mandatory
from academy.learning.models import Enrollment, LessonProgress, ModuleResult

DATE = "dd/MM/yyyy"  # a local date, as on every report


@dataclass(frozen=True)
class PersonStatus:
    """One person in one mandatory course, as at the matrix's moment."""

    state: str  # completed | overdue | in_progress | not_started
    completed_at: datetime | None = None
    due_at: datetime | None = None
    progress: int = 0  # percent of lessons read and module quizzes passed

    @property
    def level(self) -> str:
        return {"completed": "good", "overdue": "alert"}.get(self.state, "watch")

    @property
    def text(self) -> str:
        if self.state == "completed":
            return _("Hoàn thành %(date)s", date=format_date(self.completed_at, DATE))
        if self.state == "overdue":
            return _("Quá hạn từ %(date)s", date=format_date(self.due_at, DATE))
        if self.state == "in_progress":
            return _("Đang học %(progress)s%%", progress=self.progress)
        return _("Chưa bắt đầu")

    @property
    def due_text(self) -> str:
        """The due date of open work that is not overdue yet ("" otherwise)."""
        if self.state in ("in_progress", "not_started") and self.due_at is not None:
            return _("hạn %(date)s", date=format_date(self.due_at, DATE))
        return ""


@dataclass
class PersonRow:
    id: int
    full_name: str
    employee_code: str | None
    statuses: dict[int, PersonStatus] = field(default_factory=dict)


def people_page(
    unit_id: int, course_ids: list[int], now: datetime, page: int, per_page: int
) -> tuple[list[PersonRow], Page]:
    """The counted people whose unit is ``unit_id`` (not those below it), in name order, page
    ``page`` of ``per_page`` (0: all of them), with their status in each of ``course_ids``."""
    members = select(User.id).where(User.unit_id == unit_id, counted_person())
    total = db.session.scalar(select(func.count()).select_from(members.subquery())) or 0
    size = per_page or max(total, 1)
    number = clamp_page(page, total, size)
    query = (
        select(User.id, User.full_name, User.employee_code)
        .where(User.unit_id == unit_id, counted_person())
        .order_by(User.search_name, User.id)
        .limit(size)
        .offset((number - 1) * size)
    )
    persons = [PersonRow(*row) for row in db.session.execute(query)]
    _fill_statuses(persons, course_ids, now)
    return persons, Page(persons, number, size, total)


def _fill_statuses(persons: list[PersonRow], course_ids: list[int], now: datetime) -> None:
    if not persons or not course_ids:
        return
    by_id = {p.id: p for p in persons}
    enrolments = db.session.execute(
        select(
            Enrollment.user_id, Enrollment.course_id, Enrollment.due_at, Enrollment.completed_at
        ).where(
            Enrollment.user_id.in_(list(by_id)),
            Enrollment.course_id.in_(course_ids),
            mandatory(),
        )
    ).all()
    if not enrolments:
        return
    steps, done, tried = _progress(list(by_id), course_ids)
    for user_id, course_id, due_at, completed_at in enrolments:
        if completed_at is not None and completed_at <= now:
            status = PersonStatus("completed", completed_at=completed_at)
        elif due_at is not None and due_at < now:
            status = PersonStatus("overdue", due_at=due_at)
        else:
            key = (user_id, course_id)
            total = steps.get(course_id, 0)
            progress = 100 * done.get(key, 0) // total if total else 0
            state = "in_progress" if done.get(key) or key in tried else "not_started"
            status = PersonStatus(state, due_at=due_at, progress=progress)
        by_id[user_id].statuses[course_id] = status


def _progress(user_ids: list[int], course_ids: list[int]):
    """Per course its steps (lessons + modules); per (person, course) the steps done (lessons read,
    module quizzes passed) and whether any quiz was tried: the completion report's measure."""
    steps = {
        course_id: int(lessons) + int(modules)
        for course_id, lessons, modules in db.session.execute(
            select(Module.course_id, func.count(Lesson.id), func.count(func.distinct(Module.id)))
            .outerjoin(Lesson, Lesson.module_id == Module.id)
            .where(Module.course_id.in_(course_ids))
            .group_by(Module.course_id)
        )
    }
    done: dict[tuple[int, int], int] = {}
    for user_id, course_id, n in db.session.execute(
        select(LessonProgress.user_id, Module.course_id, func.count())
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(LessonProgress.user_id.in_(user_ids), Module.course_id.in_(course_ids))
        .group_by(LessonProgress.user_id, Module.course_id)
    ):
        done[(user_id, course_id)] = int(n)
    tried = set()
    for user_id, course_id, passed in db.session.execute(
        select(ModuleResult.user_id, Module.course_id, func.count(ModuleResult.passed_at))
        .join(Module, Module.id == ModuleResult.module_id)
        .where(ModuleResult.user_id.in_(user_ids), Module.course_id.in_(course_ids))
        .group_by(ModuleResult.user_id, Module.course_id)
    ):
        tried.add((user_id, course_id))
        done[(user_id, course_id)] = done.get((user_id, course_id), 0) + int(passed or 0)
    return steps, done, tried
