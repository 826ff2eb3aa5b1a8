"""Units as people read them: choices in a form (the one place a select box of the unit tree is
built), and each unit's code and full path for pages and exports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from academy.auth.access import units_in_scope
from academy.auth.models import Unit
from academy.extensions import db


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


PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class UnitInfo:
    """A unit as every HR page and export names it: its code and its full path."""

    id: int
    code: str
    name: str
    kind: str
    path: str  # materialised ids, "/1/7/42/"
    full_name: str  # "Thành phố › Phường Bến Nghé › Chi bộ Khu phố 1"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def label(self) -> str:
        """ "Chi bộ Khu phố 1 (CB-001)", where a name alone may be shared."""
        return f"{self.name} ({self.code})"


def unit_directory() -> dict[int, UnitInfo]:
    """Every unit by id with its code and full path: one query over the (small) unit table, for
    pages and exports that name units row by row."""
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.path)).all()
    names = {row.id: row.name for row in rows}
    directory = {}
    for row in rows:
        ids = [int(part) for part in row.path.strip("/").split("/") if part]
        full = PATH_SEPARATOR.join(names.get(i, "?") for i in ids) or row.name
        directory[row.id] = UnitInfo(row.id, row.code, row.name, row.kind, row.path, full)
    return directory


def unit_full_name(unit: Unit | None) -> str:
    """One unit's full path ("Thành phố › Phường … › Chi bộ …"); empty for no unit."""
    if unit is None:
        return ""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    return PATH_SEPARATOR.join(names.get(i, "?") for i in ids) or unit.name
