"""Authoring routes for modules and lessons: create, edit, reorder, delete, preview, history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from academy.auth.access import require, roles_required
from academy.authoring import drafts, services
from academy.authoring.forms import ActionForm, LessonForm, ModuleForm
from academy.authoring.media import MediaError, image_markdown, store_image
from academy.authoring.revisions import diff_rows, revision_of
from academy.authoring.views import bp, confirm_page, editable_or_redirect, load_course
from academy.catalog.models import Lesson, Module
from academy.core.once import submit_once
from academy.extensions import db
from academy.markdown import render_markdown


def load_module(course_id: int, module_id: int) -> Module:
    course = load_course(course_id)
    module = db.session.get(Module, module_id)
    require(module is not None and module.course_id == course.id)
    return module


def load_lesson(course_id: int, lesson_id: int) -> Lesson:
    course = load_course(course_id)
    lesson = db.session.get(Lesson, lesson_id)
    require(lesson is not None and lesson.module.course_id == course.id)
    return lesson


def to_course(course_id: int, anchor: str = ""):
    return redirect(url_for("authoring.course_detail", course_id=course_id) + anchor, 303)


@bp.route("/authoring/courses/<int:course_id>/modules/new", methods=["GET", "POST"])
@roles_required("instructor")
@submit_once
def module_new(course_id: int):
    course = load_course(course_id)
    if (redirected := editable_or_redirect(course)) is not None:
        return redirected
    form = ModuleForm()
    groups = _offer_prerequisites(form, course, None)
    if form.validate_on_submit() and _draw_fits(form, 0):
        module = services.create_module(course, current_user, **form.data)
        if _save_prerequisites(form, module):
            db.session.commit()
            flash(_("Đã thêm học phần."), "success")
            return to_course(course.id, f"#module-{module.id}")
    return render_template(
        "authoring/module_form.html",
        form=form,
        course=course,
        module=None,
        prerequisite_groups=groups,
    ), 400 if form.errors else 200


@bp.route("/authoring/courses/<int:course_id>/modules/<int:module_id>", methods=["GET", "POST"])
@roles_required("instructor")
def module_edit(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    form = ModuleForm(obj=module)
    groups = _offer_prerequisites(form, module.course, module)
    if form.validate_on_submit() and _draw_fits(form, len(module.active_questions)):
        services.update_module(module, current_user, **form.data)
        if _save_prerequisites(form, module):
            db.session.commit()
            flash(_("Đã lưu học phần."), "success")
            return to_course(course_id, f"#module-{module.id}")
    return render_template(
        "authoring/module_form.html",
        form=form,
        course=module.course,
        module=module,
        prerequisite_groups=groups,
    ), 400 if form.errors else 200


def _draw_fits(form, pool: int) -> bool:
    """The number of questions drawn cannot exceed the questions the module has."""
    problem = drafts.quiz_draw_problem(form.title.data, form.quiz_draw.data, pool)
    if problem:
        form.quiz_draw.errors = [problem]
    return problem is None


def _offer_prerequisites(form, course, module):
    groups = services.prerequisite_groups(course, module)
    form.prerequisites.choices = [choice for _title, items in groups for choice in items]
    if request.method != "POST":
        form.prerequisites.data = [m.id for m in module.prerequisites] if module is not None else []
    return groups


def _save_prerequisites(form, module) -> bool:
    """Store the chosen prerequisites; a looping choice is a form error, and nothing is saved."""
    try:
        services.set_prerequisites(module, current_user, form.prerequisites.data or [])
    except services.PrerequisiteCycle:
        db.session.rollback()
        form.prerequisites.errors = [
            _(
                "Không thể lưu: các học phần tiên quyết đã chọn lại cần chính học phần "
                "này (vòng lặp). Hãy bỏ chọn học phần gây vòng lặp."
            )
        ]
        return False
    return True


@bp.post("/authoring/courses/<int:course_id>/modules/<int:module_id>/move")
@roles_required("instructor")
def module_move(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    return _move(course_id, module.course.modules, module, f"#module-{module.id}")


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/delete", methods=["GET", "POST"]
)
@roles_required("instructor")
def module_delete(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    if request.method == "GET":
        return confirm_page(
            _("Xoá học phần"),
            request.path,
            _(
                "Bạn chắc chắn muốn xoá học phần “%(title)s” cùng %(lessons)s bài học và "
                "%(questions)s câu hỏi của nó? Không thể hoàn tác.",
                title=module.title,
                lessons=len(module.lessons),
                questions=len(module.active_questions),
            ),
            _("Xoá học phần"),
            course=module.course,
        )
    require(ActionForm().validate_on_submit(), 400)
    services.delete_module(module, current_user)
    db.session.commit()
    flash(_("Đã xoá học phần."), "info")
    return to_course(course_id)


@bp.route(
    "/authoring/courses/<int:course_id>/modules/<int:module_id>/lessons/new",
    methods=["GET", "POST"],
)
@roles_required("instructor")
@submit_once
def lesson_new(course_id: int, module_id: int):
    module = load_module(course_id, module_id)
    if (redirected := editable_or_redirect(module.course)) is not None:
        return redirected
    form = LessonForm()
    if _is_upload(form):
        return _insert_image(form, module, None)
    if form.validate_on_submit():
        lesson = services.create_lesson(
            module, current_user, form.title.data, form.body_md.data or ""
        )
        db.session.commit()
        flash(_("Đã tạo bài học."), "success")
        return redirect(
            url_for("authoring.lesson_edit", course_id=course_id, lesson_id=lesson.id), 303
        )
    return _editor(form, module, None), 400 if form.errors else 200


@bp.route("/authoring/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@roles_required("instructor")
def lesson_edit(course_id: int, lesson_id: int):
    lesson = load_lesson(course_id, lesson_id)
    if (redirected := editable_or_redirect(lesson.module.course)) is not None:
        return redirected
    form = LessonForm(obj=lesson)
    if _is_upload(form):
        return _insert_image(form, lesson.module, lesson)
    if form.validate_on_submit():
        try:
            revision = services.save_lesson(
                lesson, current_user, form.title.data, form.body_md.data or ""
            )
            db.session.commit()
        except IntegrityError:  # two saves raced for the same revision number
            db.session.rollback()
            flash(_("Bài học vừa được lưu ở nơi khác. Hãy tải lại trang và thử lại."), "danger")
            return redirect(
                url_for("authoring.lesson_edit", course_id=course_id, lesson_id=lesson_id), 303
            )
        flash(
            _("Đã lưu phiên bản %(n)s.", n=revision.number)
            if revision
            else _("Không có thay đổi."),
            "success" if revision else "info",
        )
        return redirect(
            url_for("authoring.lesson_edit", course_id=course_id, lesson_id=lesson.id), 303
        )
    return _editor(form, lesson.module, lesson), 400 if form.errors else 200


def _is_upload(form) -> bool:
    """The "upload image" button of the lesson form (the page works without script)."""
    return request.method == "POST" and request.form.get("action") == "upload"


def _insert_image(form, module, lesson):
    """Store the image sent with the lesson form and add its Markdown at the end of the body; the
    page comes back with everything typed so far (nothing is saved as a lesson yet). The CSRF
    token was checked for every POST by ``CSRFProtect``."""
    upload = form.image.data
    if not upload or not getattr(upload, "filename", None):
        form.image.errors = [_("Chưa chọn tệp ảnh.")]
        return _editor(form, module, lesson), 400
    try:
        name = store_image(upload.stream, current_user, module.course)
    except MediaError as exc:
        form.image.errors = [str(exc)]
        return _editor(form, module, lesson), 400
    db.session.commit()
    markdown = image_markdown(name, form.image_alt.data)
    body = (form.body_md.data or "").rstrip("\n")
    form.body_md.data = f"{body}\n\n{markdown}\n" if body else f"{markdown}\n"
    form.body_md.raw_data = [form.body_md.data]
    form.image_alt.data = form.image_alt.raw_data = None
    flash(_("Đã tải ảnh lên và chèn vào cuối nội dung. Nhớ lưu bài học."), "success")
    return _editor(form, module, lesson), 200


def _editor(form, module, lesson):
    """The editor page; its preview shows what was sent (re-shown after an upload or an error)."""
    if request.method == "POST":
        preview = render_markdown(form.body_md.data or "")
    else:
        preview = lesson.body_html if lesson is not None else ""
    return render_template(
        "authoring/lesson_form.html",
        form=form,
        module=module,
        course=module.course,
        lesson=lesson,
        preview_html=preview,
    )


@bp.post("/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/move")
@roles_required("instructor")
def lesson_move(course_id: int, lesson_id: int):
    lesson = load_lesson(course_id, lesson_id)
    if (redirected := editable_or_redirect(lesson.module.course)) is not None:
        return redirected
    return _move(course_id, lesson.module.lessons, lesson, f"#module-{lesson.module_id}")


def _move(course_id: int, siblings, item, anchor: str):
    """One step up or down among its siblings, as the posted form says."""
    form = ActionForm()
    require(form.validate_on_submit() and form.direction.data in ("up", "down"), 400)
    services.move_item(siblings, item, -1 if form.direction.data == "up" else 1, current_user)
    db.session.commit()
    return to_course(course_id, anchor)


@bp.route(
    "/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"]
)
@roles_required("instructor")
def lesson_delete(course_id: int, lesson_id: int):
    lesson = load_lesson(course_id, lesson_id)
    if (redirected := editable_or_redirect(lesson.module.course)) is not None:
        return redirected
    module_id = lesson.module_id
    if request.method == "GET":
        return confirm_page(
            _("Xoá bài học"),
            request.path,
            _(
                "Bạn chắc chắn muốn xoá bài học “%(title)s”? Không thể hoàn tác.",
                title=lesson.title,
            ),
            _("Xoá bài học"),
            course=lesson.module.course,
            cancel=url_for("authoring.course_detail", course_id=course_id) + f"#module-{module_id}",
        )
    require(ActionForm().validate_on_submit(), 400)
    services.delete_lesson(lesson, current_user)
    db.session.commit()
    flash(_("Đã xoá bài học."), "info")
    return to_course(course_id, f"#module-{module_id}")


@bp.get("/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/preview")
@roles_required("instructor")
def lesson_preview(course_id: int, lesson_id: int):
    lesson = load_lesson(course_id, lesson_id)
    return render_template(
        "authoring/lesson_preview.html", lesson=lesson, course=lesson.module.course
    )


@bp.get("/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/history")
@roles_required("instructor")
def lesson_history(course_id: int, lesson_id: int):
    lesson = load_lesson(course_id, lesson_id)
    revisions = list(reversed(lesson.revisions))
    by_number = {
        r.number: r for r in lesson.revisions
    }  # loaded for the list already: no query per side
    numbers = list(by_number)
    old = request.args.get("a", type=int) or (numbers[-2] if len(numbers) > 1 else None)
    new = request.args.get("b", type=int) or (numbers[-1] if numbers else None)
    left, right = by_number.get(old), by_number.get(new)
    require(
        not (old and left is None) and not (new and right is None)
    )  # an unknown revision number
    rows = diff_rows(left.body_md, right.body_md) if left and right else []
    return render_template(
        "authoring/history.html",
        lesson=lesson,
        course=lesson.module.course,
        revisions=revisions,
        left=left,
        right=right,
        rows=rows,
        action=ActionForm(),
    )


@bp.post("/authoring/courses/<int:course_id>/lessons/<int:lesson_id>/restore/<int:number>")
@roles_required("instructor")
def lesson_restore(course_id: int, lesson_id: int, number: int):
    lesson = load_lesson(course_id, lesson_id)
    revision = revision_of(lesson, number)
    require(revision is not None)
    require(ActionForm().validate_on_submit(), 400)
    target = drafts.draft_lesson_for(
        lesson, current_user
    )  # a published course is restored into its draft
    saved = services.save_lesson(
        target, current_user, revision.title, revision.body_md, restored_from=number
    )
    db.session.commit()
    flash(
        _("Đã khôi phục phiên bản %(n)s thành phiên bản mới.", n=number)
        if saved
        else _("Nội dung đã giống phiên bản %(n)s.", n=number),
        "success",
    )
    return redirect(
        url_for("authoring.lesson_history", course_id=target.module.course_id, lesson_id=target.id),
        303,
    )
