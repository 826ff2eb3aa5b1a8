"""Administration of people: list and search, edit, bulk import (routes on the admin blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from academy.admin.audit_log import user_snapshot
from academy.admin.forms import ROLE_LABELS, ImportForm, UserEditForm, UserSearchForm
from academy.admin.imports import ImportFileError, import_users, read_rows
from academy.admin.services import LastAdminError, update_user
from academy.admin.views import bp
from academy.auth.access import roles_required
from academy.auth.account_links import invite_people
from academy.auth.models import Unit, User, UserRole
from academy.auth.units import unit_choices
from academy.core.audit import before_after, record_audit
from academy.database import contains_folded_words
from academy.extensions import db

_LAST_ADMIN = _l(
    "Không thể bỏ quyền quản trị hoặc khoá tài khoản của quản trị viên cuối cùng "
    "đang hoạt động. Hãy cấp quyền quản trị cho một người khác trước."
)


@bp.get("/admin/users")
@roles_required("admin")
def users():
    form = UserSearchForm(request.args, meta={"csrf": False})
    form.unit.choices = unit_choices(None, blank=_("Mọi đơn vị"))
    query = select(User).order_by(User.full_name, User.id)
    if form.validate():
        query = _search(query, form)
    page = db.paginate(
        query, page=request.args.get("page", 1, type=int), per_page=50, error_out=False
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/users.html", form=form, page=page, args=args, roles=ROLE_LABELS)


def _search(query, form):
    if (matches := contains_folded_words(User.search_name, form.q.data)) is not None:
        query = query.where(matches)
    if form.unit.data:
        unit = db.session.get(Unit, form.unit.data)
        if unit is not None:
            query = query.join(Unit, Unit.id == User.unit_id).where(unit.subtree_filter())
    if form.role.data:
        query = query.where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role == form.role.data))
        )
    return query


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user)
    form.unit.choices = unit_choices(None, blank=_("— Chưa có đơn vị —"))
    if request.method == "GET":
        form.unit.data, form.roles.data = user.unit_id, sorted(user.roles)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
        before = user_snapshot(user)
        try:
            changed = update_user(
                user,
                full_name=form.full_name.data,
                email=form.email.data,
                employee_code=form.employee_code.data,
                position=form.position.data,
                unit=unit,
                roles=form.roles.data or ["learner"],
                is_active=form.is_active.data,
            )
            if changed:
                detail = {"changed": changed, **before_after(before, user_snapshot(user))}
                record_audit("user.update", target=f"user:{user.id}", detail=detail)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash(_("Email hoặc mã cán bộ đã thuộc về người khác."), "danger")
            return render_template("admin/user_edit.html", form=form, user=user), 409
        except LastAdminError:
            db.session.rollback()
            flash(str(_LAST_ADMIN), "danger")
            return render_template("admin/user_edit.html", form=form, user=user), 409
        flash(_("Đã lưu thông tin %(name)s.", name=user.full_name), "success")
        return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_edit.html", form=form, user=user), status


@bp.route("/admin/users/import", methods=["GET", "POST"])
@roles_required("admin")
def import_users_view():
    form = ImportForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/import.html", form=form, result=None), status
    upload = form.file.data
    dry_run = not form.apply.data
    try:
        rows = read_rows(upload.filename, upload.read())
    except ImportFileError as exc:
        form.file.errors.append(str(exc))
        return render_template("admin/import.html", form=form, result=None), 400
    try:
        result = import_users(rows, dry_run=dry_run)
    except LastAdminError:
        db.session.rollback()
        flash(str(_LAST_ADMIN), "danger")
        return render_template("admin/import.html", form=form, result=None), 409
    if dry_run or not result.ok:
        db.session.rollback()
        return render_template(
            "admin/import.html", form=form, result=result, dry_run=dry_run
        ), 200 if result.ok else 400
    invited = _invite_imported(result) if form.invite.data else None
    record_audit(
        "users.import",
        target=upload.filename[:200],
        detail={**result.as_dict(), "invited": invited or 0},
    )
    db.session.commit()
    flash(_import_summary(result, invited), "success")
    return redirect(url_for("admin.invitations"))


def _invite_imported(result) -> int:
    """Invite the people of the file who have not signed in yet (new ones and earlier ones)."""
    count = invite_people(result.user_ids, inviter=current_user)
    record_audit("auth.invitation.send", target="import", detail={"count": count, "who": "import"})
    return count


def _import_summary(result, invited: int | None) -> str:
    summary = _(
        "Đã nhập: %(created)s tạo mới, %(updated)s cập nhật, %(unchanged)s không đổi.",
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    if invited is None:
        return summary + " " + _("Chưa gửi lời mời nào; gửi ở trang này khi sẵn sàng.")
    return summary + " " + _("Đã gửi lời mời cho %(n)s người.", n=invited)
