"""The one place that decides who may do what.

Views call these; a denied object answers 404 (not 403) wherever telling "exists but not yours"
would leak that it exists.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Signed in and holding at least one of ``roles`` (admins pass every role check)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role("admin", *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("admin"))


def hr_scope(user):
    """The unit whose subtree this HR user may see, or None for admins (everything).

    Raises 403 for anyone else.
    """
    if is_admin(user):
        return None
    if user.is_authenticated and user.has_role("hr") and user.unit is not None:
        return user.unit
    abort(403)


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
    from academy.catalog.models import CourseAuthor
    from academy.extensions import db

    return db.session.get(CourseAuthor, (live.id, user.id)) is not None


def can_manage_coauthors(user, course) -> bool:
    """The owner of a course (or an admin) chooses its co-authors."""
    live = course.draft_of or course
    return is_admin(user) or (can_edit_course(user, live) and live.owner_id == user.id)


def can_view_course(user, course) -> bool:
    """Published courses are for every signed-in user; drafts for their editors."""
    return course.status == "published" or can_edit_course(user, course)


def require(condition: bool, status: int = 404) -> None:
    if not condition:
        abort(status)
