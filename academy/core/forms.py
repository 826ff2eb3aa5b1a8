from flask_wtf import FlaskForm
from wtforms import HiddenField


class LocaleForm(FlaskForm):
    locale = HiddenField()
    next = HiddenField()
