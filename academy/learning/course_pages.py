"""The catalogue of published courses and the course page, with the reader's own progress.

They live in learning (not catalog) because they show personal progress and the enrol form; the
blueprint keeps the name "catalog", so endpoints (``catalog.course_detail``) and URLs are unchanged.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from academy.auth.access import can_edit_course, can_view_course, require
from academy.auth.sessions import add_session_stamp, read_with_user, view_rows
from academy.catalog.forms import CourseFilterForm, filters_of
from academy.catalog.models import LEVEL_LABELS, TRACK_LABELS
from academy.catalog.services import catalogue_page, get_course
from academy.catalog.stamps import CATALOGUE_STAMP, remember_catalogue_stamp
from academy.core.page_cache import shared_page
from academy.learning.forms import EnrolForm
from academy.learning.progress import (
    PROGRESS_ROWS_ALL_COURSES,
    course_progress_from_modules,
    module_progress,
    next_lesson,
    progress_by_course,
)
from academy.learning.services import active_question_counts

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.record_once
def _catalogue_stamp_with_the_user(state) -> None:
    """Pages keyed by the catalogue's stamp (catalogue, path, lesson outline) read it with the
    signed-in user, not in a statement of its own."""
    add_session_stamp("catalogue", CATALOGUE_STAMP, seen=remember_catalogue_stamp)
    # The marks on the catalogue's cards come with the user too: a kept catalogue is one statement.
    read_with_user("catalog.course_list", PROGRESS_ROWS_ALL_COURSES, many=True)


@bp.app_template_filter("track_label")
def track_label(track: str) -> str:
    return str(TRACK_LABELS.get(track, track))


@bp.app_template_filter("level_label")
def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


@bp.get("/courses")
@login_required
def course_list():
    filters = filters_of(request.args)
    page = catalogue_page(**filters, page=request.args.get("page", 1, type=int))
    totals = {c.id: (c.lessons_total, c.modules_total) for c in page.items}
    rows = view_rows(PROGRESS_ROWS_ALL_COURSES, {"user_id": current_user.id})
    progress = progress_by_course(current_user, list(totals), totals=totals, rows=rows)
    args = {
        key: value
        for key, value in (
            ("q", filters["query"]),
            ("track", filters["track"]),
            ("level", filters["level"]),
        )
        if value
    }
    # Kept for every reader with the same cards and the same marks on them.
    shown = (
        [course.stamp for course in page.items],
        page.page,
        page.total,
        sorted((cid, _card_marks(p)) for cid, p in progress.items()),
    )
    return shared_page(
        ("catalogue", shown),
        lambda: render_template(
            "catalog/course_list.html",
            form=CourseFilterForm(request.args),
            page=page,
            progress=progress,
            args=args,
            filtered=bool(args),
        ),
    )


def _card_marks(p: dict) -> tuple:
    """What a course card shows of the reader's progress."""
    due = p["due_at"] and p["due_at"].isoformat()
    return (p["enrolled"], p["fraction"], p["completed_at"] is not None, p["is_overdue"], due)


@bp.get("/courses/<slug>")
@login_required
def course_detail(slug: str):
    course = get_course(slug)
    require(course is not None and can_view_course(current_user, course))
    shown = {m.id: m for m in course.modules}
    shown.update({p.id: p for m in course.modules for p in m.prerequisites})
    states = module_progress(current_user, list(shown.values()))
    progress = course_progress_from_modules(current_user, course, states)
    counts = active_question_counts([m.id for m in course.modules])
    return render_template(
        "catalog/course_detail.html",
        course=course,
        progress=progress,
        states=states,
        question_counts=counts,
        next_lesson=_first_unread(course, states),
        quiz_to_pass=_quiz_to_pass(course, states, counts),
        form=EnrolForm(),
        can_edit=can_edit_course(current_user, course),
    )


def _first_unread(course, states):
    lessons = [lesson for m in course.modules for lesson in m.lessons]
    done = {lid for m in course.modules for lid in states[m.id]["done_lesson_ids"]}
    return next_lesson(lessons, done)


def _quiz_to_pass(course, states, counts):
    """The first module whose quiz is still to pass: where "continue" leads once every lesson is
    read (instead of back to lesson 1)."""
    return next(
        (m for m in course.modules if counts.get(m.id) and not states[m.id]["passed"]), None
    )
