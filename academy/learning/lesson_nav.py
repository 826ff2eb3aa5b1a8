"""The way through a course: the outline beside each lesson (read / current / not yet, each module's
quiz), previous and next, and where "mark as done" or a passed quiz leads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, load_only

from academy.catalog.models import Lesson, Module, Question
from academy.database import db
from academy.learning.models import LessonProgress, ModuleResult


def course_outline(course) -> list[Lesson]:
    """Every lesson of the course in reading order, without their bodies; each lesson's module
    (slug and title) comes with it, for links."""
    return list(
        db.session.scalars(
            select(Lesson)
            .join(Lesson.module)
            .where(Module.course_id == course.id)
            .options(
                load_only(Lesson.id, Lesson.slug, Lesson.title, Lesson.module_id, Lesson.position),
                contains_eager(Lesson.module).load_only(
                    Module.id, Module.slug, Module.title, Module.course_id, Module.position
                ),
            )
            .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
        )
    )


@dataclass
class OutlineLesson:
    id: int
    slug: str
    title: str
    module_slug: str
    is_done: bool


@dataclass
class OutlineModule:
    id: int
    slug: str
    title: str
    question_count: int  # what one attempt shows: the draw, or every active question
    best_score: float | None
    passed: bool
    time_limit: int | None = None  # minutes; the clock starts when the quiz page opens
    lessons: list[OutlineLesson] = field(default_factory=list)

    @property
    def has_quiz(self) -> bool:
        return self.question_count > 0

    @property
    def lessons_done(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.is_done)

    @property
    def all_read(self) -> bool:
        return self.lessons_done == len(self.lessons)


@dataclass
class CourseMap:
    """One learner's view of a course's modules, lessons and quizzes, in reading order."""

    modules: list[OutlineModule]

    @property
    def lessons(self) -> list[OutlineLesson]:
        return [lesson for module in self.modules for lesson in module.lessons]

    @property
    def lessons_done(self) -> int:
        return sum(module.lessons_done for module in self.modules)

    @property
    def is_complete(self) -> bool:
        return bool(self.modules) and all(module.passed for module in self.modules)

    def module_of(self, lesson_id: int) -> OutlineModule:
        return next(m for m in self.modules if any(lesson.id == lesson_id for lesson in m.lessons))


class Step(NamedTuple):
    """Where to go next: a lesson (module and lesson slug), a module's quiz, or the course's end."""

    kind: str  # "lesson" | "quiz" | "end"
    module: OutlineModule | None = None
    lesson: OutlineLesson | None = None


def course_map(user, course) -> CourseMap:
    """The outline of ``course`` with ``user``'s lessons read and quizzes passed (two queries)."""
    modules = [
        OutlineModule(
            row.id,
            row.slug,
            row.title,
            _shown(row.active, row.quiz_draw),
            row.best_score,
            row.passed_at is not None,
            row.quiz_time_limit,
        )
        for row in db.session.execute(_module_rows(user, course))
    ]
    by_id = {module.id: module for module in modules}
    for row in db.session.execute(_lesson_rows(user, course)):
        module = by_id[row.module_id]
        module.lessons.append(
            OutlineLesson(row.id, row.slug, row.title, module.slug, row.read_id is not None)
        )
    return CourseMap(modules)


def _module_rows(user, course):
    active = (
        select(func.count(Question.id))
        .where(Question.module_id == Module.id, Question.is_active.is_(True))
        .correlate(Module)
        .scalar_subquery()
    )
    return (
        select(
            Module.id,
            Module.slug,
            Module.title,
            Module.quiz_draw,
            Module.quiz_time_limit,
            active.label("active"),
            ModuleResult.best_score,
            ModuleResult.passed_at,
        )
        .outerjoin(
            ModuleResult, and_(ModuleResult.module_id == Module.id, ModuleResult.user_id == user.id)
        )
        .where(Module.course_id == course.id)
        .order_by(Module.position, Module.id)
    )


def _lesson_rows(user, course):
    return (
        select(
            Lesson.id,
            Lesson.slug,
            Lesson.title,
            Lesson.module_id,
            LessonProgress.id.label("read_id"),
        )
        .join(Lesson.module)
        .outerjoin(
            LessonProgress,
            and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id),
        )
        .where(Module.course_id == course.id)
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
    )


def _shown(active: int, draw: int | None) -> int:
    return min(active, draw) if draw else active


def lesson_context(user, course, lesson) -> dict:
    """Template context for the lesson page: the outline, neighbours, position, done state, quiz."""
    outline = course_map(user, course)
    lessons = outline.lessons
    index = next(i for i, item in enumerate(lessons) if item.id == lesson.id)
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    here = outline.module_of(lesson.id)
    return {
        "module": lesson.module,
        "outline": outline,
        "previous": lessons[index - 1] if index > 0 else None,
        "following": following,
        "position": index + 1,
        "lesson_count": len(lessons),
        "is_done": lessons[index].is_done,
        "is_last_in_module": here.lessons[-1].id == lesson.id,
        "has_quiz": here.has_quiz,
        "quiz_passed": here.passed,
    }


def step_after_lesson(outline: CourseMap, lesson_id: int) -> Step:
    """Where "mark as done" leads: the module's next lesson; after its last one the module's quiz
    (unless passed already); else on into the next module not yet passed."""
    module = outline.module_of(lesson_id)
    ids = [lesson.id for lesson in module.lessons]
    at = ids.index(lesson_id)
    if at + 1 < len(ids):
        return Step("lesson", module, module.lessons[at + 1])
    if module.has_quiz and not module.passed:
        return Step("quiz", module)
    return step_after_module(outline, module.id)


def step_after_module(outline: CourseMap, module_id: int) -> Step:
    """After a module: the next module not yet passed (looking past this one first, then from the
    start) at its first unread lesson, else its quiz; "end" when there is none."""
    at = next(i for i, module in enumerate(outline.modules) if module.id == module_id)
    for module in outline.modules[at + 1 :] + outline.modules[:at]:
        if not module.passed and (module.lessons or module.has_quiz):
            return _way_into(module)
    return Step("end")


def _way_into(module: OutlineModule) -> Step:
    read = {lesson.id for lesson in module.lessons if lesson.is_done}
    if len(read) < len(module.lessons) or not module.has_quiz:
        return Step("lesson", module, next_lesson(module.lessons, read))
    return Step("quiz", module)


def next_lesson(lessons: list, done: set[int], last_id: int | None = None):
    """The lesson to open next: the last one visited (``last_id``) if unread, else the first unread
    one after it (wrapping round), else that one again; None when there are no lessons."""
    if not lessons:
        return None
    start = next((i for i, lesson in enumerate(lessons) if lesson.id == last_id), 0)
    if lessons[start].id not in done:
        return lessons[start]
    later = [lesson for lesson in lessons[start:] + lessons[:start] if lesson.id not in done]
    return later[0] if later else lessons[start]


def after_module(user, module) -> Step:
    """For a result page: where a learner goes once ``module`` is behind them."""
    return step_after_module(course_map(user, module.course), module.id)
