from academy.forms import Form
from wtforms import HiddenField


class LocaleForm(Form):
    locale = HiddenField()
    next = HiddenField()
