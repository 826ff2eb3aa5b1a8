"""Forms of the learning path."""

from wtforms import HiddenField

from academy.forms import Form


class PlacementForm(Form):
    """The placement quiz: the signed ticket; the answers are read from ``q-<id>`` fields."""

    ticket = HiddenField()
