"""The page "Khoá truy cập API" (/me/api-tokens): create a personal access token (its secret
shown once), list and revoke them. An admin sees and may revoke everyone's.

Registering this blueprint also builds the API itself (``resources.init_api``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.api import tokens
from academy.api.forms import SCOPE_LABELS, RevokeForm, TokenForm
from academy.api.resources import init_api
from academy.extensions import db
from academy.reports.services import due_datetime

bp = Blueprint("api", __name__, template_folder="templates")
bp.record_once(lambda state: init_api(state.app))


def _form() -> TokenForm:
    form = TokenForm()
    form.scopes.choices = [(s, SCOPE_LABELS[s]) for s in tokens.allowed_scopes(current_user)]
    return form


def _page(form, secret=None, status=200):
    everyone = current_user.has_role("admin")
    return (
        render_template(
            "api/tokens.html",
            form=form,
            secret=secret,
            tokens=tokens.tokens_of(current_user, everyone=everyone),
            everyone=everyone,
            revoke_form=RevokeForm(),
        ),
        status,
    )


@bp.get("/me/api-tokens")
@login_required
def token_list():
    return _page(_form())


@bp.post("/me/api-tokens")
@login_required
def create_token():
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    expires_at = due_datetime(form.expires_on.data) if form.expires_on.data else None
    try:
        _token, secret = tokens.create_token(
            current_user, form.name.data, form.scopes.data, expires_at
        )
    except tokens.TokenRefused as refused:
        getattr(form, "expires_on" if refused.field == "expires_at" else refused.field).errors = [
            refused.message
        ]
        return _page(form, status=400)
    db.session.commit()
    flash(_("Đã tạo khoá. Hãy chép khoá ngay: nó chỉ hiện một lần."), "success")
    return _page(_form(), secret=secret)


@bp.post("/me/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if RevokeForm().validate_on_submit():
        tokens.revoke_token(token_id, current_user)
        db.session.commit()
        flash(_("Đã thu hồi khoá."), "success")
    return redirect(url_for("api.token_list"))
