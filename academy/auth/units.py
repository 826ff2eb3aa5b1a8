"""Units as choices in a form: the one place a select box of the unit tree is built."""

from __future__ import annotations

from collections.abc import Callable

from academy.auth.access import units_in_scope
from academy.auth.models import Unit


def unit_label(unit: Unit) -> str:
    """Name and code, indented by depth, so a select box shows the tree."""
    return "\u2003" * (unit.path.count("/") - 2) + f"{unit.name} ({unit.code})"


def unit_choices(
    scope: Unit | None, blank=None, *, blank_value=None, label: Callable[[Unit], str] = unit_label
) -> list[tuple]:
    """(id, label) of the units a reader with ``scope`` may pick, in tree order; led by
    ``(blank_value, blank)`` when ``blank`` is given."""
    choices = [(blank_value, blank)] if blank is not None else []
    return choices + [(unit.id, label(unit)) for unit in units_in_scope(scope)]
