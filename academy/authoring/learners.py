"""Who is enrolled in a course, for its authors: a searchable page of learners and their standing
on each module's quiz (read-only; grants are written by ``academy.learning.grants``)."""

from __future__ import annotations

from sqlalchemy import select

from academy.auth.models import User
from academy.database import contains_folded_words
from academy.extensions import db
from academy.learning.grants import blocked_user_ids
from academy.learning.models import Enrollment

PER_PAGE = 50


def enrolled_learners(course, *, query: str = "", blocked_only: bool = False, page: int = 1):
    """A page of the learners enrolled in ``course`` (the live one), by name; ``query`` matches
    name, email or employee code whatever the case and accents, ``blocked_only`` keeps those out
    of attempts on some module."""
    stmt = (
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id)
        .order_by(User.full_name, User.id)
    )
    if (matches := contains_folded_words(User.search_name, query)) is not None:
        stmt = stmt.where(matches)
    if blocked_only:
        stmt = stmt.where(User.id.in_(blocked_user_ids(m.id for m in course.modules)))
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def enrolled_learner(course, user_id: int) -> User | None:
    """The user if enrolled in ``course``; None otherwise."""
    return db.session.scalar(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, User.id == user_id)
    )
