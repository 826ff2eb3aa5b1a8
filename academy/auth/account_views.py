"""Links by e-mail (routes on the auth blueprint): accepting an invitation, "forgot password" and
the reset link. A used, replaced or expired link answers 410 with a page that says so."""

from __future__ import annotations

import math
import time

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from academy.auth.account_links import (
    INVITATION,
    RESET,
    request_password_reset,
    set_password_by_link,
)
from academy.auth.forms import ForgotPasswordForm, SetPasswordForm
from academy.auth.passwords import PASSWORD_RULE, WeakPasswordError
from academy.auth.signin import begin_second_step, finish_sign_in
from academy.auth.tokens import LinkUnusable, usable_token
from academy.auth.two_factor import asks_for_code
from academy.auth.views import bp
from academy.extensions import db, limiter

TEMPLATES = {INVITATION: "auth/activate.html", RESET: "auth/reset.html"}


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/account/activate/<token>", methods=["GET", "POST"])
def activate(token: str):
    return _password_by_link(token, INVITATION)


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_by_link(token, RESET)


def _password_by_link(token: str, purpose: str):
    """The form of a link: set a password, then sign in (the second factor first, if any)."""
    link = usable_token(token, purpose)
    if link is None:
        return _unusable(purpose)
    form, person = SetPasswordForm(), link.user
    if form.validate_on_submit():
        try:
            person = set_password_by_link(token, purpose, form.password.data, person)
        except WeakPasswordError as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        except LinkUnusable:
            db.session.rollback()
            return _unusable(purpose)
        else:
            return _signed_in(person, purpose)
    page = render_template(TEMPLATES[purpose], form=form, person=person, rule=PASSWORD_RULE)
    return page, 400 if form.is_submitted() else 200


def _unusable(purpose: str):
    return render_template(TEMPLATES[purpose], unusable=True), 410


def _signed_in(person, purpose: str):
    if purpose == INVITATION:
        done = _("Đã đặt mật khẩu. Chào mừng bạn đến với Học viện Số!")
    else:
        done = _("Đã đặt mật khẩu mới. Các phiên đăng nhập khác đã bị đăng xuất.")
    if asks_for_code(person):
        begin_second_step(person)
        db.session.commit()
        flash(done + " " + _("Hãy hoàn tất đăng nhập bằng mã xác thực."), "success")
        return redirect(url_for("auth.login_code"))
    finish_sign_in(person)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("paths.home"))


def _too_many_requests(limit):
    """Over ``RESET_RATE_LIMIT`` from this address: the form again, saying why and how long."""
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    page = render_template("auth/forgot.html", form=ForgotPasswordForm(), retry_minutes=minutes)
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(minutes * 60)
    return response


@bp.route("/account/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], on_breach=_too_many_requests)
def forgot():
    """The same answer (a redirect to the same notice) whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        return redirect(url_for("auth.forgot", sent=1))
    sent = request.method == "GET" and request.args.get("sent") == "1"
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    page = render_template("auth/forgot.html", form=form, sent=sent, minutes=minutes)
    return page, 400 if form.is_submitted() else 200
