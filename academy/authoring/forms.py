"""Authoring forms. Labels are lazily translated; every form carries a CSRF token."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from academy.authoring.percent import PercentField
from academy.catalog.models import LEVEL_LABELS, LEVELS, TRACK_LABELS, TRACKS
from academy.forms import Form
from academy.markdown import MAX_MARKDOWN_CHARS

TOO_LONG = _l("Nội dung quá dài (tối đa %(max)d ký tự).")
REVIEW_LABELS = {
    "settled": _l("Sau khi đạt hoặc hết lượt"),
    "always": _l("Luôn hiển thị"),
    "never": _l("Không bao giờ"),
}
KIND_LABELS = {
    "single": _l("Một đáp án đúng"),
    "multiple": _l("Nhiều đáp án đúng (chọn nhiều)"),
    "true_false": _l("Đúng/Sai"),
}
MAX_WAIT_MINUTES = 7 * 24 * 60
MAX_TIME_LIMIT = 600


class CourseForm(Form):
    title = StringField(_l("Tên khoá học"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Tóm tắt"), validators=[Optional(), Length(max=2000)])
    description_md = TextAreaField(
        _l("Giới thiệu (Markdown)"), validators=[Optional(), Length(max=50000)]
    )
    track = SelectField(_l("Chuyên đề"), choices=[SelectChoice(t, TRACK_LABELS[t]) for t in TRACKS])
    level = SelectField(
        _l("Trình độ"), choices=[SelectChoice(lv, LEVEL_LABELS[lv]) for lv in LEVELS]
    )
    hours = IntegerField(
        _l("Số giờ học"), default=4, validators=[DataRequired(), NumberRange(1, 500)]
    )
    pass_threshold = PercentField(
        _l("Điểm đạt (%)"),
        default=0.7,
        validators=[InputRequired(), NumberRange(0.1, 1.0, _l("Điểm đạt phải từ 10%% đến 100%%."))],
    )
    review_policy = SelectField(
        _l("Học viên xem đáp án đúng và giải thích"),
        default="settled",
        choices=[SelectChoice(k, v) for k, v in REVIEW_LABELS.items()],
    )
    attempt_wait_minutes = IntegerField(
        _l("Thời gian chờ giữa hai lần làm bài (phút)"),
        default=0,
        validators=[Optional(), NumberRange(0, MAX_WAIT_MINUTES)],
    )


class ModuleForm(Form):
    title = StringField(_l("Tên học phần"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Tóm tắt"), validators=[Optional(), Length(max=2000)])
    intro_md = TextAreaField(
        _l("Giới thiệu (Markdown)"), validators=[Optional(), Length(max=50000)]
    )
    minutes = IntegerField(
        _l("Thời lượng (phút)"), default=30, validators=[DataRequired(), NumberRange(1, 2000)]
    )
    quiz_draw = IntegerField(
        _l("Số câu hỏi rút ngẫu nhiên mỗi lần làm bài"),
        validators=[Optional(), NumberRange(1, 1000)],
    )
    quiz_time_limit = IntegerField(
        _l("Giới hạn thời gian làm bài (phút)"),
        validators=[Optional(), NumberRange(1, MAX_TIME_LIMIT)],
    )
    # Choices (module ids) are set by the view: this course's other modules and published
    # courses' modules.
    prerequisites = SelectMultipleField(_l("Học phần tiên quyết"), coerce=int, choices=[])


class LessonForm(Form):
    title = StringField(_l("Tên bài học"), validators=[DataRequired(), Length(max=300)])
    body_md = TextAreaField(
        _l("Nội dung (Markdown)"),
        validators=[Optional(), Length(max=MAX_MARKDOWN_CHARS, message=TOO_LONG)],
    )
    # An image sent with the form (button "upload") is stored and its Markdown added to the body.
    image = FileField(_l("Tệp ảnh"))
    image_alt = StringField(
        _l("Mô tả ảnh (cho người đọc màn hình)"), validators=[Optional(), Length(max=200)]
    )


class ChoiceForm(Form):
    class Meta:
        csrf = False  # nested in QuestionForm, which carries the token

    text = StringField(_l("Phương án"), validators=[Optional(), Length(max=2000)])
    is_correct = BooleanField(_l("Đúng"))
    is_pinned = BooleanField(_l("Giữ nguyên vị trí"))


class QuestionForm(Form):
    kind = SelectField(
        _l("Loại câu hỏi"),
        default="single",
        choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()],
    )
    prompt_md = TextAreaField(
        _l("Câu hỏi (Markdown)"), validators=[DataRequired(), Length(max=5000)]
    )
    explanation_md = TextAreaField(
        _l("Giải thích (hiện sau khi nộp bài)"), validators=[Optional(), Length(max=10000)]
    )
    choices = FieldList(FormField(ChoiceForm), min_entries=6, max_entries=10)


class QuizTextForm(Form):
    text = TextAreaField(
        _l("Nội dung quiz.md"),
        validators=[Optional(), Length(max=MAX_MARKDOWN_CHARS, message=TOO_LONG)],
    )


class CoauthorForm(Form):
    email = StringField(
        _l("Email giảng viên"), validators=[DataRequired(), Email(), Length(max=254)]
    )


class UploadForm(Form):
    file = FileField(_l("Tệp"), validators=[FileRequired()])
    alt = StringField(
        _l("Mô tả ảnh (cho người đọc màn hình)"), validators=[Optional(), Length(max=200)]
    )


class ActionForm(Form):
    """An empty form for POST buttons (publish, move, delete, restore): only the CSRF token."""

    direction = HiddenField()
