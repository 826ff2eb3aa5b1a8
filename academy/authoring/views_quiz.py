"""Authoring routes for a module's quiz: question form editor and quiz.md text editor."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from academy.auth.access import require, roles_required
from academy.authoring import quizzes
from academy.authoring.forms import KIND_LABELS, ActionForm, QuestionForm, QuizTextForm
from academy.authoring.views import bp, confirm_page, editable_or_redirect
from academy.authoring.views_content import load_module
from academy.catalog.models import Question
from academy.core.once import submit_once
from academy.coursefiles.errors import ContentError
from academy.extensions import db


def load_question(course_id: int, module_id: int, question_id: int) -> Question:
    module = load_module(course_id, module_id)
    question = db.session.get(Question, question_id)
    require(question is not None and question.module_id == module.id and question.is_active)
    return question


def to_quiz(course_id: int, module_id: int):
    return redirect(url_for("authoring.quiz", course_id=course_id, module_id=module_id), 303)


@bp.get("/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz")
@roles_required("instructor")
def quiz(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    return render_template(
        "authoring/quiz.html", module=module, course=module.course, kind_labels=KIND_LABELS
    )


def _form_choices(form: QuestionForm) -> list[tuple[str, bool, bool]]:
    return [
        (entry.form.text.data or "", entry.form.is_correct.data, entry.form.is_pinned.data)
        for entry in form.choices
    ]


def _question_form_page(form, module, question, errors):
    return render_template(
        "authoring/question_form.html",
        form=form,
        module=module,
        course=module.course,
        question=question,
        errors=errors,
    ), 400 if errors or form.errors else 200


def _save_question(form, module, question):
    """Validate and save; returns a list of error messages (empty on success)."""
    try:
        kind = form.kind.data if form.kind.raw_data else None  # not sent: as quiz.md infers it
        data = quizzes.build_question(
            kind, form.prompt_md.data, form.explanation_md.data, _form_choices(form)
        )
    except ContentError as exc:
        return [error.message for error in exc.errors]
    if question is None:
        quizzes.add_question(module, data, current_user)
    else:
        quizzes.update_question(question, data, current_user)
    db.session.commit()
    return []


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/new", methods=["GET", "POST"]
)
@roles_required("instructor")
@submit_once
def question_new(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    form, errors = QuestionForm(), []
    if form.validate_on_submit():
        errors = _save_question(form, module, None)
        if not errors:
            flash(_("Đã thêm câu hỏi."), "success")
            return to_quiz(course_id, module_id)
    return _question_form_page(form, module, None, errors)


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/<int:question_id>",
    methods=["GET", "POST"],
)
@roles_required("instructor")
def question_edit(course_id: int, module_id: int, question_id: int):
    question = load_question(course_id, module_id, question_id)
    module = question.module
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    form, errors = QuestionForm(), []
    if not form.is_submitted():
        _fill_form(form, question)
    elif form.validate_on_submit():
        errors = _save_question(form, module, question)
        if not errors:
            flash(_("Đã lưu câu hỏi."), "success")
            return to_quiz(course_id, module_id)
    return _question_form_page(form, module, question, errors)


def _fill_form(form: QuestionForm, question: Question) -> None:
    form.kind.data = question.kind
    form.prompt_md.data, form.explanation_md.data = question.prompt_md, question.explanation_md
    for entry, choice in zip(form.choices, question.choices, strict=False):
        entry.form.text.data, entry.form.is_correct.data = choice.text, choice.is_correct
        entry.form.is_pinned.data = choice.is_pinned


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/<int:question_id>/delete",
    methods=["GET", "POST"],
)
@roles_required("instructor")
def question_delete(course_id: int, module_id: int, question_id: int):
    question = load_question(course_id, module_id, question_id)
    if (redirected := editable_or_redirect(question.module.course)) is not None:
        return redirected
    if request.method == "GET":
        return confirm_page(
            _("Xoá câu hỏi"),
            request.path,
            _(
                "Bạn chắc chắn muốn xoá câu hỏi “%(prompt)s”?",
                prompt=quizzes.short_prompt(question),
            ),
            _("Xoá câu hỏi"),
            course=question.module.course,
            cancel=url_for("authoring.quiz", course_id=course_id, module_id=module_id),
        )
    require(ActionForm().validate_on_submit(), 400)
    quizzes.remove_question(question, current_user)
    db.session.commit()
    flash(_("Đã xoá câu hỏi."), "info")
    return to_quiz(course_id, module_id)


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/quiz/text", methods=["GET", "POST"]
)
@roles_required("instructor")
def quiz_text(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    form, errors = QuizTextForm(), []
    if not form.is_submitted():
        form.text.data = quizzes.quiz_text(module)
    elif form.validate_on_submit():
        try:
            count = quizzes.replace_quiz(module, form.text.data or "", current_user)
        except ContentError as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Đã lưu bài kiểm tra (%(n)s câu hỏi).", n=count), "success")
            return to_quiz(course_id, module_id)
    return render_template(
        "authoring/quiz_text.html",
        form=form,
        module=module,
        course=module.course,
        errors=errors,
        listing=quizzes.error_listing(form.text.data or "", errors),
    ), 400 if errors or form.errors else 200
