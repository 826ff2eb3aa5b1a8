"""Authoring: a course's learners and their quiz attempts; extra attempts granted per module.
Routes on the authoring blueprint (imported at the end of views.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from academy.auth.access import can_grant_attempts, require, roles_required
from academy.authoring.learners import enrolled_learner, enrolled_learners
from academy.authoring.views import bp, load_course
from academy.core.once import submit_once
from academy.extensions import db
from academy.learning.grant_forms import (
    grant_forms,
    grant_from_form,
    granted_message,
    posted_form,
)
from academy.learning.grants import attempt_standings, grants_for


@bp.get("/authoring/courses/<int:course_id>/learners")
@roles_required("instructor")
def course_learners(course_id: int):
    course = load_course(course_id)
    live = course.draft_of or course
    query, blocked = request.args.get("q", "").strip()[:100], request.args.get("blocked") == "1"
    page = enrolled_learners(
        live, query=query, blocked_only=blocked, page=request.args.get("page", 1, type=int)
    )
    standings = attempt_standings([u.id for u in page.items], [m.id for m in live.modules])
    args = {k: v for k, v in {"q": query, "blocked": "1" if blocked else ""}.items() if v}
    return render_template(
        "authoring/learners.html",
        course=course,
        live=live,
        page=page,
        standings=standings,
        query=query,
        blocked=blocked,
        args=args,
    )


def _learner_in(course_id: int, user_id: int):
    course = load_course(course_id)
    live = course.draft_of or course
    learner = enrolled_learner(live, user_id)
    require(learner is not None and can_grant_attempts(current_user, learner, live))
    return course, live, learner


def _learner_page(course, live, learner, posted=None):
    module_ids = [m.id for m in live.modules]
    return render_template(
        "authoring/learner_attempts.html",
        course=course,
        live=live,
        learner=learner,
        standings=attempt_standings([learner.id], module_ids),
        forms=grant_forms(module_ids, posted),
        grants=grants_for(learner, module_ids),
    )


@bp.get("/authoring/courses/<int:course_id>/learners/<int:user_id>")
@roles_required("instructor")
def learner_attempts(course_id: int, user_id: int):
    return _learner_page(*_learner_in(course_id, user_id))


@bp.post("/authoring/courses/<int:course_id>/learners/<int:user_id>/modules/<int:module_id>/grant")
@roles_required("instructor")
@submit_once
def learner_grant(course_id: int, user_id: int, module_id: int):
    course, live, learner = _learner_in(course_id, user_id)
    module = next((m for m in live.modules if m.id == module_id), None)
    require(module is not None)
    form = posted_form(module.id)
    grant = grant_from_form(form, learner, module, current_user)
    if grant is None:
        db.session.rollback()  # a refused form spends nothing, not even its one-time token
        return _learner_page(course, live, learner, posted=(module.id, form)), 400
    db.session.commit()
    flash(granted_message(grant, learner, module), "success")
    return redirect(
        url_for(
            "authoring.learner_attempts",
            course_id=course.id,
            user_id=learner.id,
            _anchor=f"module-{module.id}",
        ),
        303,
    )
