"""Units' yearly targets (OKR/KPI) and their progress, for the unit and each unit under it.

The rules, as HR reads them:

- A target counts the unit and every unit under it; people count in the unit they are in now, and
  only active people count.
- "Hoàn thành khoá học": the share of the people who must take the course (a mandatory enrolment)
  who have completed it. The course must be mandatory for the unit (a mandate, not cancelled, on
  the unit or a unit above it).
- "Số giờ học bình quân": the training hours of the year (courses, sessions, external training)
  of every person, divided by the number of people.
- "Tỉ lệ tham dự": people present at the in-person sessions they were invited to, over the
  invitations, for sessions that ended since 1 January.
- "Có chứng chỉ theo chuyên đề": the share of people holding a certificate (not revoked) of a
  course of that track.
- Progress is taken now, or at the end of the due day once it has passed.
- Projection of a share: the pace since the start (1 January, or the day the course became
  mandatory if later) is kept up to the due day: share at the start + (share now − share at the
  start) × (days from the start to the due day ÷ days elapsed), at most 100%.
- Projection of hours: the average so far × (days from 1 January to the due day ÷ days elapsed).
- Projection of attendance: the rate so far (no trend).
- "Đã đạt" when the value reaches the target; "Quá hạn, chưa đạt" when the due day has passed
  without it; otherwise "Đúng tiến độ" when the projection reaches the target, else "Chậm tiến
  độ". "Chưa bắt đầu" before the start; "Chưa có số liệu" when nobody is counted.

Each figure is computed for every child unit at once: a fixed number of queries per target
(attendance: one call per unit shown, through ``checkin.attendance_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, literal, select

from academy.auth.models import Unit, User
from academy.auth.units import UnitInfo, unit_directory
from academy.catalog.models import Course
from academy.certificates.models import Certificate
from academy.database import UTCDateTime, utcnow
from academy.errors import BadRequest
from academy.extensions import db
from academy.i18n import academy_zone
from academy.learning import counting
from academy.learning.models import Assignment, Enrollment
from academy.training import checkin, hours
from academy.training.models import UnitTarget

SHARE_KINDS = ("course_completion", "attendance_rate", "track_certified")
EPSILON = 1e-9


@dataclass
class Window:
    start: datetime  # the pace is measured from here
    due_end: datetime  # the end of the due day (local time)
    as_of: datetime  # now, or the end of the due day once it has passed
    now: datetime

    @property
    def stretch(self) -> float | None:
        """(start → due day) ÷ (start → as of); None before the start."""
        elapsed = (self.as_of - self.start).total_seconds()
        if elapsed <= 0:
            return None
        return (self.due_end - self.start).total_seconds() / elapsed


@dataclass
class Progress:
    current: float | None
    projection: float | None
    status: str
    people: int = 0


@dataclass
class TargetReport:
    target: UnitTarget
    unit: Progress
    children: list[tuple[UnitInfo, Progress]] = field(default_factory=list)


# ---- time ---------------------------------------------------------------------------------


def local_today() -> date:
    return utcnow().astimezone(academy_zone()).date()


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), academy_zone())


def _window(target: UnitTarget, unit: Unit, now: datetime) -> Window:
    start = local_midnight(date(target.year, 1, 1))
    if target.kind == "course_completion" and target.course_id:
        mandated = mandate_start(unit, target.course_id)
        if mandated is not None and mandated > start:
            start = mandated
    due_end = local_midnight(target.due_on + timedelta(days=1))
    return Window(start=start, due_end=due_end, as_of=min(now, due_end), now=now)


def mandate_start(unit: Unit, course_id: int) -> datetime | None:
    """When the course first became mandatory for ``unit`` (a mandate, not cancelled, on the unit
    or a unit above it); None if it is not mandatory there."""
    above = literal(unit.path).startswith(Unit.path)
    return db.session.scalar(
        select(func.min(Assignment.created_at))
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Assignment.course_id == course_id, Assignment.cancelled_at.is_(None), above)
    )


# ---- status and projection ----------------------------------------------------------------


def _status(current, projection, goal: float, window: Window) -> str:
    if current is None:
        return "no_data"
    if current >= goal - EPSILON:
        return "met"
    if window.now >= window.due_end:
        return "overdue"
    if projection is None:
        return "not_started"
    return "on_track" if projection >= goal - EPSILON else "behind"


def _share(counts, target: UnitTarget, window: Window) -> Progress:
    people, done, at_start = counts
    if not people:
        return Progress(None, None, "no_data")
    current, base = done / people, at_start / people
    stretch = window.stretch
    projection = None if stretch is None else min(1.0, base + (current - base) * stretch)
    return Progress(
        current, projection, _status(current, projection, target.target, window), people
    )


def _hours(counts, target: UnitTarget, window: Window) -> Progress:
    people, total = counts
    if not people:
        return Progress(None, None, "no_data")
    current = total / people
    # hours are paced from 1 January whatever the mandates
    year_start = local_midnight(date(target.year, 1, 1))
    stretch = Window(year_start, window.due_end, window.as_of, window.now).stretch
    projection = None if stretch is None else current * stretch
    return Progress(
        current, projection, _status(current, projection, target.target, window), people
    )


def _attendance(rate, people: int, target: UnitTarget, window: Window) -> Progress:
    if rate is None or window.as_of <= window.start:
        return Progress(None, None, "no_data", people)
    rate = float(rate)
    return Progress(rate, rate, _status(rate, rate, target.target, window), people)


# ---- figures per unit, in a fixed number of queries ---------------------------------------


def _at(moment: datetime):
    return literal(moment, UTCDateTime)


def _in_subtree(query, path: str):
    return (
        query.join(Unit, Unit.id == User.unit_id)
        .where(counting.counted_person())
        .where(Unit.path.startswith(path))
    )


def _people_select(path: str):
    return _in_subtree(select(User.id), path)


def _completion_leaves(target: UnitTarget, unit: Unit, window: Window) -> dict:
    query = select(
        User.unit_id,
        func.count(),
        func.count(case((counting.completed_by(window.as_of), 1))),
        func.count(case((counting.completed_by(window.start), 1))),
    ).join(Enrollment, Enrollment.user_id == User.id)
    query = _in_subtree(query, unit.path).where(
        Enrollment.course_id == target.course_id, counting.mandatory()
    )
    return {row[0]: list(row[1:]) for row in db.session.execute(query.group_by(User.unit_id))}


def _certified_leaves(target: UnitTarget, unit: Unit, window: Window) -> dict:
    first = (
        select(Certificate.user_id, func.min(Certificate.issued_at).label("first"))
        .join(Course, Course.id == Certificate.course_id)
        .where(Course.track == target.track, Certificate.revoked_at.is_(None))
        .group_by(Certificate.user_id)
        .subquery()
    )
    query = select(
        User.unit_id,
        func.count(),
        func.count(case((first.c.first <= _at(window.as_of), 1))),
        func.count(case((first.c.first <= _at(window.start), 1))),
    ).outerjoin(first, first.c.user_id == User.id)
    query = _in_subtree(query, unit.path).group_by(User.unit_id)
    return {row[0]: list(row[1:]) for row in db.session.execute(query)}


def _hours_leaves(target: UnitTarget, unit: Unit) -> dict:
    people = db.session.execute(_in_subtree(select(User.id, User.unit_id), unit.path)).all()
    totals = hours.year_hours(_people_select(unit.path), target.year)
    leaves: dict[int, list] = {}
    for user_id, unit_id in people:
        counts = leaves.setdefault(unit_id, [0, 0.0])
        counts[0] += 1
        found = totals.get(user_id)
        counts[1] += float(found.total) if found is not None else 0.0
    return leaves


def _people_leaves(unit: Unit) -> dict:
    query = _in_subtree(select(User.unit_id, func.count()), unit.path).group_by(User.unit_id)
    return {unit_id: [n] for unit_id, n in db.session.execute(query)}


def _roll_up(leaves: dict, unit: Unit, directory: dict, size: int):
    """Sums over the whole subtree of ``unit``, and per direct child (each with its subtree)."""
    total = [0] * size
    children = {info.id: [0] * size for info in _children(unit, directory)}
    for unit_id, counts in leaves.items():
        info = directory.get(unit_id)
        if info is None or not info.path.startswith(unit.path):
            continue
        total = [a + b for a, b in zip(total, counts, strict=True)]
        rest = info.path[len(unit.path) :].strip("/")
        if rest:
            child = int(rest.split("/")[0])
            children[child] = [a + b for a, b in zip(children[child], counts, strict=True)]
    return total, children


def _children(unit: Unit, directory: dict) -> list[UnitInfo]:
    inside = [
        info
        for info in directory.values()
        if info.path.startswith(unit.path) and info.depth == unit.path.count("/")
    ]
    return sorted(inside, key=lambda info: (info.name, info.code))


def target_report(
    target: UnitTarget, unit: Unit, directory: dict, now: datetime, children: bool
) -> TargetReport:
    """Progress of ``target`` for ``unit`` (its subtree) and, if asked, for each child unit."""
    window = _window(target, unit, now)
    if target.kind == "attendance_rate":
        return _attendance_report(target, unit, directory, window, children)
    if target.kind == "average_hours":
        leaves, judge, size = _hours_leaves(target, unit), _hours, 2
    elif target.kind == "course_completion":
        leaves, judge, size = _completion_leaves(target, unit, window), _share, 3
    else:
        leaves, judge, size = _certified_leaves(target, unit, window), _share, 3
    total, per_child = _roll_up(leaves, unit, directory, size)
    report = TargetReport(target, judge(total, target, window))
    if children:
        report.children = [
            (info, judge(per_child[info.id], target, window)) for info in _children(unit, directory)
        ]
    return report


def _attendance_report(target, unit, directory, window, children) -> TargetReport:
    total, per_child = _roll_up(_people_leaves(unit), unit, directory, 1)

    def progress(path, people):
        rate = checkin.attendance_rate(_people_select(path), window.start, window.as_of)
        return _attendance(rate, people, target, window)

    report = TargetReport(target, progress(unit.path, total[0]))
    if children:
        report.children = [
            (info, progress(info.path, per_child[info.id][0]))
            for info in _children(unit, directory)
        ]
    return report


def unit_targets(unit: Unit, year: int) -> list[UnitTarget]:
    return list(
        db.session.scalars(
            select(UnitTarget)
            .where(UnitTarget.unit_id == unit.id, UnitTarget.year == year)
            .order_by(UnitTarget.due_on, UnitTarget.kind, UnitTarget.id)
        )
    )


def unit_reports(unit: Unit, year: int, children: bool = False) -> list[TargetReport]:
    """Every target of ``unit`` for ``year`` with its progress (as at now)."""
    directory, now = unit_directory(), utcnow()
    return [target_report(t, unit, directory, now, children) for t in unit_targets(unit, year)]


def plain(report: TargetReport, progress: Progress | None = None) -> dict:
    """A target and its progress as plain, JSON-ready data (what the card and the page show)."""
    target, progress = report.target, progress or report.unit
    return {
        "id": target.id,
        "kind": target.kind,
        "course": target.course.title if target.course is not None else "",
        "track": target.track or "",
        "target": target.target,
        "due": target.due_on.strftime("%d/%m/%Y"),
        "current": progress.current,
        "projection": progress.projection,
        "status": progress.status,
        "people": progress.people,
    }


def dashboard_targets(unit: Unit | None) -> dict | None:
    """The dashboard's "Chỉ tiêu năm <year>" card: the focus unit's targets of this year."""
    if unit is None:
        return None
    year = local_today().year
    return {
        "year": year,
        "unit_id": unit.id,
        "items": [plain(report) for report in unit_reports(unit, year)],
    }


# ---- changes --------------------------------------------------------------------------------


def can_change_target(user, target: UnitTarget, scope: Unit | None) -> bool:
    """Admins change every target; HR those of units in their scope, unless the target was set
    by a level above them (by an admin or by HR of a unit outside their scope): a ward's HR never
    changes what the city set for the ward."""
    if scope is None:
        return True
    if not scope.contains(target.unit):
        return False
    setter = db.session.get(User, target.created_by_id) if target.created_by_id else None
    if setter is None or setter.has_role("admin") or setter.unit is None:
        return scope.parent_id is None
    return scope.contains(setter.unit)


def duplicate_of(unit: Unit, year: int, kind: str, course_id, track, exclude_id=None):
    """The unit's target of the same year, kind and course or track, if there is one."""
    query = select(UnitTarget).where(
        UnitTarget.unit_id == unit.id,
        UnitTarget.year == year,
        UnitTarget.kind == kind,
        UnitTarget.course_id.is_(None) if course_id is None else UnitTarget.course_id == course_id,
        UnitTarget.track.is_(None) if track is None else UnitTarget.track == track,
    )
    if exclude_id is not None:
        query = query.where(UnitTarget.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def snapshot(target: UnitTarget) -> dict:
    """The fields an audit event records before and after a change."""
    return {
        "kind": target.kind,
        "course_id": target.course_id,
        "track": target.track,
        "target": target.target,
        "due_on": target.due_on.isoformat() if target.due_on else None,
    }


def save_target(target: UnitTarget | None, unit: Unit, year: int, values: dict, actor):
    """Create (``target`` None) or change a target; the caller has validated ``values`` and
    commits. The unit's row is locked first (PostgreSQL), so two identical submissions made at
    once store one target."""
    db.session.execute(select(Unit.id).where(Unit.id == unit.id).with_for_update())
    if duplicate_of(
        unit,
        year,
        values["kind"],
        values["course_id"],
        values["track"],
        getattr(target, "id", None),
    ):
        raise DuplicateTarget
    if target is None:
        target = UnitTarget(unit_id=unit.id, year=year, created_by_id=actor.id)
        db.session.add(target)
    for name, value in values.items():
        setattr(target, name, value)
    db.session.flush()
    return target


class DuplicateTarget(BadRequest):
    """The unit already has this target for the year."""
