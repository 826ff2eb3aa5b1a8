"""The one place that decides who may do what.

Views call these; a denied object answers 404 (not 403) wherever telling "exists but not yours"
would leak that it exists. Denials are raised as ``academy.core.errors`` domain errors, which the
app answers with the matching error page, so services may call ``require`` too.
"""

from __future__ import annotations

from functools import wraps

from flask_login import current_user, login_required
from sqlalchemy import literal, select

from academy.auth.models import Unit
from academy.catalog.models import CourseAuthor
from academy.errors import BadRequest, Forbidden, NotFound
from academy.extensions import db


def roles_required(*roles: str):
    """Signed in and holding at least one of ``roles`` (admins pass every role check)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role("admin", *roles):
                raise Forbidden
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("admin"))


def hr_scope(user):
    """The unit whose subtree this HR user may see, or None for admins (everything).

    Raises ``Forbidden`` (403) for anyone else.
    """
    if is_admin(user):
        return None
    if user.is_authenticated and user.has_role("hr") and user.unit is not None:
        return user.unit
    raise Forbidden


def units_in_scope(scope: Unit | None) -> list[Unit]:
    """The units a reader with ``scope`` (from ``hr_scope``) may see and pick, in tree order."""
    query = select(Unit).order_by(Unit.path)
    if scope is not None:
        query = query.where(scope.subtree_filter())
    return list(db.session.scalars(query))


def can_change_assignment(user, assignment) -> bool:
    """Who may re-date or cancel a mandate: admins; HR whose unit contains the assigned unit and
    the unit of whoever set it. A mandate set by an admin (or by nobody on record) counts as set
    at the top, so only the top unit's HR changes it besides admins; a ward's HR never changes
    what the city set."""
    if is_admin(user):
        return True
    scope = user.unit if user.is_authenticated and user.has_role("hr") else None
    if scope is None or not scope.contains(assignment.unit):
        return False
    setter = assignment.assigned_by
    if setter is None or setter.has_role("admin") or setter.unit is None:
        return scope.parent_id is None
    return scope.contains(setter.unit)


def can_see_person(viewer, person) -> bool:
    """Oneself, an admin, or HR whose unit contains the person's unit."""
    if not viewer or not viewer.is_authenticated or person is None:
        return False
    if viewer.id == person.id or is_admin(viewer):
        return True
    return viewer.has_role("hr") and viewer.unit is not None and viewer.unit.contains(person.unit)


def can_edit_course(user, course) -> bool:
    """Admins edit all courses; instructors the ones they own or co-author."""
    if not user or not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    if not user.has_role("instructor"):
        return False
    live = course.draft_of or course  # a draft copy is editable by whoever may edit its live course
    if live.owner_id == user.id:
        return True
    return db.session.get(CourseAuthor, (live.id, user.id)) is not None


def can_manage_coauthors(user, course) -> bool:
    """The owner of a course (or an admin) chooses its co-authors."""
    live = course.draft_of or course
    return is_admin(user) or (can_edit_course(user, live) and live.owner_id == user.id)


def can_grant_attempts(actor, learner, course) -> bool:
    """Who may give ``learner`` extra attempts at ``course``'s quizzes: admins always; instructors
    who may edit the course; HR for people in their units, on a course mandatory for that person
    (assigned to the person's unit or a unit above it). Nobody else grants themselves attempts."""
    if not actor or not actor.is_authenticated or learner is None:
        return False
    if is_admin(actor):
        return True
    if actor.id == learner.id:
        return False
    if can_edit_course(actor, course):
        return True
    return (
        actor.has_role("hr")
        and can_see_person(actor, learner)
        and _is_mandatory_for(learner, course.draft_of or course)
    )


def _is_mandatory_for(person, course) -> bool:
    # auth sits below learning, so the assignments table is read by name, not through its model.
    assignments = db.metadata.tables["assignments"]
    if person.unit is None:
        return False
    above = literal(person.unit.path).startswith(Unit.path)  # the person's unit or one above it
    found = db.session.scalar(
        select(assignments.c.id)
        .join(Unit, Unit.id == assignments.c.unit_id)
        .where(assignments.c.course_id == course.id, above, assignments.c.cancelled_at.is_(None))
        .limit(1)
    )
    return found is not None


def can_view_course(user, course) -> bool:
    """Published courses are for every signed-in user; drafts for their editors."""
    return course.status == "published" or can_edit_course(user, course)


def require(condition: bool, status: int = 404) -> None:
    """Go on only if ``condition`` holds; else the domain error for ``status`` (400, 403, 404)."""
    if not condition:
        raise {400: BadRequest, 403: Forbidden}.get(status, NotFound)
