"""Forms of the hours part: external training recorded by HR, and a position's yearly hours."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FloatField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from academy.forms import Form
from academy.training.external import MAX_HOURS, MIN_HOURS


class ExternalTrainingForm(Form):
    title = StringField(
        _l("Tên khoá đào tạo, bồi dưỡng"), validators=[DataRequired(), Length(max=300)]
    )
    provider = StringField(_l("Cơ sở đào tạo"), validators=[Optional(), Length(max=300)])
    hours = FloatField(
        _l("Số giờ"),
        validators=[
            InputRequired(_l("Hãy nhập số giờ.")),
            NumberRange(MIN_HOURS, MAX_HOURS, _l("Số giờ phải từ %(min)s đến %(max)s.")),
        ],
    )
    completed_on = DateField(
        _l("Ngày hoàn thành"), validators=[InputRequired(_l("Hãy nhập ngày hoàn thành."))]
    )
    document = FileField(
        _l("Văn bản chứng minh (PDF, JPEG hoặc PNG)"),
        validators=[FileRequired(_l("Hãy chọn tệp chứng chỉ hoặc giấy chứng nhận."))],
    )
    submit = SubmitField(_l("Ghi nhận"))


class RequirementForm(Form):
    position = StringField(_l("Chức vụ"), validators=[DataRequired(), Length(max=200)])
    hours = FloatField(
        _l("Số giờ mỗi năm"),
        validators=[
            InputRequired(_l("Hãy nhập số giờ.")),
            NumberRange(0, 1000, _l("Số giờ phải từ %(min)s đến %(max)s.")),
        ],
    )
    submit = SubmitField(_l("Lưu"))
