"""Enrolling, reading lessons, taking module quizzes and seeing their results."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager, defer, joinedload

from academy.auth.access import can_edit_course, can_view_course, is_admin, require
from academy.auth.sessions import read_with_user, view_inputs
from academy.catalog.models import Course, Lesson, Module
from academy.catalog.services import get_lesson
from academy.core.page_cache import shared_page
from academy.extensions import db
from academy.learning import quiz_pages
from academy.learning import services as svc
from academy.learning.forms import EnrolForm, MarkDoneForm
from academy.learning.lesson_nav import (
    LearnerState,
    after_module,
    course_map,
    learner_state_columns,
    lesson_context,
    step_after_lesson,
)
from academy.learning.models import Enrollment, QuizAttempt
from academy.security import local_target

bp = Blueprint("learning", __name__, template_folder="templates")


def _viewable_course(slug: str) -> Course:
    course = db.session.scalar(db.select(Course).where(Course.slug == slug))
    require(course is not None and can_view_course(current_user, course))
    return course


def _viewable_lesson(slug: str, module_slug: str, lesson_slug: str):
    course = _viewable_course(slug)
    lesson = get_lesson(course, module_slug, lesson_slug)
    require(lesson is not None)
    return course, lesson


def _lesson_page(params: dict):
    """(course, lesson with its module, the reader's enrolment or None, their state in the
    course), in one query."""
    row = db.session.execute(_LESSON_PAGE, params).first()
    require(row is not None and can_view_course(current_user, row[0]))
    return row[0], row[1], row[2], LearnerState.from_strings(row[3], row[4])


def _lesson_by_slugs(*columns):
    """``columns`` of the lesson a URL names (course, module and lesson slugs) with the reader's
    enrolment joined when there is one (``user_id``), and their reads and results in the course."""
    return (
        db.select(*columns, *learner_state_columns(Course.id, db.bindparam("user_id")))
        .join(Module, Module.course_id == Course.id)
        .join(Lesson, Lesson.module_id == Module.id)
        .outerjoin(
            Enrollment,
            (Enrollment.course_id == Course.id) & (Enrollment.user_id == db.bindparam("user_id")),
        )
        .where(
            Course.slug == db.bindparam("slug"),
            Module.slug == db.bindparam("module_slug"),
            Lesson.slug == db.bindparam("lesson_slug"),
        )
    )


_LESSON_PAGE = _lesson_by_slugs(Course, Lesson, Enrollment).options(
    # The texts are read only when the page is built, not when it is served as kept.
    contains_eager(Lesson.module).options(defer(Module.intro_md), defer(Module.intro_html)),
    defer(Course.description_md),
    defer(Course.description_html),
    defer(Lesson.body_md),
    defer(Lesson.body_html),
)


def _ask_to_enrol(course):
    flash(_("Vui lòng ghi danh khoá học trước khi học bài và làm bài kiểm tra."), "warning")
    return redirect(url_for("catalog.course_detail", slug=course.slug))


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = _viewable_course(slug)
    form = EnrolForm()
    back = url_for("catalog.course_detail", slug=course.slug)
    if not course.is_published:
        flash(_("Khoá học chưa được xuất bản nên chưa thể ghi danh."), "warning")
        return redirect(back)
    already = svc.find_enrollment(current_user, course) is not None
    svc.enrol_learner(current_user, course)
    db.session.commit()
    if not already:
        flash(_("Bạn đã ghi danh khoá học “%(title)s”.", title=course.title), "success")
    return redirect(local_target(form.next.data, back))


@bp.get("/courses/<slug>/<module_slug>/<lesson_slug>")
@login_required
def lesson(slug: str, module_slug: str, lesson_slug: str):
    params = {
        "slug": slug,
        "module_slug": module_slug,
        "lesson_slug": lesson_slug,
        "user_id": current_user.id,
    }
    keys = view_inputs(_LESSON_KEYS, params)  # read with the signed-in user
    require(keys.lesson_id is not None)
    if keys.status != "published" or keys.enrollment_id is None:
        return _lesson_for_editor_or_visitor(params)
    # An enrolled reader of a published lesson: the page for their state in the course (its version,
    # their reads and results) is kept, so it is built only when no reader in that state has
    # been here; what it is built from is read then.
    state = LearnerState.from_strings(keys.read, keys.results)
    outline = course_map(current_user, CourseVersion(keys.course_id, keys.updated_at), state)
    page = _kept_lesson(
        keys.lesson_id, outline, True, lambda: _render_lesson(*_lesson_page(params))
    )
    if svc.visit_is_news(keys.last_lesson_id, keys.last_visited_at, keys.lesson_id):
        enrollment = db.session.get(Enrollment, keys.enrollment_id)
        svc.note_lesson_visit(enrollment, db.session.get(Lesson, keys.lesson_id))
        db.session.commit()
    return page


class CourseVersion(NamedTuple):
    """What ``course_map`` needs of a course (its id and version), read without the course."""

    id: int
    updated_at: datetime | None


# What decides which kept page an enrolled reader gets, in one light statement, read with the
# signed-in user (``read_with_user``, below): a kept lesson costs one statement in all.
_LESSON_KEYS = _lesson_by_slugs(
    Course.id.label("course_id"),
    Course.status,
    Course.updated_at,
    Lesson.id.label("lesson_id"),
    Enrollment.id.label("enrollment_id"),
    Enrollment.last_lesson_id,
    Enrollment.last_visited_at,
)


@bp.record_once
def _lesson_keys_with_the_user(_state) -> None:
    read_with_user("learning.lesson", _LESSON_KEYS)


def _lesson_for_editor_or_visitor(params: dict):
    """A draft's lesson (for its editors), or a lesson seen by someone not enrolled: its editors
    preview it, anyone else is asked to enrol."""
    course, current, enrollment, state = _lesson_page(params)
    if enrollment is None and not can_edit_course(current_user, course):
        return _ask_to_enrol(course)
    outline = course_map(current_user, course, state)
    page = _kept_lesson(
        current.id,
        outline,
        enrollment is not None,
        lambda: _render_lesson(course, current, enrollment, state),
    )
    # Commit after rendering, so the page is not built from objects the commit expired.
    if enrollment is not None and svc.note_lesson_visit(enrollment, current):
        db.session.commit()
    return page


def _kept_lesson(lesson_id: int, outline, enrolled: bool, render) -> str:
    """The lesson page as kept for every reader in the same state: the same lesson, outline (the
    course's version and the reader's reads and results) and enrolment."""
    return shared_page(("lesson", lesson_id, outline.cache_key, enrolled), render)


def _render_lesson(course, current, enrollment, state) -> str:
    context = lesson_context(current_user, course, current, state)
    return render_template(
        "learning/lesson.html",
        course=course,
        lesson=current,
        form=MarkDoneForm(),
        enrolled=enrollment is not None,
        **context,
    )


@bp.post("/courses/<slug>/<module_slug>/<lesson_slug>/done")
@login_required
def mark_done(slug: str, module_slug: str, lesson_slug: str):
    course, current = _viewable_lesson(slug, module_slug, lesson_slug)
    if svc.find_enrollment(current_user, course) is None:
        return _ask_to_enrol(course)
    if svc.mark_lesson_done(current_user, current):
        flash(_("Đã ghi nhận bạn học xong bài “%(title)s”.", title=current.title), "success")
    step = step_after_lesson(course_map(current_user, course), current.id)
    db.session.commit()
    if step.kind == "quiz":
        flash(
            _(
                "Bạn đã đến cuối mô-đun “%(title)s”: mời bạn làm bài kiểm tra của mô-đun.",
                title=step.module.title,
            ),
            "info",
        )
    return redirect(step_url(course, step), 303)


@bp.app_template_global()
def step_url(course, step) -> str:
    """The address of a ``lesson_nav.Step``: a lesson, a module's quiz, or the course page."""
    if step.kind == "lesson":
        return url_for(
            "learning.lesson",
            slug=course.slug,
            module_slug=step.module.slug,
            lesson_slug=step.lesson.slug,
        )
    if step.kind == "quiz" and step.module.time_limit and step.module.lessons:
        # A timed quiz starts its clock when opened: lead to the offer at the module's end instead.
        last = step.module.lessons[-1]
        return url_for(
            "learning.lesson",
            slug=course.slug,
            module_slug=step.module.slug,
            lesson_slug=last.slug,
            _anchor="module-end",
        )
    if step.kind == "quiz":
        return url_for("learning.quiz", slug=course.slug, module_slug=step.module.slug)
    return url_for("catalog.course_detail", slug=course.slug)


# The result page (learning/attempt_result.html) asks where a passed module leads.
bp.add_app_template_global(after_module, "step_after_module")


@bp.route("/courses/<slug>/<module_slug>/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str, module_slug: str):
    course, module, enrolled = _quiz_module(slug, module_slug)
    if not enrolled:
        return _ask_to_enrol(course)
    if request.method == "POST":
        return quiz_pages.submit_quiz(course, module)
    return quiz_pages.show_quiz(course, module)


def _quiz_module(slug: str, module_slug: str):
    """(course, module, whether the learner is enrolled), read with the signed-in user: a quiz
    submit's budget."""
    found = view_inputs(
        _QUIZ_MODULE, {"slug": slug, "module_slug": module_slug, "user_id": current_user.id}
    )
    require(found.Module is not None and can_view_course(current_user, found.Course))
    return found.Course, found.Module, found.enrollment_id is not None


# The module, its course and the reader's enrolment; the module's course comes from the session.
_QUIZ_MODULE = (
    db.select(Module, Course, Enrollment.id.label("enrollment_id"))
    .join(Module.course)
    .outerjoin(
        Enrollment,
        (Enrollment.course_id == Course.id) & (Enrollment.user_id == db.bindparam("user_id")),
    )
    .where(Course.slug == db.bindparam("slug"), Module.slug == db.bindparam("module_slug"))
)


@bp.record_once
def _quiz_module_with_the_user(_state) -> None:
    read_with_user("learning.quiz", _QUIZ_MODULE)


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_result(attempt_id: int):
    attempt = db.session.get(
        QuizAttempt, attempt_id, options=[joinedload(QuizAttempt.module).joinedload(Module.course)]
    )
    require(attempt is not None and (attempt.user_id == current_user.id or is_admin(current_user)))
    return quiz_pages.attempt_result(attempt)
