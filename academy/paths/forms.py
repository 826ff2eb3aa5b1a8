"""Forms of the learning path."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class PlacementForm(FlaskForm):
    """The placement quiz: the signed ticket; the answers are read from ``q<id>`` fields."""

    ticket = HiddenField()
