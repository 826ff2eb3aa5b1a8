"""Two-factor sign-in: the code step after the password, enrolment, recovery codes (routes on the
auth blueprint)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from academy.auth import two_factor
from academy.auth.forms import CodeForm, DisableTwoFactorForm
from academy.auth.services import check_sign_in_code, end_sessions, enrol_at_sign_in
from academy.auth.signin import finish_sign_in, pending_user
from academy.auth.throttle import AccountThrottled, ThrottleUnavailable
from academy.auth.views import _login_limit, bp, refuse_attempt
from academy.core.audit import record_audit
from academy.extensions import db, limiter
from academy.security import local_target


def _sign_in_again():
    flash(_("Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại."), "info")
    return redirect(url_for("auth.login"))


def _wrong_code(form, user) -> None:
    db.session.rollback()
    record_audit("auth.signin.code_failed", target=f"user:{user.id}")
    db.session.commit()
    form.code.errors = [_("Mã không đúng, đã hết hạn hoặc đã được dùng. Hãy thử mã mới nhất.")]


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_code():
    user = pending_user()
    if user is None:
        return _sign_in_again()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("auth.login_enrol", next=request.args.get("next")))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login_code.html", form=form
        ), 400 if form.is_submitted() else 200
    try:
        used_recovery_code = check_sign_in_code(user, form.code.data)
    except (AccountThrottled, ThrottleUnavailable) as exc:
        return refuse_attempt(
            exc, "auth/login_code.html", audit_target=f"user:{user.id}", form=form
        )
    except two_factor.InvalidCode:
        _wrong_code(form, user)
        return render_template("auth/login_code.html", form=form), 401
    finish_sign_in(user)
    if used_recovery_code:
        flash(
            _(
                "Bạn đã dùng một mã khôi phục; còn %(left)s mã.",
                left=two_factor.recovery_codes_left(user),
            ),
            "warning",
        )
    db.session.commit()
    return redirect(local_target(request.args.get("next"), url_for("paths.home")))


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_enrol():
    """Two-factor sign-in is required for this user's role and not set up yet: set it up now,
    before anything else."""
    user = pending_user()
    if user is None:
        return _sign_in_again()
    if two_factor.is_enrolled(user):
        return redirect(url_for("auth.login_code", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = enrol_at_sign_in(user, form.code.data)
        except (AccountThrottled, ThrottleUnavailable) as exc:
            return refuse_attempt(
                exc,
                "auth/login_enrol.html",
                audit_target=f"user:{user.id}",
                form=form,
                **_enrolment(user),
            )
        except two_factor.InvalidCode:
            _wrong_code(form, user)
        else:
            finish_sign_in(user)
            db.session.commit()
            return render_template(
                "auth/recovery_codes.html",
                codes=codes,
                next_url=local_target(request.args.get("next"), url_for("paths.home")),
            )
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login_enrol.html", form=form, **_enrolment(user)), status


def _enrolment(user) -> dict:
    """What the enrolment form shows: the QR and, for typing by hand, the key in groups of four."""
    secret = two_factor.pending_secret(user)
    db.session.commit()  # the pending secret is kept server-side before anyone is shown it
    _, qr = two_factor.enrolment_qr(user, secret)
    return {"secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), "qr": qr}


@bp.get("/account/two-factor")
@login_required
def two_factor_settings():
    return _settings_page()


def _settings_page(status: int = 200, code_form=None, disable_form=None):
    """The account's two-factor page: enrolment (QR, confirm) or its state and controls."""
    context = {
        "code_form": code_form or CodeForm(),
        "disable_form": disable_form or DisableTwoFactorForm(),
        "required": two_factor.is_required(current_user),
    }
    if two_factor.is_enrolled(current_user):
        context.update(
            enrolled_at=two_factor.enrolled_at(current_user),
            codes_left=two_factor.recovery_codes_left(current_user),
        )
    else:
        context.update(_enrolment(current_user))
    return render_template("auth/two_factor.html", **context), status


@bp.post("/account/two-factor/confirm")
@login_required
@limiter.limit(_login_limit)
def two_factor_confirm():
    form = CodeForm()
    try:
        codes = two_factor.confirm_enrolment(current_user, _submitted_code(form))
    except two_factor.InvalidCode:
        return _code_refused(form)
    _end_other_sessions()
    flash(_("Đã bật xác thực hai bước."), "success")
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.two_factor_settings")
    )


@bp.post("/account/two-factor/recovery-codes")
@login_required
@limiter.limit(_login_limit)
def two_factor_new_codes():
    form = CodeForm()
    try:
        two_factor.verify_second_factor(current_user, _submitted_code(form))
    except two_factor.InvalidCode:
        return _code_refused(form)
    codes = two_factor.replace_recovery_codes(current_user)
    db.session.commit()
    return render_template(
        "auth/recovery_codes.html", codes=codes, next_url=url_for("auth.two_factor_settings")
    )


@bp.post("/account/two-factor/disable")
@login_required
@limiter.limit(_login_limit)
def two_factor_disable():
    form = DisableTwoFactorForm()
    if not (form.validate_on_submit() and current_user.check_password(form.password.data)):
        form.password.errors = [_("Mật khẩu hiện tại không đúng.")]
        return _settings_page(400, disable_form=form)
    try:
        two_factor.disable_two_factor(current_user)
    except two_factor.TwoFactorRequired:
        form.password.errors = [_("Vai trò của bạn bắt buộc xác thực hai bước; không thể tắt.")]
        return _settings_page(400, disable_form=form)
    _end_other_sessions()
    flash(_("Đã tắt xác thực hai bước."), "info")
    return redirect(url_for("auth.two_factor_settings"))


def _submitted_code(form) -> str:
    if not form.validate_on_submit():
        raise two_factor.InvalidCode("missing")
    return form.code.data


def _code_refused(form):
    db.session.rollback()
    form.code.errors = [_("Mã không đúng, đã hết hạn hoặc đã được dùng. Hãy thử mã mới nhất.")]
    return _settings_page(400, code_form=form)


def _end_other_sessions() -> None:
    """A sign-in factor changed: every other session ends, this browser stays signed in."""
    end_sessions(current_user)
    db.session.commit()
    login_user(current_user._get_current_object())
