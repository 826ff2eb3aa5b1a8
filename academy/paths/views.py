"""The home page, my learning path and the placement quiz."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.sessions import read_with_user
from academy.catalog.models import TRACKS
from academy.core.page_cache import shared_page
from academy.database import db
from academy.learning.quiz_tokens import (
    InvalidQuizToken,
    answers_from_form,
    issue_quiz_token,
    read_quiz_token,
)
from academy.learning.services import learner_overview
from academy.paths import placement
from academy.paths.forms import PlacementForm
from academy.paths.services import LEARNER_ROWS, build_path, home_path

bp = Blueprint("paths", __name__, template_folder="templates")


@bp.record_once
def _learner_rows_with_the_user(_state) -> None:
    """The path's input (the learner's results and enrolments) comes with the signed-in user:
    a kept path page costs one statement."""
    read_with_user("paths.my_path", LEARNER_ROWS, many=True)
    read_with_user("paths.home", LEARNER_ROWS, many=True)


@bp.get("/")
@login_required
def home():
    """My learning path first, then the courses to continue."""
    return render_template(
        "paths/home.html", overview=learner_overview(current_user), path=home_path(current_user)
    )


@bp.get("/me/path")
@login_required
def my_path():
    path = build_path(current_user)
    return shared_page(("path", path.key), lambda: render_template("paths/my_path.html", path=path))


@bp.route("/me/placement/<track>", methods=["GET", "POST"])
@login_required
def placement_quiz(track: str):
    if track not in TRACKS:
        abort(404)
    form = PlacementForm()
    if request.method == "POST":
        return _submit_placement(track, form)
    questions = placement.draw_questions(track)
    question_ids = [q.id for q in questions]
    form.ticket.data = issue_quiz_token(current_user, track, question_ids, kind="placement")
    return render_template("paths/placement.html", track=track, form=form, questions=questions)


def _submit_placement(track: str, form: PlacementForm):
    try:
        if not form.validate_on_submit():
            raise InvalidQuizToken("form")
        ticket = read_quiz_token(form.ticket.data, current_user, track, kind="placement")
    except InvalidQuizToken:
        flash(_("Bài kiểm tra đầu vào đã hết hạn hoặc không hợp lệ. Mời bạn làm lại."), "warning")
        return redirect(url_for("paths.placement_quiz", track=track)), 303
    answers = answers_from_form(request.form, ticket.question_ids)
    attempts = placement.submit_placement(current_user, track, ticket, answers)
    db.session.commit()
    passed = sum(1 for a in attempts if a.passed)
    flash(
        _(
            "Đã ghi nhận kết quả kiểm tra đầu vào: bạn đạt %(passed)s/%(total)s mô-đun. "
            "Lộ trình đã được cập nhật.",
            passed=passed,
            total=len(attempts),
        ),
        "success",
    )
    return redirect(url_for("paths.my_path"), 303)


from academy.paths import completion  # noqa: E402,F401 - registers the course completion page on bp
