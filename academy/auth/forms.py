from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from academy.auth.passwords import MAX_LENGTH, password_problem
from academy.forms import Form


class StrongPassword:
    """The password rule as a field validator. The person it is for comes from the form's
    ``email``/``full_name``/``employee_code`` fields when it has them (creating an account), else
    from the signed-in user (changing one's own password)."""

    def __call__(self, form, field):
        problem = password_problem(field.data or "", **self._person(form))
        if problem:
            raise ValidationError(problem)

    @staticmethod
    def _person(form) -> dict:
        names = ("email", "full_name", "employee_code")
        if any(name in form for name in names):
            return {name: (form[name].data or "") if name in form else "" for name in names}
        if current_user and current_user.is_authenticated:
            return {
                "email": current_user.email,
                "full_name": current_user.full_name,
                "employee_code": current_user.employee_code or "",
            }
        return {}


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), StrongPassword()])
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("Hai mật khẩu không khớp.")),
        ],
    )


class CodeForm(Form):
    code = StringField(
        _l("Mã xác thực"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )


class DisableTwoFactorForm(Form):
    password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )


class SetPasswordForm(Form):
    """A first password (invitation) or a new one (reset link); the rule is checked by the view
    against the person the link is for."""

    password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Hai mật khẩu không khớp.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "email"},
    )
