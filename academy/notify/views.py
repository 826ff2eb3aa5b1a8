"""The bell's pages: /notifications (newest first), following one (marks it read), marking all
read, and the reminder preferences. The bell itself is in base.html (``notification_bell``)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from academy.auth.sessions import add_session_stamp
from academy.cache import local_cache, remembered
from academy.core.page_cache import register_part
from academy.extensions import db
from academy.notify import services
from academy.notify.forms import MarkAllReadForm, PreferencesForm

bp = Blueprint("notify", __name__, template_folder="templates")


@bp.app_context_processor
def inject_bell():
    """``notification_bell()`` in every page: the signed-in reader's unread count and latest
    notifications, queried only when a page shows the bell, once per request."""
    return {"notification_bell": _bell}


@bp.record_once
def _register_bell(state) -> None:
    register_part(state.app, "bell", _bell_html)
    add_session_stamp("bell", services.BELL_STAMP)


def _bell_html() -> str:
    """The bell's HTML for a kept page (academy.core.page_cache), kept per person and the state
    of their notifications, read with the user (``BELL_STAMP``): no statement when kept."""
    stamp = getattr(current_user, "stamps", {}).get("bell")
    if stamp is None:
        bell = _bell()
        stamp = bell.cache_key if bell else "-"
    key = f"bell-html:{current_user.id}:{stamp}:{get_locale()}"
    return remembered(local_cache, key, lambda: render_template("_bell.html"))


def _bell():
    """None (the bell shows no count) for a visitor, or when the database does not answer (an
    error page still renders)."""
    try:
        if current_user and current_user.is_authenticated:
            return services.bell_for(current_user)
    except SQLAlchemyError:
        db.session.rollback()
    return None


@bp.get("/notifications")
@login_required
def notifications():
    page = services.notification_page(current_user, request.args.get("page", 1, type=int))
    return render_template("notify/notifications.html", page=page, form=MarkAllReadForm())


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Following a notification marks it read and leads where it points."""
    link = services.open_notification(current_user, notification_id)
    db.session.commit()
    return redirect(link or url_for("notify.notifications"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    if MarkAllReadForm().validate_on_submit():
        marked = services.mark_all_read(current_user)
        db.session.commit()
        if marked:
            flash(_("Đã đánh dấu đã đọc tất cả thông báo."), "success")
    return redirect(url_for("notify.notifications"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm(obj=current_user)
    if form.validate_on_submit():
        services.set_reminder_choice(current_user, form.wants_reminders.data)
        if form.locale.data in current_app.config["LANGUAGES"]:
            current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Đã lưu lựa chọn nhận thông báo."), "success")
        return redirect(url_for("notify.preferences"))
    return render_template("notify/preferences.html", form=form), 400 if form.errors else 200
