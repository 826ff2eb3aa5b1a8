"""Forms of the learner's journey. Quiz answers are read from the request by question id."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class EnrolForm(FlaskForm):
    next = HiddenField()


class MarkDoneForm(FlaskForm):
    pass


class QuizForm(FlaskForm):
    token = HiddenField()
