"""Report filters (a GET form) and the assignment form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from academy.forms import Form, int_or_none
from academy.reports.exporters import STATUS_LABELS
from academy.reports.queries import SORTS


class ReportFilterForm(Form):
    """Read from the query string; no CSRF (nothing is written)."""

    class Meta:
        csrf = False

    unit = SelectField(
        _l("Đơn vị (gồm đơn vị cấp dưới)"), coerce=int_or_none, validators=[Optional()]
    )
    course = SelectField(_l("Khoá học"), coerce=int_or_none, validators=[Optional()])
    date_from = DateField(_l("Từ ngày"), validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), validators=[Optional()])
    status = SelectField(
        _l("Trạng thái"),
        validators=[Optional()],
        choices=[
            SelectChoice("", _l("Tất cả")),
            *(SelectChoice(key, label) for key, label in STATUS_LABELS.items()),
        ],
    )
    sort = HiddenField(default="unit")
    dir = HiddenField(default="asc")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Ngày kết thúc phải sau ngày bắt đầu."))

    @property
    def sort_key(self) -> str:
        return self.sort.data if self.sort.data in SORTS else "unit"

    @property
    def descending(self) -> bool:
        return self.dir.data == "desc"


class AssignmentForm(Form):
    unit = SelectField(
        _l("Đơn vị (gồm đơn vị cấp dưới)"),
        coerce=int_or_none,
        validators=[DataRequired(_l("Hãy chọn đơn vị được giao."))],
    )
    course = SelectField(_l("Khoá học"), coerce=int_or_none, validators=[DataRequired()])
    due_date = DateField(_l("Hạn hoàn thành"), validators=[DataRequired()])
    # Two steps without JavaScript: "preview" counts who would be enrolled and writes nothing;
    # "confirm" (on the preview, carrying the same values) creates the assignment.
    preview = SubmitField(_l("Xem trước"))
    confirm = SubmitField(_l("Xác nhận giao"))


class DeleteForm(Form):
    submit = SubmitField(_l("Huỷ giao"))
