"""Sign in, sign out, change password (two-factor steps: two_factor_views.py)."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from academy.auth.forms import ChangePasswordForm, LoginForm
from academy.auth.passwords import PASSWORD_RULE, WeakPasswordError
from academy.auth.services import authenticate, change_password, end_sessions
from academy.auth.signin import begin_second_step, finish_sign_in
from academy.auth.sso import add_routes as add_sso_routes
from academy.auth.sso import local_passwords_off, password_sign_in_allowed, provider_logout_url
from academy.auth.throttle import AccountThrottled, ThrottleUnavailable
from academy.auth.two_factor import asks_for_code
from academy.core.audit import record_audit
from academy.core.errors import render_error
from academy.extensions import db, limiter
from academy.security import local_target

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("paths.home"))
    form = LoginForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except (AccountThrottled, ThrottleUnavailable) as exc:
            return refuse_attempt(exc, "auth/login.html", audit_target=form.email.data, form=form)
        if user is not None and not password_sign_in_allowed(user):
            return _refuse_password(form)
        if user is not None and asks_for_code(user):
            begin_second_step(user)
            return redirect(url_for("auth.login_code", next=request.args.get("next")))
        if user is not None:
            finish_sign_in(user)
            db.session.commit()
            return redirect(local_target(request.args.get("next"), url_for("paths.home")))
        db.session.rollback()
        _record_failed_sign_in(form.email.data)
        flash(_("Email hoặc mật khẩu không đúng."), "danger")
        if local_passwords_off():
            flash(
                _(
                    "Nếu tài khoản của bạn gắn với tài khoản của thành phố, hãy bấm «Đăng nhập "
                    "bằng tài khoản của thành phố»: mật khẩu tại Học viện Số không dùng được."
                ),
                "info",
            )
        status = 401
    return render_template("auth/login.html", form=form), status


def _refuse_password(form):
    """The password is right, but this person signs in through the city's identity provider only
    (SSO_DISABLE_LOCAL_PASSWORDS): say so, sign nothing in."""
    db.session.rollback()
    typed = (form.email.data or "").strip()[:120]
    record_audit("auth.signin.failed", target=typed, detail={"email": typed, "reason": "sso_only"})
    db.session.commit()
    flash(
        _(
            "Tài khoản này đăng nhập bằng tài khoản của thành phố; mật khẩu tại Học viện Số không "
            "còn dùng được. Hãy bấm «Đăng nhập bằng tài khoản của thành phố»."
        ),
        "danger",
    )
    return render_template("auth/login.html", form=form), 403


def _record_failed_sign_in(typed_email: str) -> None:
    """The failed attempt is kept (the e-mail as typed, trimmed; never the password), although
    the sign-in itself changed nothing."""
    typed = (typed_email or "").strip()[:120]
    record_audit("auth.signin.failed", target=typed, detail={"email": typed})
    db.session.commit()


def refuse_attempt(exc: Exception, template: str, *, audit_target: str, **context):
    """The answer to a sign-in attempt refused before checking it: the account must wait (429,
    with how long), or the shared attempt counts cannot be reached (503: fail closed). The refusal
    is audited against ``audit_target`` (the e-mail as typed, or ``user:<id>``)."""
    db.session.rollback()
    reason = "unavailable" if isinstance(exc, ThrottleUnavailable) else "throttled"
    target = (audit_target or "").strip()[:120]
    record_audit("auth.signin.throttled", target=target, detail={"reason": reason})
    db.session.commit()
    if isinstance(exc, ThrottleUnavailable):
        return render_error(503, _("Tạm thời không đăng nhập được. Vui lòng thử lại sau ít phút."))
    flash(
        _(
            "Tài khoản này vừa bị thử sai nhiều lần. Vui lòng thử lại sau %(seconds)s giây.",
            seconds=exc.seconds,
        ),
        "danger",
    )
    response = current_app.make_response((render_template(template, **context), 429))
    response.headers["Retry-After"] = str(exc.seconds)
    return response


@bp.post("/logout")
@login_required
def logout():
    # a person who signed in through the city's provider signs out there too (when it offers it)
    at_provider = provider_logout_url()
    end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(at_provider or url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Mật khẩu hiện tại không đúng."))
        else:
            try:
                change_password(current_user, form.new_password.data)
            except WeakPasswordError as exc:
                form.new_password.errors.append(str(exc))
                return render_template("auth/password.html", form=form, rule=PASSWORD_RULE), 400
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # this browser stays signed in under the new version
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
            return redirect(url_for("paths.home"))
    return render_template("auth/password.html", form=form, rule=PASSWORD_RULE), status


add_sso_routes(bp)  # /login/sso and its callback (academy/auth/sso.py)

# Last: those routes join this blueprint, and their module imports ``bp`` from this one.
from academy.auth import account_views, two_factor_views  # noqa: E402, F401 - routes on bp
