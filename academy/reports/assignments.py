"""Mandates: a mandatory course for a unit subtree, and the enrolments that follow from it.

The rules, as HR reads them:

- A mandate's due date is a day, or relative: "within N days of joining". Every due date is the end
  of a local day (``services.due_datetime``), and each enrolment stores its own.
- Everyone in the unit or below it when the mandate is made is enrolled at once. A fixed due date
  is that day for them; a relative one runs from the day the mandate is made.
- A joiner (created in the subtree, moved into it, reactivated in it, or whose unit is re-hung
  under it) is enrolled the day they join. A relative due date runs from that day. A fixed due
  date stays theirs unless it has passed or leaves them fewer than ``ASSIGNMENT_JOINER_MIN_DAYS``
  days: then they have that many days from the day they join.
- Deactivated people are never enrolled by a mandate; what they have stays as it is.
- When several mandates of the same course reach one person (the city's and their ward's), the
  one giving them the earliest due date binds them (on a tie, the one already binding them).
- Cancelling keeps the mandate's row (when, by whom) for history and unbinds its enrolments:
  completed ones stay completed; open ones become voluntary (no due date) and keep their progress;
  people still reached by another active mandate of the course are bound to it, with its due date.
  Assigning the same course to the same unit again revives the mandate.
- A person who moves keeps every enrolment. The new unit's mandates bind them as a joiner; an
  enrolment bound to a mandate that no longer reaches them becomes voluntary (no due date): their
  old unit no longer counts it overdue, and the new unit is not charged for a course it never set.
- Re-dating a mandate re-dates its open enrolments. A person's join day is read from their unit
  history (``UnitMembership``): the start of their current uninterrupted stay inside the
  mandate's subtree (a new stay in the same unit, written on reactivation, starts afresh), never
  before the mandate was made. A unit re-hung under another parent is not in that history: its
  people are joiners of the new parent's mandates the day of the move, but a later re-dating of
  those mandates counts them as present since the mandate was made.

``assign_course`` enrols everyone present with two set-based statements (thousands of people cost
two round trips); everything else goes through ``settle``, which decides for a set of people and
courses which active mandate binds each enrolment and with what due date. All of it is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, insert, literal, or_, select, update

from academy.auth.models import Unit, UnitMembership, User
from academy.catalog.models import Module
from academy.database import UTCDateTime, utcnow
from academy.events import assignment_created, send
from academy.extensions import db
from academy.i18n import academy_zone
from academy.learning.models import Assignment, Enrollment, ModuleResult
from academy.learning.services import complete_course_if_done, dialect_insert
from academy.reports.services import due_datetime

CHUNK = 900  # ids per IN (...) list: under SQLite's old variable limit
MAX_DAYS = 730  # the longest relative due date ("within N days of joining")


# ---- due dates ------------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(academy_zone()).date()


def local_today() -> date:
    return local_day(utcnow())


def joiner_min_days() -> int:
    return int(current_app.config["ASSIGNMENT_JOINER_MIN_DAYS"])


def due_for(assignment: Assignment, joined: datetime | None = None) -> datetime | None:
    """The due date ``assignment`` gives someone who joined it at ``joined``; None, or a moment not
    after the mandate was made, means someone already there when it was made."""
    start = assignment.created_at or utcnow()
    late = joined is not None and joined > start
    day = local_day(joined if late else start)
    if assignment.due_days:
        return due_datetime(day + timedelta(days=assignment.due_days))
    if assignment.due_at is None or not late:
        return assignment.due_at
    return max(assignment.due_at, due_datetime(day + timedelta(days=joiner_min_days())))


def due_rule_text(due_at: datetime | None, due_days: int | None) -> str:
    """A mandate's due rule as HR reads it: "Hết ngày 30/06/2030", "Trong 60 ngày kể từ khi vào
    đơn vị"."""
    if due_days:
        return ngettext(
            "Trong %(num)s ngày kể từ khi vào đơn vị",
            "Trong %(num)s ngày kể từ khi vào đơn vị",
            due_days,
        )
    if due_at is not None:
        return _("Hết ngày %(date)s", date=format_date(due_at, "dd/MM/yyyy"))
    return _("Không có hạn")


def joiner_rule_text(due_at: datetime | None, due_days: int | None) -> str:
    """What a mandate gives those already in the unit and those who join later, in one sentence."""
    if due_days:
        present = due_datetime(local_today() + timedelta(days=due_days))
        return ngettext(
            "Người đang ở đơn vị: hạn là hết ngày %(date)s; người vào đơn vị sau: %(num)s ngày kể "
            "từ ngày vào.",
            "Người đang ở đơn vị: hạn là hết ngày %(date)s; người vào đơn vị sau: %(num)s ngày kể "
            "từ ngày vào.",
            due_days,
            date=format_date(present, "dd/MM/yyyy"),
        )
    if due_at is None:
        return ""
    return ngettext(
        "Người vào đơn vị sau khi giao giữ hạn này, trừ khi hạn đã qua hoặc còn chưa đến %(num)s "
        "ngày: khi đó họ có %(num)s ngày kể từ ngày vào đơn vị.",
        "Người vào đơn vị sau khi giao giữ hạn này, trừ khi hạn đã qua hoặc còn chưa đến %(num)s "
        "ngày: khi đó họ có %(num)s ngày kể từ ngày vào đơn vị.",
        joiner_min_days(),
    )


# ---- making, re-dating and cancelling mandates ----------------------------------------------


@dataclass(frozen=True)
class Assigned:
    """What ``assign_course`` did: ``change`` is created, revived, redated or unchanged."""

    assignment: Assignment
    enrolled: int  # people newly enrolled
    change: str
    before: dict  # the mandate as it was (``snapshot``), empty when created


def snapshot(assignment: Assignment) -> dict:
    """The mandate's fields HR changes, as plain values in no language (the audit's before/after):
    the fixed due day (local), the relative due in days, whether it is active."""
    due_at = assignment.due_at
    return {
        "due_date": local_day(due_at).strftime("%d/%m/%Y") if due_at else None,
        "due_days": assignment.due_days,
        "active": assignment.is_active,
    }


def assign_course(
    unit: Unit, course, due_at: datetime | None, assigned_by=None, *, due_days: int | None = None
) -> Assigned:
    """Assign ``course`` to ``unit``'s subtree with a fixed (``due_at``) or relative (``due_days``)
    due date: create the mandate, revive a cancelled one, or re-date an active one, and enrol the
    people it reaches. A new (or revived) mandate sends ``assignment_created``. The caller commits.
    """
    if due_days:
        due_at = None
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.unit_id == unit.id)
    )
    if assignment is not None and assignment.is_active:
        before = snapshot(assignment)
        if (assignment.due_at, assignment.due_days) == (due_at, due_days or None):
            added = settle([course.id], _members(unit).where(~_bound_to(assignment)))
            return Assigned(assignment, added, "unchanged", before)
        assignment.due_at, assignment.due_days = due_at, due_days or None
        db.session.flush()
        people = _members(unit).union(
            select(Enrollment.user_id).where(Enrollment.assignment_id == assignment.id)
        )
        return Assigned(assignment, settle([course.id], people), "redated", before)
    now = utcnow()
    change, before = "created", {}
    if assignment is None:
        assignment = Assignment(course_id=course.id, unit_id=unit.id)
        db.session.add(assignment)
    else:  # cancelled: assigned again, the same row comes back to life
        change, before = "revived", snapshot(assignment)
        assignment.cancelled_at = assignment.cancelled_by_id = None
    assignment.due_at, assignment.due_days = due_at, due_days or None
    assignment.assigned_by_id = getattr(assigned_by, "id", None)
    assignment.created_at = now
    db.session.flush()
    enrolled = _enrol_present(assignment, unit, now)
    send(assignment_created, assignment=assignment, enrolled=enrolled)
    return Assigned(assignment, enrolled, change, before)


def _bound_to(assignment: Assignment):
    return exists().where(Enrollment.user_id == User.id, Enrollment.assignment_id == assignment.id)


def _members(unit: Unit):
    """Active people in ``unit`` and every unit below it (a SELECT of user ids)."""
    return (
        select(User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit.subtree_filter(), User.is_active.is_(True))
    )


def _enrol_present(assignment: Assignment, unit: Unit, now: datetime) -> int:
    """Bind everyone present in the subtree to a new mandate, set-based; returns how many were
    newly enrolled.

    They all get the same due date (``due_for`` of someone already there). An open enrolment moves
    to this mandate unless another one already gives an earlier or equal due date; a completed one
    not bound to any mandate now counts for this one (completed, keeping its dates).
    """
    course_id, due = assignment.course_id, due_for(assignment)
    mine = and_(Enrollment.course_id == course_id, Enrollment.user_id.in_(_members(unit)))
    takes = Enrollment.assignment_id.is_(None)  # voluntary, or ...
    if due is not None:  # ... bound to a mandate that gives a later due date, or none
        takes = (
            takes | Enrollment.due_at.is_(None) | (Enrollment.due_at > literal(due, UTCDateTime))
        )
    db.session.execute(
        update(Enrollment)
        .where(mine, Enrollment.completed_at.is_(None), takes)
        .values(source="assigned", assignment_id=assignment.id, due_at=due)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Enrollment)
        .where(mine, Enrollment.completed_at.is_not(None), Enrollment.assignment_id.is_(None))
        .values(assignment_id=assignment.id)
        .execution_options(synchronize_session=False)
    )
    not_enrolled = ~exists().where(
        and_(Enrollment.user_id == User.id, Enrollment.course_id == course_id)
    )
    rows = (
        _members(unit)
        .where(not_enrolled)
        .add_columns(
            literal(course_id),
            literal("assigned"),
            literal(assignment.id),
            literal(now, UTCDateTime),
            literal(due, UTCDateTime),
        )
    )
    result = db.session.execute(
        insert(Enrollment).from_select(
            ["user_id", "course_id", "source", "assignment_id", "enrolled_at", "due_at"], rows
        )
    )
    added = result.rowcount
    if added is None or added < 0:  # the driver did not count (psycopg here)
        added = _enrolled_at(assignment, now)
    db.session.expire_all()
    _complete_already_passed(assignment)
    return added


def _enrolled_at(assignment: Assignment, when: datetime) -> int:
    """How many enrolments ``assignment`` made at ``when`` (one statement stamps them all)."""
    return db.session.scalar(
        select(func.count(Enrollment.user_id)).where(
            Enrollment.assignment_id == assignment.id,
            Enrollment.enrolled_at == literal(when, UTCDateTime),
        )
    )


def _complete_already_passed(assignment: Assignment, user_ids: list[int] | None = None) -> None:
    """People enrolled by the assignment who had already passed every module (by a test-out or the
    placement quiz) complete now, certificate included, as a single enrolment would."""
    modules = select(Module.id).where(Module.course_id == assignment.course_id)
    total = db.session.scalar(select(func.count()).select_from(modules.subquery()))
    if not total:
        return
    passed_all = (
        select(ModuleResult.user_id)
        .where(ModuleResult.module_id.in_(modules), ModuleResult.passed_at.is_not(None))
        .group_by(ModuleResult.user_id)
        .having(func.count() >= total)
    )
    query = select(Enrollment).where(
        Enrollment.assignment_id == assignment.id,
        Enrollment.completed_at.is_(None),
        Enrollment.user_id.in_(passed_all),
    )
    if user_ids is not None:
        query = query.where(Enrollment.user_id.in_(user_ids))
    for enrollment in list(db.session.scalars(query)):
        complete_course_if_done(enrollment.user, assignment.course, enrollment)


def cancel_assignment(assignment: Assignment, cancelled_by=None) -> int:
    """Cancel the mandate, keeping its row; returns how many of its people another active mandate
    of the course now binds. Completed enrolments stay completed; open ones become voluntary (no
    due date) with their progress. The caller commits."""
    if not assignment.is_active:
        return 0
    bound = list(
        db.session.scalars(
            select(Enrollment.user_id).where(Enrollment.assignment_id == assignment.id)
        )
    )
    assignment.cancelled_at = utcnow()
    assignment.cancelled_by_id = getattr(cancelled_by, "id", None)
    db.session.flush()
    mine = Enrollment.assignment_id == assignment.id
    db.session.execute(
        update(Enrollment)
        .where(mine, Enrollment.completed_at.is_(None))
        .values(assignment_id=None, due_at=None, source="self")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Enrollment)
        .where(mine)
        .values(assignment_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    settle([assignment.course_id], bound)
    return _still_bound(assignment.course_id, bound)


def _still_bound(course_id: int, user_ids: list[int]) -> int:
    """How many of these people a mandate of the course binds."""
    return sum(
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.course_id == course_id,
                Enrollment.user_id.in_(chunk),
                Enrollment.assignment_id.is_not(None),
            )
        )
        for chunk in _chunks(sorted(set(user_ids)))
    )


# ---- who is bound to which mandate ------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _ids(people) -> list[int]:
    """User ids from a list or a SELECT of them."""
    if isinstance(people, list | tuple | set | frozenset):
        return sorted(set(people))
    return sorted(set(db.session.scalars(people)))


def _stays(user_ids: list[int], since: datetime | None) -> dict[int, list]:
    """The stays in units (``UnitMembership`` rows, newest first) of those people whose current
    stay began after ``since``; the others were all there before any of the mandates was made,
    and their history changes nothing."""
    stays: dict[int, list] = defaultdict(list)
    if since is None:
        return stays
    recent = select(UnitMembership.user_id).where(
        UnitMembership.ended_at.is_(None), UnitMembership.started_at > literal(since, UTCDateTime)
    )
    for chunk in _chunks(user_ids):
        rows = db.session.execute(
            select(
                UnitMembership.user_id,
                UnitMembership.unit_id,
                UnitMembership.started_at,
                UnitMembership.ended_at,
            )
            .where(UnitMembership.user_id.in_(chunk), UnitMembership.user_id.in_(recent))
            .order_by(
                UnitMembership.user_id, UnitMembership.started_at.desc(), UnitMembership.id.desc()
            )
        )
        for row in rows:
            stays[row.user_id].append(row)
    return stays


def joined_subtree(stays, paths: dict[int, str], prefix: str) -> datetime | None:
    """When the person's current uninterrupted stay inside the subtree of path ``prefix`` began
    (None: no open stay on record).

    ``stays`` are newest first. The run goes back through stays that ended the moment the next one
    began, in other units of the subtree; a stay followed by one in the same unit is a return
    (reactivation) and the run starts afresh there.
    """
    run = None
    for stay in stays:
        inside = paths.get(stay.unit_id, "").startswith(prefix)
        if run is None:
            if stay.ended_at is not None or not inside:
                return None
        elif stay.ended_at != run.started_at or stay.unit_id == run.unit_id or not inside:
            break
        run = stay
    return run.started_at if run is not None else None


def settle(course_ids: Iterable[int], people, *, joined_at: dict[int, datetime] | None = None):
    """Decide, for these people (ids or a SELECT of them) and courses, which active mandate binds
    each enrolment and with what due date; enrol those a mandate reaches and who are not enrolled.
    Returns how many enrolments were created.

    Only active people with a unit are considered. An enrolment bound to a mandate that no longer
    reaches its person is unbound (voluntary, no due date if open). ``joined_at`` gives, by
    mandate id, the moment people joined it when their unit history cannot tell (a re-hung unit).
    """
    course_ids = sorted(set(course_ids))
    user_ids = _ids(people)
    if not course_ids or not user_ids:
        return 0
    joined_at = joined_at or {}
    mandates = defaultdict(list)
    for mandate in db.session.scalars(
        select(Assignment).where(
            Assignment.course_id.in_(course_ids), Assignment.cancelled_at.is_(None)
        )
    ):
        mandates[mandate.course_id].append(mandate)
    if not mandates:  # no mandate left, and none binds anyone (cancelling unbinds)
        return 0
    units, enrolments = {}, {}
    for chunk in _chunks(user_ids):
        units.update(
            db.session.execute(
                select(User.id, User.unit_id).where(
                    User.id.in_(chunk), User.is_active.is_(True), User.unit_id.is_not(None)
                )
            ).all()
        )
        for row in db.session.execute(
            select(
                Enrollment.id,
                Enrollment.user_id,
                Enrollment.course_id,
                Enrollment.source,
                Enrollment.assignment_id,
                Enrollment.due_at,
                Enrollment.completed_at,
            ).where(Enrollment.course_id.in_(course_ids), Enrollment.user_id.in_(chunk))
        ):
            enrolments[row.user_id, row.course_id] = row
    paths: dict[int, str] = {}
    _add_paths(paths, {m.unit_id for found in mandates.values() for m in found})
    _add_paths(paths, set(units.values()))
    reaching = _Reaching(mandates, paths)
    since = min((m.created_at for found in mandates.values() for m in found), default=None)
    stays = _stays([user_id for user_id, unit_id in units.items() if reaching.any(unit_id)], since)
    _add_paths(paths, {stay.unit_id for found in stays.values() for stay in found})
    dues = _Dues(paths, joined_at)
    now = utcnow()
    inserts, updates, touched = [], defaultdict(list), defaultdict(list)
    for user_id, unit_id in units.items():
        for course_id in course_ids:
            enrolment = enrolments.get((user_id, course_id))
            current = enrolment.assignment_id if enrolment else None
            choice = dues.choose(reaching.of(unit_id, course_id), stays.get(user_id, ()), current)
            if choice is None:
                if current is not None:
                    updates[_unbound(enrolment)].append(enrolment.id)
                continue
            mandate, due = choice
            if enrolment is None:
                inserts.append(
                    {
                        "user_id": user_id,
                        "course_id": course_id,
                        "source": "assigned",
                        "assignment_id": mandate.id,
                        "enrolled_at": now,
                        "due_at": due,
                    }
                )
            elif enrolment.completed_at is not None:
                if current == mandate.id:
                    continue
                updates[mandate.id, enrolment.due_at, enrolment.source].append(enrolment.id)
            elif (current, enrolment.due_at, enrolment.source) != (mandate.id, due, "assigned"):
                updates[mandate.id, due, "assigned"].append(enrolment.id)
            else:
                continue
            touched[mandate.id].append(user_id)
    if inserts:
        db.session.execute(
            dialect_insert(Enrollment).on_conflict_do_nothing(
                index_elements=["user_id", "course_id"]
            ),
            inserts,
        )
    _write(updates)
    db.session.expire_all()
    if _passed_any(course_ids, [user_id for ids in touched.values() for user_id in ids]):
        for mandate_id, ids in touched.items():
            mandate = db.session.get(Assignment, mandate_id)
            _complete_already_passed(mandate, ids if len(ids) <= CHUNK else None)
    return len(inserts)


def _add_paths(paths: dict[int, str], unit_ids: set[int]) -> None:
    """Add the materialised paths of these units to ``paths`` (those not there yet)."""
    missing = sorted(unit_ids - paths.keys())
    for chunk in _chunks(missing):
        paths.update(db.session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(chunk))).all())


def _passed_any(course_ids: list[int], user_ids: list[int]) -> bool:
    """Whether any of these people passed a module of these courses (then an enrolment may
    complete at once); most newly bound people have not, which spares the per-mandate check."""
    if not user_ids:
        return False
    passed = (
        select(ModuleResult.user_id)
        .join(Module, Module.id == ModuleResult.module_id)
        .where(Module.course_id.in_(course_ids), ModuleResult.passed_at.is_not(None))
    )
    if len(user_ids) <= CHUNK:
        passed = passed.where(ModuleResult.user_id.in_(user_ids))
    return db.session.scalar(passed.limit(1)) is not None


def _write(updates: dict[tuple, list[int]]) -> None:
    """One UPDATE per (mandate, due date, source) and chunk of enrolment ids: a re-dating gives
    most people the same few values."""
    for (assignment_id, due_at, source), ids in updates.items():
        for chunk in _chunks(ids):
            db.session.execute(
                update(Enrollment)
                .where(Enrollment.id.in_(chunk))
                .values(assignment_id=assignment_id, due_at=due_at, source=source)
                .execution_options(synchronize_session=False)
            )


class _Reaching:
    """The active mandates reaching each unit, per course (worked out once per unit)."""

    def __init__(self, mandates: dict[int, list[Assignment]], paths: dict[int, str]):
        self.mandates, self.paths, self.cache = mandates, paths, {}

    def _all(self, unit_id: int) -> dict[int, list[Assignment]]:
        if unit_id not in self.cache:
            path = self.paths.get(unit_id, "")
            self.cache[unit_id] = {
                course_id: [m for m in found if path.startswith(self.paths.get(m.unit_id, "\0"))]
                for course_id, found in self.mandates.items()
            }
        return self.cache[unit_id]

    def any(self, unit_id: int) -> bool:
        return any(self._all(unit_id).values())

    def of(self, unit_id: int, course_id: int) -> list[Assignment]:
        return self._all(unit_id).get(course_id, [])


class _Dues:
    """Each person's due date under each mandate reaching them, and the one that binds them."""

    def __init__(self, paths: dict[int, str], joined_at: dict[int, datetime]):
        self.paths, self.joined_at, self.cache = paths, joined_at, {}

    def due(self, mandate: Assignment, stays) -> datetime | None:
        joined = joined_subtree(stays, self.paths, self.paths[mandate.unit_id])
        if mandate.id in self.joined_at:
            joined = max(joined or self.joined_at[mandate.id], self.joined_at[mandate.id])
        if joined is not None and joined <= mandate.created_at:
            joined = None  # there when the mandate was made: all alike
        key = (mandate.id, joined)
        if key not in self.cache:
            self.cache[key] = due_for(mandate, joined)
        return self.cache[key]

    def choose(self, reaching, stays, current):
        """The mandate giving the earliest due date (no due date last; on a tie the current one,
        then the oldest), with that due date; None when no mandate reaches the person."""
        best = None
        for mandate in reaching:
            due = self.due(mandate, stays)
            key = (due is None, due.timestamp() if due else 0.0, mandate.id != current, mandate.id)
            if best is None or key < best[0]:
                best = (key, mandate, due)
        return (best[1], best[2]) if best else None


def _unbound(enrolment) -> tuple:
    """(mandate, due date, source) of an enrolment no mandate reaches any more: completed ones
    keep their dates, open ones become voluntary with no due date."""
    if enrolment.completed_at is not None:
        return None, enrolment.due_at, enrolment.source
    return None, None, "self"


# ---- joiners ----------------------------------------------------------------------------------


def assignments_covering(unit: Unit | None) -> list[Assignment]:
    """Active mandates made to ``unit`` or any unit above it."""
    if unit is None:
        return []
    return list(
        db.session.scalars(
            select(Assignment)
            .join(Unit, Assignment.unit_id == Unit.id)
            .where(literal(unit.path).startswith(Unit.path), Assignment.cancelled_at.is_(None))
            .order_by(Assignment.id)
        )
    )


def apply_assignments_to(user: User) -> int:
    """Bind ``user`` to the mandates that reach them now (after creation, a move or reactivation)
    and unbind the enrolments whose mandate no longer does. Idempotent; returns how many active
    mandates reach them. The caller commits."""
    if not user.is_active or user.unit is None:
        return 0
    reaching = assignments_covering(user.unit)
    bound = db.session.scalars(
        select(Enrollment.course_id).where(
            Enrollment.user_id == user.id, Enrollment.assignment_id.is_not(None)
        )
    )
    settle({a.course_id for a in reaching} | set(bound), [user.id])
    return len(reaching)


def apply_assignments_to_subtree(unit: Unit, before: list[Assignment]) -> int:
    """After ``unit`` was re-hung under another parent: its people join the mandates that reach
    them now and did not before (``before``), and leave those that no longer reach them."""
    after = assignments_covering(unit)
    old = {a.id for a in before}
    now = utcnow()
    fresh = {a.id: now for a in after if a.id not in old}
    courses = {a.course_id for a in after} | {a.course_id for a in before}
    return settle(courses, _members(unit), joined_at=fresh)


# ---- reading mandates -------------------------------------------------------------------------


def list_assignments(scope: Unit | None, *, cancelled: bool | None = None) -> list[Assignment]:
    """Mandates made to units inside ``scope`` and to the units above it, which bind its people
    too (all of them for None), newest first; ``cancelled`` True/False keeps only cancelled/active
    ones."""
    query = (
        select(Assignment)
        .join(Unit, Assignment.unit_id == Unit.id)
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    )
    if scope is not None:
        query = query.where(or_(scope.subtree_filter(), literal(scope.path).startswith(Unit.path)))
    if cancelled is True:
        query = query.where(Assignment.cancelled_at.is_not(None))
    elif cancelled is False:
        query = query.where(Assignment.cancelled_at.is_(None))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AssignmentPreview:
    """What assigning a course to a unit would do, before anything is written."""

    unit: Unit
    course: object
    people: int  # active people in the unit and below it
    units: int  # the units those people belong to
    existing: Assignment | None  # the same course already assigned to the same unit (or cancelled)
    due_at: datetime | None = None
    due_days: int | None = None

    @property
    def due_rule(self) -> str:
        return due_rule_text(self.due_at, self.due_days)

    @property
    def joiner_rule(self) -> str:
        return joiner_rule_text(self.due_at, self.due_days)


def preview_assignment(
    unit: Unit, course, due_at: datetime | None = None, due_days: int | None = None
) -> AssignmentPreview:
    """Count who an assignment of ``course`` to ``unit``'s subtree would reach; writes nothing."""
    members = (
        select(User.id, User.unit_id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit.subtree_filter(), User.is_active.is_(True))
        .subquery()
    )
    people, units = db.session.execute(
        select(func.count(members.c.id), func.count(func.distinct(members.c.unit_id)))
    ).one()
    existing = db.session.scalar(
        select(Assignment).where(Assignment.course_id == course.id, Assignment.unit_id == unit.id)
    )
    return AssignmentPreview(
        unit, course, people, units, existing, None if due_days else due_at, due_days or None
    )
