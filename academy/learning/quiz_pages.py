"""The pages of a module's quiz, for the routes in views.py: the form (fresh, or re-shown as it was
sent), its refusals, and an attempt's result with the review the course's policy allows."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from academy.database import utcnow
from academy.extensions import db
from academy.learning import quiz
from academy.learning import services as svc
from academy.learning.forms import QuizForm
from academy.learning.quiz_tokens import (
    InvalidQuizToken,
    answers_from_form,
    issue_quiz_token,
    read_quiz_token,
)


def show_quiz(course, module, status: int = 200, problem: str | None = None):
    """A freshly drawn quiz form, or why the learner cannot take the quiz now."""
    access = quiz.quiz_access(current_user, module)
    question_ids, order, drawn = quiz.draw_quiz(module)
    if question_ids and access.left == 0:
        return quiz_closed(course, module, access)
    if question_ids and access.opens_at is not None:
        return quiz_waiting(course, module, access, 200)
    token = issue_quiz_token(current_user, module.id, question_ids, choice_order=order)
    return _quiz_form(
        course,
        module,
        token,
        quiz.shown_in_order(drawn, question_ids, order),
        access,
        utcnow(),
        status,
        problem=problem,
    )


def _quiz_form(
    course,
    module,
    token,
    shown,
    access,
    issued_at,
    status,
    *,
    problem=None,
    chosen=None,
    unanswered=(),
):
    due = quiz.deadline(module, issued_at)
    remaining = max(0, round((due - utcnow()).total_seconds())) if due else None
    return render_template(
        "learning/quiz.html",
        course=course,
        module=module,
        shown=shown,
        problem=problem,
        form=QuizForm(formdata=None, token=token),
        attempts_left=access.left,
        deadline=due,
        remaining=remaining,
        chosen=chosen or {},
        unanswered=set(unanswered),
    ), status


def quiz_closed(course, module, access=None):
    access = access or quiz.quiz_access(current_user, module)
    return render_template(
        "learning/quiz_closed.html",
        course=course,
        module=module,
        allowed=access.allowed or access.used,
        opens_at=None,
    ), 409


def quiz_waiting(course, module, access, status: int = 409):
    return render_template(
        "learning/quiz_closed.html",
        course=course,
        module=module,
        opens_at=opens_text(access.opens_at),
    ), status


def opens_text(moment) -> str:
    """ "14:35" today, else "14:35 12/03/2025" (local time)."""
    if format_date(moment, "yyyy-MM-dd") == format_date(utcnow(), "yyyy-MM-dd"):
        return format_datetime(moment, "HH:mm")
    return format_datetime(moment, "HH:mm dd/MM/yyyy")


def submit_quiz(course, module):
    """Grade the sent form and show its result, or re-show what must change."""
    try:
        ticket = read_quiz_token(request.form.get("token", ""), current_user, module.id)
    except InvalidQuizToken:
        return show_quiz(
            course,
            module,
            400,
            _("Phiếu làm bài không hợp lệ hoặc đã hết hạn. Mời bạn làm lại bài kiểm tra dưới đây."),
        )
    answers = answers_from_form(request.form, ticket.question_ids)
    try:
        outcome = quiz.submit_module_quiz(current_user, module, ticket, answers)
        attempt_id = outcome.attempt.id  # read before the commit expires it (no re-read after)
        db.session.commit()
    except (
        svc.AttemptLimitReached,
        quiz.QuizNotYetOpen,
        quiz.UnansweredQuestions,
        ValueError,
    ) as refusal:
        db.session.rollback()
        return _refused(course, module, ticket, answers, refusal)
    except IntegrityError:  # a concurrent copy of this form was stored first
        db.session.rollback()
        outcome = quiz.SubmitOutcome(svc.attempt_by_token(ticket.attempt_token), False, False)
        if outcome.attempt is None:
            raise
        attempt_id = outcome.attempt.id
    _say_how_it_went(module, outcome)
    return redirect(url_for("learning.attempt_result", attempt_id=attempt_id))


def _refused(course, module, ticket, answers, refusal):
    if isinstance(refusal, svc.AttemptLimitReached):
        return quiz_closed(course, module)
    access = quiz.quiz_access(current_user, module)
    if isinstance(refusal, quiz.QuizNotYetOpen):
        return quiz_waiting(course, module, access)
    if isinstance(refusal, quiz.UnansweredQuestions):
        numbers = ", ".join(str(n) for n in refusal.numbers)
        return _quiz_form(
            course,
            module,
            request.form.get("token", ""),
            quiz.questions_as_shown(ticket.question_ids, ticket.choice_order),
            access,
            ticket.issued_at,
            400,
            chosen=answers,
            unanswered=refusal.numbers,
            problem=_("Bạn chưa trả lời câu %(numbers)s.", numbers=numbers),
        )
    return show_quiz(course, module, 400, _("Bài kiểm tra đã thay đổi. Mời bạn làm lại."))


def _say_how_it_went(module, outcome) -> None:
    if not outcome.created:
        flash(_("Bài làm này đã được nộp trước đó; đây là kết quả đã lưu."), "info")
    elif outcome.late:
        flash(
            _(
                "Bài được nộp sau khi hết giờ (%(n)s phút) nên các câu trả lời không được chấm; "
                "lượt làm bài này vẫn được tính.",
                n=module.quiz_time_limit,
            ),
            "warning",
        )


def attempt_result(attempt):
    """An attempt's score, which questions were right, and the answer key if the policy allows."""
    module = attempt.module
    access = quiz.quiz_access(attempt.user, module)
    return render_template(
        "learning/attempt_result.html",
        attempt=attempt,
        module=module,
        course=module.course,
        rows=quiz.attempt_review(attempt),
        show_key=quiz.answer_key_visible(attempt, access),
        attempts_left=access.left,
        opens_at=opens_text(access.opens_at) if access.opens_at else None,
    )
