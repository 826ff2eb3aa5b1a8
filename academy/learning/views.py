"""Enrolling, reading lessons, taking module quizzes and seeing their results."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from academy.auth.access import can_edit_course, can_view_course, is_admin, require
from academy.catalog.services import get_lesson, get_module
from academy.catalog.models import Course, Module
from academy.extensions import db
from academy.learning import services as svc
from academy.learning.forms import EnrolForm, MarkDoneForm, QuizForm
from academy.learning.models import QuizAttempt
from academy.learning.lesson_nav import lesson_context
from academy.security import local_target
from academy.learning.quiz_tokens import (InvalidQuizToken, answers_from_form, issue_quiz_token,
                                          read_quiz_token)

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
    course, current = _viewable_lesson(slug, module_slug, lesson_slug)
    enrollment = svc.find_enrollment(current_user, course)
    if enrollment is None and not can_edit_course(current_user, course):
        return _ask_to_enrol(course)
    context = lesson_context(current_user, course, current)
    page = render_template("learning/lesson.html", course=course, lesson=current,
                           form=MarkDoneForm(), enrolled=enrollment is not None, **context)
    # Commit after rendering, so the page is not built from objects the commit expired.
    if enrollment is not None and svc.note_lesson_visit(enrollment, current):
        db.session.commit()
    return page


@bp.post("/courses/<slug>/<module_slug>/<lesson_slug>/done")
@login_required
def mark_done(slug: str, module_slug: str, lesson_slug: str):
    course, current = _viewable_lesson(slug, module_slug, lesson_slug)
    if svc.find_enrollment(current_user, course) is None:
        return _ask_to_enrol(course)
    if svc.mark_lesson_done(current_user, current):
        flash(_("Đã ghi nhận bạn học xong bài “%(title)s”.", title=current.title), "success")
    db.session.commit()
    return redirect(url_for(".lesson", slug=slug, module_slug=module_slug, lesson_slug=lesson_slug))


@bp.route("/courses/<slug>/<module_slug>/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str, module_slug: str):
    course = _viewable_course(slug)
    module = get_module(course, module_slug)
    require(module is not None)
    if svc.find_enrollment(current_user, course) is None:
        return _ask_to_enrol(course)
    if request.method == "POST":
        return _submit_quiz(course, module)
    return _show_quiz(course, module)


def _show_quiz(course, module, status: int = 200, problem: str | None = None):
    questions = svc.shown_questions(module)
    left = svc.attempts_left(current_user, module)
    if questions and left == 0:
        return _quiz_closed(course, module)
    token = issue_quiz_token(current_user, module.id, [q.id for q in questions])
    form = QuizForm(formdata=None, token=token)
    return render_template("learning/quiz.html", course=course, module=module, questions=questions,
                           form=form, attempts_left=left, problem=problem), status


def _quiz_closed(course, module):
    return render_template("learning/quiz_closed.html", course=course, module=module,
                           attempts_used=svc.attempts_used(current_user, module)), 409


def _submit_quiz(course, module):
    try:
        ticket = read_quiz_token(request.form.get("token", ""), current_user, module.id)
    except InvalidQuizToken:
        return _show_quiz(course, module, 400, _("Phiếu làm bài không hợp lệ hoặc đã hết hạn. "
                                                 "Mời bạn làm lại bài kiểm tra dưới đây."))
    answers = answers_from_form(request.form, ticket.question_ids)
    try:
        attempt, created = svc.submit_attempt(
            current_user, module, ticket.attempt_token, answers,
            question_ids=ticket.question_ids, started_at=ticket.issued_at)
        db.session.commit()
    except svc.AttemptLimitReached:
        db.session.rollback()
        return _quiz_closed(course, module)
    except ValueError:
        db.session.rollback()
        return _show_quiz(course, module, 400, _("Bài kiểm tra đã thay đổi. Mời bạn làm lại."))
    except IntegrityError:  # a concurrent copy of this form was stored first
        db.session.rollback()
        attempt, created = svc.attempt_by_token(ticket.attempt_token), False
        if attempt is None:
            raise
    if not created:
        flash(_("Bài làm này đã được nộp trước đó; đây là kết quả đã lưu."), "info")
    return redirect(url_for(".attempt_result", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt_result(attempt_id: int):
    attempt = db.session.get(QuizAttempt, attempt_id,
                             options=[joinedload(QuizAttempt.module).joinedload(Module.course)])
    require(attempt is not None and (attempt.user_id == current_user.id or is_admin(current_user)))
    module = attempt.module
    return render_template("learning/attempt_result.html", attempt=attempt, module=module,
                           course=module.course, rows=svc.attempt_rows(attempt),
                           attempts_left=svc.attempts_left(attempt.user, module))
