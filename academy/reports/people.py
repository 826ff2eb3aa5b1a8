"""HR's view of one person's quizzes: the people in scope, and the courses mandatory for a person
(assigned to their unit or a unit above it), for granting extra attempts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from academy.auth.models import Unit, User
from academy.catalog.models import Module
from academy.database import contains_folded_words
from academy.extensions import db
from academy.learning.grants import blocked_user_ids
from academy.learning.models import Assignment, ModuleResult
from academy.reports.assignments import assignments_covering

PER_PAGE = 50


def people_in_scope(
    scope: Unit | None, *, query: str = "", blocked_only: bool = False, page: int = 1
):
    """A page of the active people HR with ``scope`` may see (everyone for None), by name;
    ``query`` matches name, e-mail or employee code whatever the case and accents;
    ``blocked_only`` keeps those out of attempts on a quiz of a course mandatory for them."""
    stmt = (
        select(User)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.is_active.is_(True))
        .order_by(User.full_name, User.id)
    )
    if scope is not None:
        stmt = stmt.where(scope.subtree_filter())
    if (matches := contains_folded_words(User.search_name, query)) is not None:
        stmt = stmt.where(matches)
    if blocked_only:
        stmt = stmt.where(User.id.in_(_blocked_on_mandatory_courses()))
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def _blocked_on_mandatory_courses():
    """A SELECT of the people blocked on a module of a course assigned to their unit or above."""
    person, home, assigned = aliased(User), aliased(Unit), aliased(Unit)
    return (
        blocked_user_ids()
        .join(Module, Module.id == ModuleResult.module_id)
        .join(Assignment, Assignment.course_id == Module.course_id)
        .join(assigned, assigned.id == Assignment.unit_id)
        .join(person, person.id == ModuleResult.user_id)
        .join(home, home.id == person.unit_id)
        .where(home.path.startswith(assigned.path), Assignment.cancelled_at.is_(None))
    )


def mandatory_courses(person: User) -> list:
    """The courses assigned to ``person``'s unit or a unit above it, by title, each once."""
    courses = {a.course.id: a.course for a in assignments_covering(person.unit)}
    return sorted(courses.values(), key=lambda course: (course.title, course.id))
