"""Health and language choice (the home page belongs to the paths feature: ``paths.home``)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from academy.core.forms import LocaleForm
from academy.extensions import db, limiter
from academy.security import local_target

bp = Blueprint("core", __name__, template_folder="templates")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure to reach the database is "unhealthy"
        db.session.rollback()
        return {"status": "unavailable", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.post("/locale")
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(local_target(request.form.get("next"), url_for("paths.home")))
