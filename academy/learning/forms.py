"""Forms of the learner's journey. Quiz answers are read from the request by question id."""
from academy.forms import Form
from wtforms import HiddenField


class EnrolForm(Form):
    next = HiddenField()


class MarkDoneForm(Form):
    pass


class QuizForm(Form):
    token = HiddenField()
