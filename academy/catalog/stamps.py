"""Version stamps of course content, the keys of everything cached from it (academy/cache.py).

A course's ``updated_at`` moves whenever anything in it is saved — its modules, lessons,
questions, choices, prerequisites — by the flush listener below, in the same transaction. A page
keyed by it therefore changes the moment a publish or an edit commits, in every process, with no
message between them. ``catalogue_stamp()`` does the same for the list of courses.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import String, cast, event, func, select
from sqlalchemy.orm import Session

from academy.catalog.models import Choice, Course, Lesson, Module, ModulePrerequisite, Question
from academy.database import db, utcnow


def catalogue_stamp() -> str:
    """Changes whenever a course is added, removed, published, archived or edited (one query,
    none when the request read it already: ``remember_catalogue_stamp``)."""
    stamp = g.get("_catalogue_stamp") if has_request_context() else None
    if stamp is None:
        stamp = db.session.scalar(_STAMP)
    return stamp


def remember_catalogue_stamp(stamp: str) -> None:
    """The stamp, read beside another query (with the signed-in user), for this request."""
    g._catalogue_stamp = stamp


# Built once; also as a scalar subquery, to read with another statement.
_STAMP = select(
    cast(func.count(Course.id), String)
    + ":"
    + func.coalesce(cast(func.max(Course.updated_at), String), "0")
)
CATALOGUE_STAMP = _STAMP.correlate(None).scalar_subquery()


def course_stamp(course: Course) -> str:
    """Changes whenever anything in ``course`` is saved."""
    return f"{course.id}:{course.updated_at.timestamp() if course.updated_at else 0}"


def _module_id(obj) -> int | None:
    if isinstance(obj, Lesson | Question | ModulePrerequisite):
        return obj.module_id or getattr(getattr(obj, "module", None), "id", None)
    if isinstance(obj, Choice):
        question = obj.question or (obj.question_id and db.session.get(Question, obj.question_id))
        return question.module_id if question else None
    return None


def _course_of(session: Session, obj) -> Course | None:
    if isinstance(obj, Module):
        return obj.course or (obj.course_id and session.get(Course, obj.course_id)) or None
    module_id = _module_id(obj)
    module = session.get(Module, module_id) if module_id else None
    return module.course if module is not None else None


@event.listens_for(Session, "before_flush")
def _touch_changed_courses(session: Session, flush_context, instances) -> None:
    changed = [
        obj
        for obj in (*session.new, *session.deleted, *session.dirty)
        if isinstance(obj, Module | Lesson | Question | Choice | ModulePrerequisite)
        and (obj not in session.dirty or session.is_modified(obj))
    ]
    courses = any(isinstance(o, Course) for o in (*session.new, *session.deleted, *session.dirty))
    if not changed and not courses:
        return
    if has_request_context():
        g.pop("_catalogue_stamp", None)  # the catalogue changes with this flush
    if not changed:
        return
    now = utcnow()
    with session.no_autoflush:
        for course in {_course_of(session, obj) for obj in changed} - {None}:
            if course not in session.deleted:
                course.updated_at = now
