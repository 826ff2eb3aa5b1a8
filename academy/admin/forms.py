"""Admin forms: units, users, bulk import, audit log filter."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from academy.auth.models import ROLES, UNIT_KINDS
from academy.forms import Form, int_or_none

ROLE_LABELS = {
    "learner": _l("Người học"),
    "instructor": _l("Giảng viên"),
    "hr": _l("Cán bộ tổ chức"),
    "admin": _l("Quản trị"),
}
KIND_LABELS = {
    "city": _l("Thành phố"),
    "agency": _l("Cơ quan"),
    "ward": _l("Phường, xã"),
    "cell": _l("Chi bộ, tổ"),
}


UNIT_CODE_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}\Z")
UNIT_CODE_MESSAGE = _l(
    "Mã đơn vị gồm 1–32 ký tự: chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới."
)


def is_valid_unit_code(code: str | None) -> bool:
    """A unit code fit for URLs, file names and headers: ``[A-Za-z0-9._-]``, 1 to 32 characters.
    (Unit import and any other way of creating a unit should check codes with this too.)"""
    return bool(code) and UNIT_CODE_PATTERN.fullmatch(code) is not None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UnitForm(Form):
    code = StringField(
        _l("Mã đơn vị"),
        filters=[_strip],
        validators=[DataRequired(), Regexp(UNIT_CODE_PATTERN, message=UNIT_CODE_MESSAGE)],
    )
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Loại"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in UNIT_KINDS])
    parent = SelectField(_l("Thuộc đơn vị"), coerce=int_or_none, validators=[Optional()])
    submit = SubmitField(_l("Lưu"))


class UserSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(
        _l("Tìm theo tên, email hoặc mã cán bộ"), validators=[Optional(), Length(max=100)]
    )
    unit = SelectField(_l("Đơn vị"), coerce=int_or_none, validators=[Optional()])
    role = SelectField(
        _l("Vai trò"),
        validators=[Optional()],
        choices=[SelectChoice("", _l("Mọi vai trò"))]
        + [SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
    )


class UserEditForm(Form):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=200)])
    email = StringField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    employee_code = StringField(_l("Mã cán bộ"), validators=[Optional(), Length(max=40)])
    position = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=200)])
    unit = SelectField(_l("Đơn vị"), coerce=int_or_none, validators=[Optional()])
    roles = SelectMultipleField(
        _l("Vai trò"),
        choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    is_active = BooleanField(_l("Đang hoạt động"))
    submit = SubmitField(_l("Lưu"))


class ImportForm(Form):
    file = FileField(
        _l("Tệp CSV hoặc XLSX"),
        validators=[
            FileRequired(_l("Hãy chọn tệp.")),
            FileAllowed(["csv", "xlsx"], _l("Chỉ nhận tệp .csv hoặc .xlsx.")),
        ],
    )
    invite = BooleanField(
        _l("Gửi lời mời qua email cho những người trong tệp chưa đăng nhập lần nào"),
        description=_l("Mỗi người nhận một liên kết để tự đặt mật khẩu."),
    )
    dry_run = SubmitField(_l("Kiểm tra (chạy thử)"))
    apply = SubmitField(_l("Nhập"))


class AuditFilterForm(Form):
    """The audit log's filters (GET): person, action, the person's unit (subtree), local dates."""

    class Meta:
        csrf = False

    actor = StringField(
        _l("Người thực hiện (tên hoặc email)"), validators=[Optional(), Length(max=254)]
    )
    # A known code matches exactly; other text (e.g. "authoring.") is a prefix of codes.
    action = SelectField(
        _l("Hành động"), validators=[Optional(), Length(max=80)], validate_choice=False
    )
    unit = SelectField(
        _l("Đơn vị (gồm đơn vị cấp dưới)"), coerce=int_or_none, validators=[Optional()]
    )
    date_from = DateField(_l("Từ ngày"), validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))
