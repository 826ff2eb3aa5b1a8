"""Report filters (a GET form) and the assignment form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from academy.forms import Form, int_or_none
from academy.reports.assignments import MAX_DAYS, local_today
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
    kind = SelectField(
        _l("Loại khoá học"),
        validators=[Optional()],
        choices=[
            SelectChoice("", _l("Bắt buộc và tự chọn")),
            SelectChoice("mandatory", _l("Chỉ khoá bắt buộc")),
            SelectChoice("voluntary", _l("Chỉ khoá tự chọn")),
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
    """A mandate: the unit (with the units below it), the course and the due rule, either a day
    (today at the earliest, in the academy's time zone) or "within N days of joining"."""

    unit = SelectField(
        _l("Đơn vị (gồm đơn vị cấp dưới)"),
        coerce=int_or_none,
        validators=[DataRequired(_l("Hãy chọn đơn vị được giao."))],
    )
    course = SelectField(_l("Khoá học"), coerce=int_or_none, validators=[DataRequired()])
    due_kind = RadioField(
        _l("Hạn hoàn thành"),
        choices=[
            SelectChoice("fixed", _l("Một ngày cố định")),
            SelectChoice("relative", _l("Tính từ ngày mỗi người vào đơn vị")),
        ],
        default="fixed",
        validators=[Optional()],
    )
    due_date = DateField(_l("Hạn hoàn thành: đến hết ngày"), validators=[Optional()])
    due_days = IntegerField(
        _l("Số ngày kể từ khi vào đơn vị (1–%(max)s)", max=MAX_DAYS),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_DAYS, message=_l("Số ngày phải từ 1 đến %(max)s.", max=MAX_DAYS)
            ),
        ],
    )
    # Two steps without JavaScript: "preview" counts who would be enrolled and writes nothing;
    # "confirm" (on the preview, carrying the same values) creates the assignment.
    preview = SubmitField(_l("Xem trước"))
    confirm = SubmitField(_l("Xác nhận giao"))

    @property
    def relative(self) -> bool:
        return self.due_kind.data == "relative"

    def validate(self, extra_validators=None) -> bool:
        """The field of the chosen kind is required (a blank one in the other kind is ignored); a
        day before today is refused."""
        super().validate(extra_validators)
        wanted, ignored = (
            (self.due_days, self.due_date) if self.relative else (self.due_date, self.due_days)
        )
        ignored.errors = []
        if wanted.data is None and not wanted.errors:
            wanted.errors.append(
                _l("Hãy nhập số ngày kể từ khi vào đơn vị.")
                if self.relative
                else _l("Hãy chọn ngày hết hạn.")
            )
        elif not self.relative and wanted.data is not None and wanted.data < local_today():
            wanted.errors.append(
                _l(
                    "Hạn hoàn thành đã qua: hãy chọn từ hôm nay (%(today)s) trở đi.",
                    today=local_today().strftime("%d/%m/%Y"),
                )
            )
        return not any(field.errors for field in self)


class DeleteForm(Form):
    submit = SubmitField(_l("Huỷ giao"))
