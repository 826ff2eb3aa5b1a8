"""HR grants extra quiz attempts to people in its units, on courses mandatory for them (routes on
the reports blueprint, imported at the end of views.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.auth.access import (
    can_grant_attempts,
    can_see_person,
    hr_scope,
    require,
    roles_required,
)
from academy.auth.models import User
from academy.catalog.models import Module
from academy.core.once import submit_once
from academy.extensions import db
from academy.learning.grant_forms import grant_forms, grant_from_form, granted_message, posted_form
from academy.learning.grants import attempt_standings, grants_for
from academy.reports.people import mandatory_courses, people_in_scope
from academy.reports.views import bp


@bp.get("/reports/people")
@roles_required("hr")
def people():
    scope = hr_scope(current_user)
    query, blocked = request.args.get("q", "").strip()[:100], request.args.get("blocked") == "1"
    page = people_in_scope(
        scope, query=query, blocked_only=blocked, page=request.args.get("page", 1, type=int)
    )
    args = {k: v for k, v in {"q": query, "blocked": "1" if blocked else ""}.items() if v}
    return render_template(
        "reports/people.html", page=page, query=query, blocked=blocked, args=args
    )


def _person(user_id: int) -> User:
    hr_scope(current_user)  # HR or admin, else 403
    person = db.session.get(User, user_id)
    require(person is not None and can_see_person(current_user, person))
    return person


def _person_page(person: User, posted=None):
    courses = [c for c in mandatory_courses(person) if can_grant_attempts(current_user, person, c)]
    module_ids = [m.id for c in courses for m in c.modules]
    return render_template(
        "reports/person_attempts.html",
        person=person,
        courses=courses,
        standings=attempt_standings([person.id], module_ids),
        forms=grant_forms(module_ids, posted),
        grants=grants_for(person, module_ids),
        is_self=person.id == current_user.id,
    )


@bp.get("/reports/people/<int:user_id>/attempts")
@roles_required("hr")
def person_attempts(user_id: int):
    return _person_page(_person(user_id))


@bp.post("/reports/people/<int:user_id>/modules/<int:module_id>/grant")
@roles_required("hr")
@submit_once
def person_grant(user_id: int, module_id: int):
    person = _person(user_id)
    module = db.session.get(Module, module_id)
    require(module is not None and not module.course.is_draft_copy)
    require(can_grant_attempts(current_user, person, module.course), 403)
    form = posted_form(module.id)
    grant = grant_from_form(form, person, module, current_user)
    if grant is None:
        db.session.rollback()  # a refused form spends nothing, not even its one-time token
        return _person_page(person, posted=(module.id, form)), 400
    db.session.commit()
    flash(granted_message(grant, person, module), "success")
    return redirect(
        url_for("reports.person_attempts", user_id=person.id, _anchor=f"module-{module.id}"), 303
    )
