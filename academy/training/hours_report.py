"""HR's view of a unit's training hours: each counted person of the subtree with their hours by
source against their requirement, a summary, and the CSV download."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from academy.auth.models import Unit, User
from academy.auth.units import unit_directory
from academy.core.cells import neutralise
from academy.extensions import db
from academy.learning.counting import counted_person
from academy.training.hours import YearHours, year_hours

SORTS = ("name", "shortfall")


@dataclass(frozen=True, slots=True)
class PersonHours:
    user_id: int
    full_name: str
    employee_code: str
    position: str
    unit_code: str
    unit_path: str
    hours: YearHours


@dataclass(frozen=True, slots=True)
class UnitSummary:
    people: int
    met: int
    average: float  # hours per person

    @property
    def met_share(self) -> float | None:
        return self.met / self.people if self.people else None


def people_select(subtree: Unit | None):
    """The counted (active) people of ``subtree``, everyone for None."""
    query = select(User.id).where(counted_person())
    if subtree is not None:
        query = query.where(User.unit_id.in_(subtree.subtree_ids_select()))
    return query


def unit_hours(subtree: Unit | None, year: int, sort: str = "name") -> list[PersonHours]:
    """Every counted person of ``subtree`` with their hours in ``year``; by name, or by
    ``shortfall`` (most hours missing first, then by name)."""
    hours = year_hours(people_select(subtree), year)
    units = unit_directory()
    rows = db.session.execute(
        select(User.id, User.full_name, User.employee_code, User.position, User.unit_id).where(
            User.id.in_(people_select(subtree))
        )
    )
    people = []
    for user_id, name, code, position, unit_id in rows:
        info = units.get(unit_id)
        people.append(
            PersonHours(
                user_id,
                name,
                code or "",
                position or "",
                info.code if info else "",
                info.full_name if info else "",
                hours.get(user_id) or YearHours(),
            )
        )
    people.sort(key=lambda p: (p.full_name, p.user_id))
    if sort == "shortfall":
        people.sort(key=lambda p: -p.hours.shortfall)  # stable: by name within a shortfall
    return people


def summarise(people: list[PersonHours]) -> UnitSummary:
    total = sum(p.hours.total for p in people)
    return UnitSummary(
        people=len(people),
        met=sum(1 for p in people if p.hours.met),
        average=round(total / len(people), 1) if people else 0.0,
    )


COLUMNS = (
    _l("Mã đơn vị"),
    _l("Đơn vị"),
    _l("Mã cán bộ"),
    _l("Họ và tên"),
    _l("Chức vụ"),
    _l("Giờ từ khoá học"),
    _l("Giờ từ buổi học trực tiếp"),
    _l("Giờ đào tạo bên ngoài"),
    _l("Tổng số giờ"),
    _l("Số giờ yêu cầu"),
    _l("Đạt yêu cầu"),
)


def csv_bytes(people: list[PersonHours], separator: str = ",") -> bytes:
    """The list as CSV (UTF-8 with BOM for Excel), every text cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow([str(label) for label in COLUMNS])
    yes, no = str(_l("Có")), str(_l("Không"))
    for p in people:
        h = p.hours
        texts = (p.unit_code, p.unit_path, p.employee_code, p.full_name, p.position)
        writer.writerow(
            [neutralise(text) for text in texts]
            + [h.courses, h.sessions, h.external, h.total, h.required, yes if h.met else no]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
