"""The way through a course: the outline beside each lesson (read / current / not yet, each module's
quiz), previous and next, and where "mark as done" or a passed quiz leads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import String, bindparam, case, cast, func, select
from sqlalchemy.orm import aliased, contains_eager, load_only

from academy.cache import local_cache, remembered
from academy.catalog.models import Lesson, Module, Question
from academy.catalog.stamps import course_stamp
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
    stamp: str = ""  # the course's version (catalog.stamps.course_stamp)

    @property
    def cache_key(self) -> str:
        """Everything the outline shows, for its cached fragment: the course's version and this
        learner's state in it (lessons read, quiz results); nothing else about the learner."""
        state = repr(
            [
                (m.id, m.best_score, m.passed, [lesson.is_done for lesson in m.lessons])
                for m in self.modules
            ]
        )
        return f"{self.stamp}:{hashlib.sha256(state.encode()).hexdigest()[:32]}"

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


@dataclass
class LearnerState:
    """A learner's lessons read and module results (id → (best score, passed)) in one course."""

    read: set[int] = field(default_factory=set)
    results: dict[int, tuple[float | None, bool]] = field(default_factory=dict)

    @classmethod
    def from_strings(cls, read: str | None, results: str | None) -> LearnerState:
        """From ``LEARNER_STATE_COLUMNS``, read beside another query."""
        state = cls({int(i) for i in (read or "").split(",") if i})
        for item in (results or "").split(";"):
            if item:
                module_id, score, passed = item.split(":")
                state.results[int(module_id)] = (float(score) if score else None, passed == "1")
        return state


def learner_state_columns(course_id, user_id) -> tuple:
    """Two scalar subqueries giving a learner's state in a course as strings, labelled ``read``
    (lesson ids read) and ``results`` (module:score:passed), to read with another query:
    ``LearnerState.from_strings``."""
    lesson, module = aliased(Lesson), aliased(Module)
    read = (
        select(func.aggregate_strings(cast(LessonProgress.lesson_id, String), ","))
        .join(lesson, lesson.id == LessonProgress.lesson_id)
        .join(module, module.id == lesson.module_id)
        .where(LessonProgress.user_id == user_id, module.course_id == course_id)
        .scalar_subquery()
    )
    passed = case((ModuleResult.passed_at.is_(None), "0"), else_="1")
    score = func.coalesce(cast(ModuleResult.best_score, String), "")
    of_module = aliased(Module)
    results = (
        select(
            func.aggregate_strings(
                cast(ModuleResult.module_id, String) + ":" + score + ":" + passed, ";"
            )
        )
        .join(of_module, of_module.id == ModuleResult.module_id)
        .where(ModuleResult.user_id == user_id, of_module.course_id == course_id)
        .scalar_subquery()
    )
    return read.label("read"), results.label("results")


class Step(NamedTuple):
    """Where to go next: a lesson (module and lesson slug), a module's quiz, or the course's end."""

    kind: str  # "lesson" | "quiz" | "end"
    module: OutlineModule | None = None
    lesson: OutlineLesson | None = None


def course_map(user, course, state: LearnerState | None = None) -> CourseMap:
    """The outline of ``course`` with ``user``'s lessons read and quizzes passed (two queries).

    The course's shape (modules, lessons, quiz sizes) is kept per course version; only the
    learner's own state is read each time, unless the caller read it already (``state``)."""
    stamp = course_stamp(course)
    shape = remembered(local_cache, f"outline:{stamp}", lambda: _course_shape(course.id))
    if state is None:
        row = db.session.execute(_LEARNER_STATE, {"user_id": user.id, "course_id": course.id})
        state = LearnerState.from_strings(*row.one())
    read, results = state.read, state.results
    modules = []
    for module_id, slug, title, shown, time_limit, lessons in shape:
        result = results.get(module_id)
        module = OutlineModule(
            module_id,
            slug,
            title,
            shown,
            result[0] if result else None,
            bool(result and result[1]),
            time_limit,
        )
        module.lessons = [OutlineLesson(*lesson, slug, lesson[0] in read) for lesson in lessons]
        modules.append(module)
    return CourseMap(modules, stamp)


def _course_shape(course_id: int) -> list[tuple]:
    """(module id, slug, title, questions shown, time limit, [(lesson id, slug, title)…])."""
    active = (
        select(func.count(Question.id))
        .where(Question.module_id == Module.id, Question.is_active.is_(True))
        .correlate(Module)
        .scalar_subquery()
    )
    modules = db.session.execute(
        select(
            Module.id, Module.slug, Module.title, Module.quiz_draw, Module.quiz_time_limit, active
        )
        .where(Module.course_id == course_id)
        .order_by(Module.position, Module.id)
    ).all()
    lessons: dict[int, list] = {row[0]: [] for row in modules}
    for row in db.session.execute(
        select(Lesson.id, Lesson.slug, Lesson.title, Lesson.module_id)
        .join(Lesson.module)
        .where(Module.course_id == course_id)
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
    ):
        lessons[row.module_id].append((row.id, row.slug, row.title))
    return [
        (m_id, slug, title, _shown(count, draw), limit, lessons[m_id])
        for m_id, slug, title, draw, limit, count in modules
    ]


# The learner's state in one course, in one statement built once (the lesson page reads the same
# two columns beside its own query).
_LEARNER_STATE = select(*learner_state_columns(bindparam("course_id"), bindparam("user_id")))


def _shown(active: int, draw: int | None) -> int:
    return min(active, draw) if draw else active


def lesson_context(user, course, lesson, state: LearnerState | None = None) -> dict:
    """Template context for the lesson page: the outline, neighbours, position, done state, quiz."""
    outline = course_map(user, course, state)
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
