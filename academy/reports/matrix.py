"""The compliance matrix: units × mandatory courses, each cell the share complete and the number
overdue of the mandatory enrolments counted there (``counting``), as at one moment.

Set-based: one query aggregates the counted enrolments per (person's unit, course) and one counts
the people per unit; the unit tree (a few hundred rows) is rolled up in Python to the children of
the unit in focus. A unit with no children shows its people instead, one page at a time; a page
costs a fixed handful of queries too, whatever the number of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, or_, select

from academy.auth.models import Unit, User
from academy.auth.units import UnitInfo, unit_directory
from academy.catalog.models import Course
from academy.core.pagination import Page, clamp_page
from academy.database import utcnow
from academy.extensions import db
from academy.learning.counting import completed_by, counted_person, mandatory, overdue_at
from academy.learning.models import Assignment, Enrollment
from academy.reports.matrix_people import PersonRow, people_page
from academy.search_text import fold

GOOD_SHARE = 90.0  # "on track" from this share complete (%), with nobody overdue
ALERT_OVERDUE_SHARE = 10.0  # "act now" from this share (%) of the counted enrolments overdue
UNITS_PER_PAGE = 200
PEOPLE_PER_PAGE = 50

LEVELS = {
    "good": _l("Đạt"),
    "watch": _l("Cần theo dõi"),
    "alert": _l("Cần xử lý"),
    "none": _l("Không có khoá bắt buộc"),
}
MARKS = {"good": "✓", "watch": "!", "alert": "✕", "none": "—"}


def legend() -> list[tuple[str, str, str]]:
    """(level, mark, sentence) for the page and the workbook: the colour rule in words."""
    return [
        (
            "good",
            MARKS["good"],
            _l(
                "Đạt: hoàn thành từ %(share)s%% trở lên và không ai quá hạn.",
                share=f"{GOOD_SHARE:g}",
            ),
        ),
        (
            "watch",
            MARKS["watch"],
            _l("Cần theo dõi: chưa đạt nhưng số quá hạn dưới mức cần xử lý."),
        ),
        (
            "alert",
            MARKS["alert"],
            _l(
                "Cần xử lý: từ %(share)s%% số lượt bắt buộc trở lên đã quá hạn.",
                share=f"{ALERT_OVERDUE_SHARE:g}",
            ),
        ),
        ("none", MARKS["none"], _l("—: không có lượt học bắt buộc nào được tính ở ô này.")),
    ]


@dataclass
class Cell:
    """Counted mandatory enrolments of one course in one unit (or subtree) and how they stand."""

    enrolled: int = 0
    completed: int = 0
    overdue: int = 0

    def add(self, other: Cell) -> None:
        self.enrolled += other.enrolled
        self.completed += other.completed
        self.overdue += other.overdue

    @property
    def share(self) -> float | None:
        """Share complete, in percent to one decimal; None when nothing is counted."""
        return round(100 * self.completed / self.enrolled, 1) if self.enrolled else None

    @property
    def level(self) -> str:
        if not self.enrolled:
            return "none"
        if 100 * self.overdue >= ALERT_OVERDUE_SHARE * self.enrolled:
            return "alert"
        if not self.overdue and 100 * self.completed >= GOOD_SHARE * self.enrolled:
            return "good"
        return "watch"

    @property
    def label(self) -> str:
        return str(LEVELS[self.level])


@dataclass
class UnitRow:
    """One row: a child unit of the focus with its whole subtree, or (``direct``) the people who
    belong to the focus unit itself rather than to any unit below it."""

    unit: UnitInfo
    people: int = 0
    cells: dict[int, Cell] = field(default_factory=dict)
    has_children: bool = False
    direct: bool = False

    def cell(self, course_id: int) -> Cell:
        return self.cells.get(course_id) or Cell()

    def add(self, course_id: int, cell: Cell) -> None:
        self.cells.setdefault(course_id, Cell()).add(cell)


@dataclass(frozen=True)
class CourseColumn:
    id: int
    title: str


@dataclass
class Matrix:
    as_of: datetime
    focus: UnitInfo | None
    trail: list[tuple[UnitInfo, bool]]  # the focus's path from the root; True = may be opened
    courses: list[CourseColumn]
    total: UnitRow
    rows: list[UnitRow] = field(default_factory=list)  # this page of unit rows (unit mode)
    people: list[PersonRow] | None = None  # this page of people (people mode)
    page: Page | None = None

    @property
    def shows_people(self) -> bool:
        return self.people is not None


def focus_unit(scope: Unit | None, asked: Unit | None) -> Unit | None:
    """The unit whose children are the rows: the one asked for (already checked to lie in scope),
    else the reader's scope, else the single root (None when there are several roots)."""
    if asked is not None:
        return asked
    if scope is not None:
        return scope
    roots = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)))
    return roots[0] if len(roots) == 1 else None


def build_matrix(
    scope: Unit | None,
    focus: Unit | None,
    *,
    people: bool = False,
    page: int = 1,
    per_page: int | None = None,
    now: datetime | None = None,
) -> Matrix:
    """The matrix for ``focus`` as at ``now``: its child units as rows, or its own people when it
    has no children or ``people`` asks for them. ``per_page=None`` takes the default page size;
    0 takes every row (the workbook)."""
    now = now or utcnow()
    directory = unit_directory()
    info = directory[focus.id] if focus is not None else None
    base = info.path if info is not None else "/"
    figures = {  # a whole tree is read unfiltered: another root's units leave here
        key: cell
        for key, cell in _figures(focus, now).items()
        if key[0] in directory and directory[key[0]].path.startswith(base)
    }
    courses = _columns(focus, {course_id for _unit, course_id in figures})
    children = _children(directory, info)
    trail = _trail(directory, info, scope)
    if info is not None and (people or not children):
        leaf = not children
        return _people_matrix(info, figures, courses, trail, (now, page, per_page), leaf)
    rows, total = _roll_up(directory, info, children, figures, _people_counts(focus))
    size = UNITS_PER_PAGE if per_page is None else per_page or max(len(rows), 1)
    number = clamp_page(page, len(rows), size)
    shown = rows[(number - 1) * size : number * size]
    return Matrix(
        now, info, trail, courses, total, rows=shown, page=Page(shown, number, size, len(rows))
    )


def _people_matrix(info, figures, courses, trail, paging, leaf: bool) -> Matrix:
    """The focus unit's own people as rows; the totals are theirs (a leaf's whole subtree)."""
    now, page, per_page = paging
    total = UnitRow(info, direct=not leaf)
    for (unit_id, course_id), cell in figures.items():
        if unit_id == info.id:
            total.add(course_id, cell)
    size = PEOPLE_PER_PAGE if per_page is None else per_page
    persons, pager = people_page(info.id, [c.id for c in courses], now, page, size)
    total.people = pager.total
    return Matrix(now, info, trail, courses, total, people=persons, page=pager)


def _whole_tree(focus: Unit | None) -> bool:
    return focus is None or focus.parent_id is None


def _within(query, focus: Unit | None):
    """``query`` (over users) kept to people whose unit lies in the focus subtree.

    A whole tree is read in one pass, unfiltered (the roll-up leaves out any other tree's units),
    and grouped by "column + 0": that keeps SQLite from walking an index (the people of each unit
    in turn, the enrolments of each course), looking up every row, which is several times slower at
    city scale. Below the top, the subtree's few units lead, through the unit index.
    """
    if _whole_tree(focus):
        return query
    return query.where(User.unit_id.in_(focus.subtree_ids_select()))


def _keys(focus: Unit | None, *columns):
    return [column + 0 for column in columns] if _whole_tree(focus) else list(columns)


def _figures(focus: Unit | None, now: datetime) -> dict[tuple[int, int], Cell]:
    """Counted mandatory enrolments per (person's current unit, course): one grouped query."""
    unit_id, course_id = _keys(focus, User.unit_id, Enrollment.course_id)
    query = (
        select(
            unit_id,
            course_id,
            func.count(),
            func.sum(case((completed_by(now), 1), else_=0)),
            func.sum(case((overdue_at(now), 1), else_=0)),
        )
        .select_from(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .where(counted_person(), mandatory(), User.unit_id.is_not(None))
        .group_by(unit_id, course_id)
    )
    return {
        (unit, course): Cell(int(n), int(done or 0), int(late or 0))
        for unit, course, n, done, late in db.session.execute(_within(query, focus))
    }


def _people_counts(focus: Unit | None) -> dict[int, int]:
    """Counted people per unit: one grouped query."""
    (unit_id,) = _keys(focus, User.unit_id)
    query = (
        select(unit_id, func.count(User.id))
        .where(counted_person(), User.unit_id.is_not(None))
        .group_by(unit_id)
    )
    return dict(db.session.execute(_within(query, focus)).all())


def _columns(focus: Unit | None, counted: set[int]) -> list[CourseColumn]:
    """Courses with an active mandate reaching the focus subtree (set on a unit in it or above
    it), and any course whose mandatory enrolments are counted there (a person who moved in keeps
    the mandate of the unit they came from): one query."""
    active = Assignment.cancelled_at.is_(None)
    if focus is not None:
        reach = or_(focus.subtree_filter(), literal(focus.path).startswith(Unit.path))
        assigned = (
            select(Assignment.course_id)
            .join(Unit, Unit.id == Assignment.unit_id)
            .where(active, reach)
        )
    else:
        assigned = select(Assignment.course_id).where(active)
    wanted = Course.id.in_(assigned)
    if counted:
        wanted = wanted | Course.id.in_(sorted(counted))
    rows = db.session.execute(select(Course.id, Course.title).where(wanted)).all()
    return sorted(
        (CourseColumn(course_id, title) for course_id, title in rows),
        key=lambda c: (fold(c.title), c.id),
    )


def _parent_path(path: str) -> str:
    return path[: path.rstrip("/").rfind("/") + 1]


def _children(directory: dict[int, UnitInfo], info: UnitInfo | None) -> list[UnitInfo]:
    base = info.path if info is not None else "/"
    return [u for u in directory.values() if _parent_path(u.path) == base and u.path != base]


def _trail(directory, info: UnitInfo | None, scope: Unit | None) -> list[tuple[UnitInfo, bool]]:
    if info is None:
        return []
    ids = [int(part) for part in info.path.strip("/").split("/") if part]
    return [
        (directory[i], scope is None or directory[i].path.startswith(scope.path))
        for i in ids
        if i in directory
    ]


def _roll_up(directory, info, children, figures, people) -> tuple[list[UnitRow], UnitRow]:
    """Every figure goes to the row of the child unit on its path (or to the focus's own row)."""
    base = info.path if info is not None else "/"
    parents = {_parent_path(u.path) for u in directory.values()}
    rows = {u.id: UnitRow(u, has_children=u.path in parents) for u in children}
    direct = UnitRow(info, direct=True) if info is not None else None
    total = UnitRow(info) if info is not None else UnitRow(UnitInfo(0, "", "", "", "/", ""))

    def row_of(unit_id: int) -> UnitRow | None:
        unit = directory.get(unit_id)
        if unit is None or not unit.path.startswith(base):
            return None
        rest = unit.path[len(base) :].strip("/")
        return rows.get(int(rest.split("/")[0])) if rest else direct

    for (unit_id, course_id), cell in figures.items():
        row = row_of(unit_id)
        if row is not None:
            row.add(course_id, cell)
            total.add(course_id, cell)
    for unit_id, n in people.items():
        row = row_of(unit_id)
        if row is not None:
            row.people += n
            total.people += n
    ordered = sorted(rows.values(), key=lambda r: (fold(r.unit.name), r.unit.code))
    if direct is not None and (direct.people or direct.cells):
        ordered.insert(0, direct)
    return ordered, total
