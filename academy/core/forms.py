from wtforms import HiddenField

from academy.forms import Form


class LocaleForm(Form):
    locale = HiddenField()
    next = HiddenField()
