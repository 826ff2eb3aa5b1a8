"""Forms of the learner's journey. Quiz answers are read from the request by question id."""

from wtforms import HiddenField

from academy.forms import Form


class EnrolForm(Form):
    next = HiddenField()


class MarkDoneForm(Form):
    pass


class QuizForm(Form):
    token = HiddenField()
