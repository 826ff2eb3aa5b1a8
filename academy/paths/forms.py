"""Forms of the learning path."""
from academy.forms import Form
from wtforms import HiddenField


class PlacementForm(Form):
    """The placement quiz: the signed ticket; the answers are read from ``q-<id>`` fields."""

    ticket = HiddenField()
