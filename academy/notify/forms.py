from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from academy.forms import Form

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language


class PreferencesForm(Form):
    wants_reminders = BooleanField(_l("Gửi e-mail nhắc trước hạn và bản tổng hợp hằng tuần"))
    locale = SelectField(
        _l("Ngôn ngữ của thư và thông báo"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )


class MarkAllReadForm(Form):
    """Only the CSRF token: "mark all read" is a POST."""
