"""Authoring forms. Labels are lazily translated; every form carries a CSRF token."""
from flask_babel import lazy_gettext as _l
from academy.forms import Form
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, FieldList, FloatField, FormField, HiddenField, IntegerField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from academy.catalog.models import LEVEL_LABELS, LEVELS, TRACK_LABELS, TRACKS
from academy.markdown import MAX_MARKDOWN_CHARS

TOO_LONG = _l("Nội dung quá dài (tối đa %(max)d ký tự).")



class CourseForm(Form):
    title = StringField(_l("Tên khoá học"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Tóm tắt"), validators=[Optional(), Length(max=2000)])
    description_md = TextAreaField(_l("Giới thiệu (Markdown)"), validators=[Optional(), Length(max=50000)])
    track = SelectField(_l("Chuyên đề"), choices=[SelectChoice(t, TRACK_LABELS[t]) for t in TRACKS])
    level = SelectField(_l("Trình độ"), choices=[SelectChoice(lv, LEVEL_LABELS[lv]) for lv in LEVELS])
    hours = IntegerField(_l("Số giờ học"), default=4, validators=[DataRequired(), NumberRange(1, 500)])
    pass_threshold = FloatField(_l("Ngưỡng đạt (0–1)"), default=0.7,
                                validators=[DataRequired(), NumberRange(0.1, 1.0)])


class ModuleForm(Form):
    title = StringField(_l("Tên học phần"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Tóm tắt"), validators=[Optional(), Length(max=2000)])
    intro_md = TextAreaField(_l("Giới thiệu (Markdown)"), validators=[Optional(), Length(max=50000)])
    minutes = IntegerField(_l("Thời lượng (phút)"), default=30, validators=[DataRequired(), NumberRange(1, 2000)])
    # Choices (module ids) are set by the view: this course's other modules and published courses' modules.
    prerequisites = SelectMultipleField(_l("Học phần tiên quyết"), coerce=int, choices=[])


class LessonForm(Form):
    title = StringField(_l("Tên bài học"), validators=[DataRequired(), Length(max=300)])
    body_md = TextAreaField(_l("Nội dung (Markdown)"),
                            validators=[Optional(), Length(max=MAX_MARKDOWN_CHARS, message=TOO_LONG)])


class ChoiceForm(Form):
    class Meta:
        csrf = False  # nested in QuestionForm, which carries the token

    text = StringField(_l("Phương án"), validators=[Optional(), Length(max=2000)])
    is_correct = BooleanField(_l("Đúng"))


class QuestionForm(Form):
    prompt_md = TextAreaField(_l("Câu hỏi (Markdown)"), validators=[DataRequired(), Length(max=5000)])
    explanation_md = TextAreaField(_l("Giải thích (hiện sau khi nộp bài)"),
                                   validators=[Optional(), Length(max=10000)])
    choices = FieldList(FormField(ChoiceForm), min_entries=6, max_entries=10)


class QuizTextForm(Form):
    text = TextAreaField(_l("Nội dung quiz.md"),
                         validators=[Optional(), Length(max=MAX_MARKDOWN_CHARS, message=TOO_LONG)])


class CoauthorForm(Form):
    email = StringField(_l("Email giảng viên"), validators=[DataRequired(), Email(), Length(max=254)])


class UploadForm(Form):
    file = FileField(_l("Tệp"), validators=[FileRequired()])
    alt = StringField(_l("Mô tả ảnh (cho người đọc màn hình)"), validators=[Optional(), Length(max=200)])


class ActionForm(Form):
    """An empty form for POST buttons (publish, move, delete, restore): only the CSRF token."""

    direction = HiddenField()
