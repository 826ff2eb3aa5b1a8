"""Authoring in the browser: course-level pages (list, create, settings, draft, publish, co-authors,
preview, media, stats). Modules/lessons and quizzes live in views_content.py and views_quiz.py,
which add their routes to the same blueprint."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.access import can_edit_course, can_manage_coauthors, require, roles_required
from academy.authoring import drafts, services
from academy.authoring.forms import REVIEW_LABELS, ActionForm, CoauthorForm, CourseForm, UploadForm
from academy.authoring.media import MediaError, image_markdown, media_response, store_image
from academy.authoring.stats import MIN_ATTEMPTS, question_stats
from academy.catalog.models import Course
from academy.core.once import submit_once
from academy.extensions import db
from academy.markdown import render_markdown

bp = Blueprint("authoring", __name__, template_folder="templates")


def load_course(course_id: int) -> Course:
    """The course if the current user may edit it; 404 otherwise (never "exists but not yours")."""
    course = db.session.get(Course, course_id)
    require(course is not None and can_edit_course(current_user, course))
    return course


def editable_or_redirect(course: Course):
    """Content is written only on a draft: a published course answers with a pointer to it."""
    if course.status == "draft":
        return None
    flash(_("Khoá học đang được xuất bản cho học viên. Hãy mở bản nháp để chỉnh sửa."), "warning")
    return redirect(url_for("authoring.course_detail", course_id=course.id), 303)


@bp.get("/authoring/")
@roles_required("instructor")
def index():
    return render_template(
        "authoring/index.html",
        courses=services.editable_courses(current_user),
        upload_form=UploadForm(),
        errors=None,
    )


@bp.route("/authoring/courses/new", methods=["GET", "POST"])
@roles_required("instructor")
@submit_once
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        course = services.create_course(current_user, **form.data)
        db.session.commit()
        flash(_("Đã tạo khoá học ở trạng thái bản nháp."), "success")
        return redirect(url_for("authoring.course_detail", course_id=course.id), 303)
    return render_template(
        "authoring/course_form.html", form=form, course=None
    ), 400 if form.errors else 200


@bp.get("/authoring/courses/<int:course_id>")
@roles_required("instructor")
def course_detail(course_id: int):
    course = load_course(course_id)
    return render_template(
        "authoring/course.html",
        course=course,
        live=course.draft_of or course,
        action=ActionForm(),
        coauthors=services.coauthors(course.draft_of or course),
        coauthor_form=CoauthorForm(),
        may_manage=can_manage_coauthors(current_user, course),
        stale=drafts.stale_draft(course),
        review_labels=REVIEW_LABELS,
    )


@bp.route("/authoring/courses/<int:course_id>/settings", methods=["GET", "POST"])
@roles_required("instructor")
def course_settings(course_id: int):
    course = load_course(course_id)
    if (redirected := editable_or_redirect(course)) is not None:
        return redirected
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        services.update_course(course, current_user, **form.data)
        db.session.commit()
        flash(_("Đã lưu thông tin khoá học."), "success")
        return redirect(url_for("authoring.course_detail", course_id=course.id), 303)
    return render_template(
        "authoring/course_form.html", form=form, course=course
    ), 400 if form.errors else 200


@bp.post("/authoring/courses/<int:course_id>/draft")
@roles_required("instructor")
def course_start_draft(course_id: int):
    course = load_course(course_id)
    require(ActionForm().validate_on_submit(), 400)
    draft = drafts.draft_for_editing(course, current_user)
    db.session.commit()
    return redirect(url_for("authoring.course_detail", course_id=draft.id), 303)


@bp.route("/authoring/courses/<int:course_id>/publish", methods=["GET", "POST"])
@roles_required("instructor")
def course_publish(course_id: int):
    """GET asks "are you sure?" (and lists what stops publishing); the POST from there publishes."""
    course = load_course(course_id)
    if request.method == "GET" and course.status != "draft":
        flash(_("Không có bản nháp nào để xuất bản."), "info")
        return redirect(url_for("authoring.course_detail", course_id=course.id), 303)
    if request.method == "GET":
        return confirm_page(
            _("Xuất bản khoá học"),
            url_for("authoring.course_publish", course_id=course.id),
            _(
                "Bạn chắc chắn muốn xuất bản “%(title)s”? Học viên sẽ thấy ngay phiên bản mới.",
                title=course.title,
            ),
            _("Xuất bản"),
            course=course,
            details=drafts.check_publishable(course) if course.status == "draft" else [],
            stale=drafts.stale_draft(course),
            danger=False,
        )
    require(ActionForm().validate_on_submit(), 400)
    try:
        live = drafts.publish_course(
            course, current_user, overwrite=request.form.get("overwrite") == "1"
        )
    except drafts.PublishError as exc:
        db.session.rollback()
        for error in exc.messages:
            flash(error, "danger")
        return redirect(url_for("authoring.course_detail", course_id=course.id), 303)
    db.session.commit()
    flash(_("Đã xuất bản phiên bản %(version)s.", version=live.version), "success")
    return redirect(url_for("authoring.course_detail", course_id=live.id), 303)


def confirm_page(
    title: str,
    action: str,
    question: str,
    button: str,
    *,
    course,
    details=(),
    stale=None,
    danger: bool = True,
    cancel: str | None = None,
):
    """The page that asks before a delete or a publish; its one POST button does it (no script
    needed; a GET never changes anything)."""
    cancel = cancel or url_for("authoring.course_detail", course_id=course.id)
    return render_template(
        "authoring/confirm.html",
        title=title,
        action_url=action,
        question=question,
        button=button,
        course=course,
        details=details,
        stale=stale,
        danger=danger,
        cancel_url=cancel,
        action=ActionForm(),
    )


@bp.post("/authoring/courses/<int:course_id>/discard")
@roles_required("instructor")
def course_discard_draft(course_id: int):
    course = load_course(course_id)
    require(ActionForm().validate_on_submit() and course.is_draft_copy, 400)
    live = drafts.discard_draft(course, current_user)
    db.session.commit()
    flash(_("Đã huỷ bản nháp; học viên vẫn thấy phiên bản đang xuất bản."), "info")
    return redirect(url_for("authoring.course_detail", course_id=live.id), 303)


@bp.post("/authoring/courses/<int:course_id>/authors")
@roles_required("instructor")
def coauthor_add(course_id: int):
    course = load_course(course_id)
    require(can_manage_coauthors(current_user, course))
    live, form = course.draft_of or course, CoauthorForm()
    if not form.validate_on_submit():
        flash(_("Email không hợp lệ."), "danger")
    elif services.add_coauthor(live, form.email.data, current_user) is None:
        flash(_("Không tìm thấy giảng viên có email này."), "danger")
    else:
        db.session.commit()
        flash(_("Đã thêm đồng tác giả."), "success")
    return redirect(url_for("authoring.course_detail", course_id=course.id), 303)


@bp.post("/authoring/courses/<int:course_id>/authors/<int:user_id>/remove")
@roles_required("instructor")
def coauthor_remove(course_id: int, user_id: int):
    course = load_course(course_id)
    require(can_manage_coauthors(current_user, course) and ActionForm().validate_on_submit())
    if services.remove_coauthor(course.draft_of or course, user_id, current_user):
        db.session.commit()
        flash(_("Đã bỏ đồng tác giả."), "info")
    return redirect(url_for("authoring.course_detail", course_id=course.id), 303)


@bp.post("/authoring/preview")
@roles_required("instructor")
def preview():
    """Markdown → the HTML learners will see, by the same renderer (the editor asks, debounced)."""
    text = request.form.get("body_md", "")
    require(len(text) <= 200000, 413)
    return jsonify(html=render_markdown(text))


@bp.post("/authoring/courses/<int:course_id>/media")
@roles_required("instructor")
def media_upload(course_id: int):
    course = load_course(course_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return jsonify(error=_("Chưa chọn tệp ảnh.")), 400
    try:
        name = store_image(form.file.data.stream, current_user, course)
    except MediaError as exc:
        return jsonify(error=str(exc)), 400
    db.session.commit()
    url = url_for("authoring.media_file", name=name)
    return jsonify(url=url, markdown=image_markdown(name, form.alt.data)), 201


@bp.get("/media/<name>")
@login_required
def media_file(name: str):
    response = media_response(name)
    if response is None:
        abort(404)
    return response


@bp.get("/authoring/courses/<int:course_id>/stats")
@roles_required("instructor")
def course_stats(course_id: int):
    course = load_course(course_id)
    live = course.draft_of or course
    return render_template(
        "authoring/stats.html",
        course=course,
        live=live,
        rows=question_stats(live),
        min_attempts=MIN_ATTEMPTS,
    )


from academy.authoring import views_content, views_learners, views_quiz, views_transfer  # noqa: E402,F401 - add routes to bp
