"""Forms of in-person sessions: creating or changing one, answering, cancelling."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from academy.database import utcnow
from academy.forms import Form, int_or_none
from academy.i18n import academy_zone

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def to_utc(local: datetime | None) -> datetime | None:
    """A local date and time typed in a form (the academy's time zone) as an aware UTC time."""
    if local is None:
        return None
    return local.replace(tzinfo=academy_zone()).astimezone(UTC)


def to_local(moment: datetime | None) -> datetime | None:
    """A stored UTC time as the naive local time a datetime-local input shows."""
    if moment is None:
        return None
    return moment.astimezone(academy_zone()).replace(tzinfo=None, second=0, microsecond=0)


class HoursField(FloatField):
    """A number of hours that also takes a decimal comma ("1,5"), as Vietnamese writes it."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(",", ".")]
        super().process_formdata(valuelist)


class SessionForm(Form):
    """A session: what, where, when (local time), hours credited, capacity, who is invited."""

    title = StringField(
        _l("Tên buổi học"),
        validators=[DataRequired(_l("Hãy nhập tên buổi học.")), Length(max=200)],
    )
    course = SelectField(
        _l("Khoá học liên quan (không bắt buộc)"), coerce=int_or_none, validators=[Optional()]
    )
    topic = TextAreaField(_l("Chủ đề, nội dung"), validators=[Optional(), Length(max=5000)])
    place = StringField(
        _l("Địa điểm"), validators=[DataRequired(_l("Hãy nhập địa điểm.")), Length(max=300)]
    )
    starts_at = DateTimeLocalField(
        _l("Bắt đầu"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Hãy chọn ngày giờ bắt đầu."))],
    )
    ends_at = DateTimeLocalField(
        _l("Kết thúc"),
        format=LOCAL_FORMAT,
        validators=[DataRequired(_l("Hãy chọn ngày giờ kết thúc."))],
    )
    hours = HoursField(
        _l("Số giờ được tính (0,5–40)"),
        validators=[
            DataRequired(_l("Hãy nhập số giờ được tính.")),
            NumberRange(min=0.5, max=40, message=_l("Số giờ phải từ 0,5 đến 40.")),
        ],
    )
    capacity = IntegerField(
        _l("Số chỗ (để trống nếu không giới hạn)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Số chỗ phải từ 1 đến 100000.")),
        ],
    )
    units = SelectMultipleField(
        _l("Đơn vị được mời (gồm đơn vị cấp dưới)"), coerce=int, validators=[Optional()]
    )
    people = TextAreaField(
        _l("Người được mời: email hoặc mã cán bộ, mỗi người một dòng"),
        validators=[Optional(), Length(max=20000)],
    )
    requires_sign_out = BooleanField(_l("Yêu cầu điểm danh khi ra về"))
    submit = SubmitField(_l("Lưu buổi học"))

    def __init__(self, *args, original_start=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_start = original_start  # an edit may keep a start already passed

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("Giờ kết thúc phải sau giờ bắt đầu."))

    def validate_starts_at(self, field):
        if field.data is None or field.data == to_local(self.original_start):
            return
        if to_utc(field.data) < utcnow():
            raise ValidationError(_l("Giờ bắt đầu đã qua; hãy chọn một thời điểm sắp tới."))

    def validate(self, extra_validators=None) -> bool:
        """Besides each field: a course or a topic, and at least one unit or person invited (the
        fields are optional one by one, so their own validators stop early when empty)."""
        valid = super().validate(extra_validators)
        if self.course.data is None and not (self.topic.data or "").strip():
            self.topic.errors = [
                *self.topic.errors,
                _l("Hãy chọn khoá học liên quan hoặc nhập chủ đề."),
            ]
            valid = False
        if not self.units.data and not (self.people.data or "").strip():
            self.people.errors = [
                *self.people.errors,
                _l("Hãy mời ít nhất một đơn vị hoặc một người."),
            ]
            valid = False
        return valid


class AnswerForm(Form):
    """An invitee registers or declines (two buttons)."""

    register = SubmitField(_l("Đăng ký tham dự"))
    decline = SubmitField(_l("Không tham dự"))


class CancelSessionForm(Form):
    confirm = SubmitField(_l("Xác nhận huỷ buổi học"))
