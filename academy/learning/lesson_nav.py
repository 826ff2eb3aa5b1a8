"""Where a lesson sits in its course: breadcrumbs, previous/next, the quiz after a module."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, load_only

from academy.catalog.models import Lesson, Module
from academy.database import db
from academy.learning.models import LessonProgress


def course_outline(course) -> list[Lesson]:
    """Every lesson of the course in reading order, without their bodies; each lesson's module
    (slug and title) comes with it, for links."""
    return list(db.session.scalars(
        select(Lesson).join(Lesson.module).where(Module.course_id == course.id)
        .options(load_only(Lesson.id, Lesson.slug, Lesson.title, Lesson.module_id, Lesson.position),
                 contains_eager(Lesson.module).load_only(Module.id, Module.slug, Module.title,
                                                         Module.course_id, Module.position))
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)))


def lesson_context(user, course, lesson) -> dict:
    """Template context for the lesson page: neighbours, position, done state, quiz link."""
    from academy.learning.services import active_question_counts

    lessons = course_outline(course)
    index = next(i for i, item in enumerate(lessons) if item.id == lesson.id)
    previous = lessons[index - 1] if index > 0 else None
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    module = lesson.module
    is_done = db.session.scalar(select(LessonProgress.id).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)) is not None
    return {
        "module": module,
        "previous": previous,
        "following": following,
        "position": index + 1,
        "lesson_count": len(lessons),
        "is_done": is_done,
        "is_last_in_module": following is None or following.module_id != lesson.module_id,
        "has_quiz": active_question_counts([module.id]).get(module.id, 0) > 0,
    }
