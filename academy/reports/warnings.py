"""Early warning: who is likely to miss the due date of a mandatory course, and why.

The list holds the open mandatory enrolments with a due date (``counting``: active people, bound to
a mandate that is not cancelled, not completed) of the people in a unit's subtree, in two bands:

- **Đã quá hạn** (overdue): the due date has passed and the course is not completed. Listed first,
  the longest overdue first.
- **Có nguy cơ trễ hạn** (at risk): not yet due, and at least one of these holds:

  (a) *idle*: no lesson read, no quiz submitted and no visit to the course for ``WARNING_IDLE_DAYS``
      days (default 14); with no activity at all, counted from the day of enrolment;
  (b) *behind pace*: at the pace kept so far (steps done ÷ days since enrolment) the remaining steps
      would take longer than the days left, i.e. ``done × days_left < remaining × days_enrolled``.
      Steps are lessons read and module quizzes passed, as the learner's own progress bar counts
      them. Pace is judged from ``WARNING_PACE_GRACE_DAYS`` (default 7) days after enrolment, or
      earlier when fewer days than that are left;
  (c) *predicted to fail*: the current trained recommender predicts, for a module of the course the
      person has not passed, a score below the course's pass mark. Only people with at least one
      quiz result get a prediction (a prediction without any result of theirs would only restate
      the module's difficulty). Without a trained model this reason is left out and the page says
      so.

From ``HOURS_WARNING_FROM_MONTH`` (default 10: October; 0 = never) to the end of the year, every
counted person whose training hours of the year are below their requirement
(``academy.training.hours``) is listed too, at risk, in an entry of its own without a course
(``kind`` "hours", due on 31 December): "Mới có 12/40 giờ học năm 2026; còn 37 ngày".

Within a band entries are sorted by days left (fewest first), then by the share of the course still
to do (most first). Overdue entries carry the idle and predicted reasons as well.

Everything is read in a fixed number of set-based queries whatever the number of people; the
predictions for people the model knows and whose results have not changed since training are
computed for all of them at once with the model's arrays (``BulkPredictor``), the same arithmetic
as ``Scorer.predict`` (a test holds them equal); the few others go through ``Scorer.predict``.
"""

from __future__ import annotations

import csv
import gc
import io
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from typing import NamedTuple

import numpy as np
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, cast, func, literal, null, select, union_all

from academy.auth.models import Unit, User
from academy.auth.units import unit_directory
from academy.catalog.models import Course, Lesson, Module
from academy.database import UTCDateTime, db, utcnow
from academy.i18n import academy_zone
from academy.learning.counting import counted_person, mandatory
from academy.learning.models import (
    Assignment,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)
from academy.paths.scorer import BlendScorer, Scorer
from academy.paths.store import current_model
from academy.reports.exporters import neutralised, xlsx_text
from academy.reports.snapshots import Snapshots
from academy.training.hours import hours_label, year_hours

DAY = 86_400.0
OVERDUE, AT_RISK = "overdue", "at_risk"
BANDS = (OVERDUE, AT_RISK)
IDLE_DAYS, PACE_GRACE_DAYS = 14, 7
PREDICT_CHUNK = 4096  # learners per block of the bulk prediction (bounded memory)


class Reason(NamedTuple):
    kind: str  # overdue | idle | pace | predicted
    text: str


@dataclass(slots=True)
class WarningEntry:
    enrollment_id: int | None  # None for an entry without a course (kind "hours")
    user_id: int
    full_name: str
    employee_code: str | None
    unit_id: int | None
    unit_code: str
    unit_path: str
    course_id: int | None
    course_title: str  # the course, or what an entry without a course is about
    due_at: datetime
    due_date: date  # local
    days_left: int  # local calendar days; negative when overdue
    progress: int  # percent of steps done
    last_activity: datetime | None
    last_activity_date: date | None  # local
    band: str
    reasons: list[Reason] = field(default_factory=list)
    # urgency: overdue first, fewest days left, least progress; then name, course, enrolment
    sort_key: tuple = field(default=(), repr=False, compare=False)
    kind: str = "course"  # course: a mandatory enrolment; hours: the year's training hours

    @property
    def overdue(self) -> bool:
        return self.band == OVERDUE

    @property
    def reason_texts(self) -> list[str]:
        return [reason.text for reason in self.reasons]

    def as_dict(self) -> dict:
        """Plain JSON-able data (the dashboard keeps it in its snapshot)."""
        return {
            "enrollment_id": self.enrollment_id,
            "user_id": self.user_id,
            "full_name": self.full_name,
            "employee_code": self.employee_code,
            "unit_code": self.unit_code,
            "unit_path": self.unit_path,
            "course_id": self.course_id,
            "course_title": self.course_title,
            "due_date": self.due_date.isoformat(),
            "days_left": self.days_left,
            "progress": self.progress,
            "last_activity_date": (
                self.last_activity_date.isoformat() if self.last_activity_date else None
            ),
            "band": self.band,
            "overdue": self.overdue,
            "reasons": self.reason_texts,
            "reason_kinds": [reason.kind for reason in self.reasons],
            "kind": self.kind,
        }


@dataclass
class WarningList:
    entries: list[WarningEntry]
    uses_model: bool  # reason (c) was considered (a trained model is loaded)
    now: datetime
    idle_days: int
    pace_grace_days: int

    def band(self, band: str | None) -> list[WarningEntry]:
        return [e for e in self.entries if band is None or e.band == band]

    @property
    def count_overdue(self) -> int:
        return sum(1 for e in self.entries if e.band == OVERDUE)

    @property
    def count_at_risk(self) -> int:
        return sum(1 for e in self.entries if e.band == AT_RISK)

    def people(self, band: str) -> int:
        return len({e.user_id for e in self.entries if e.band == band})


# ---- reading ----------------------------------------------------------------------------------


def _open_mandatory(subtree: Unit | None):
    """The candidate enrolments: open, mandatory (mandate not cancelled), with a due date, of the
    counted people in ``subtree`` (everyone for None)."""
    query = (
        select(
            Enrollment.id.label("id"),
            Enrollment.user_id.label("user_id"),
            Enrollment.course_id.label("course_id"),
            Enrollment.enrolled_at.label("enrolled_at"),
            Enrollment.due_at.label("due_at"),
            Enrollment.last_visited_at.label("last_visited_at"),
            User.full_name.label("full_name"),
            User.employee_code.label("employee_code"),
            User.unit_id.label("unit_id"),
        )
        .join(User, User.id == Enrollment.user_id)
        .join(Assignment, Assignment.id == Enrollment.assignment_id)
        .where(
            counted_person(),
            mandatory(),
            Assignment.cancelled_at.is_(None),
            Enrollment.due_at.is_not(None),
            # open_at(now) as at this moment: nothing is completed after now. Written as the plain
            # test so that SQLite drives the activity queries from these few enrolments.
            Enrollment.completed_at.is_(None),
        )
    )
    if subtree is not None:
        query = query.where(User.unit_id.in_(select(Unit.id).where(subtree.subtree_filter())))
    return query


def _read(subtree: Unit | None) -> dict:
    """Every figure the list needs, in a fixed number of queries (on the Core connection: plain
    rows, without the ORM's result layer)."""
    connection = db.session.connection()
    rows = connection.execute(_open_mandatory(subtree)).all()
    # One grouped pass over the candidates' activity (the candidates are read once for it):
    # lessons read (how many, the latest), quizzes submitted (the latest), modules passed.
    cte = _open_mandatory(subtree).cte("c")
    k = cte.c
    lesson_rows = (
        select(
            k.id,
            literal("lesson"),
            func.count(LessonProgress.id),
            func.max(LessonProgress.completed_at),
        )
        .select_from(cte)
        .join(LessonProgress, LessonProgress.user_id == k.user_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Module, (Module.id == Lesson.module_id) & (Module.course_id == k.course_id))
        .group_by(k.id)
    )
    quiz_rows = (
        select(
            k.id, literal("quiz"), func.count(QuizAttempt.id), func.max(QuizAttempt.submitted_at)
        )
        .select_from(cte)
        .join(QuizAttempt, QuizAttempt.user_id == k.user_id)
        .join(Module, (Module.id == QuizAttempt.module_id) & (Module.course_id == k.course_id))
        .group_by(k.id)
    )
    passed_rows = (
        select(k.id, literal("passed"), ModuleResult.module_id, cast(null(), UTCDateTime))
        .select_from(cte)
        .join(ModuleResult, ModuleResult.user_id == k.user_id)
        .join(Module, (Module.id == ModuleResult.module_id) & (Module.course_id == k.course_id))
        .where(ModuleResult.passed_at.is_not(None))
    )
    lessons, quizzes, passed = {}, {}, defaultdict(set)
    for enrollment_id, kind, number, at in connection.execute(
        union_all(lesson_rows, quiz_rows, passed_rows)
    ):
        if kind == "lesson":
            lessons[enrollment_id] = (number, at)
        elif kind == "quiz":
            quizzes[enrollment_id] = at
        else:
            passed[enrollment_id].add(number)
    # Every course's modules and lessons (small tables, read whole rather than per candidate).
    modules = defaultdict(list)  # course id → [(module id, title, lessons)] in position order
    for row in connection.execute(
        select(Module.id, Module.course_id, Module.title, func.count(Lesson.id).label("lessons"))
        .outerjoin(Lesson, Lesson.module_id == Module.id)
        .group_by(Module.id, Module.course_id, Module.title, Module.position)
        .order_by(Module.course_id, Module.position, Module.id)
    ):
        modules[row.course_id].append((row.id, row.title, row.lessons))
    courses = {
        row.id: row
        for row in connection.execute(select(Course.id, Course.title, Course.pass_threshold))
    }
    return {
        "rows": rows,
        "lessons": lessons,
        "quizzes": quizzes,
        "passed": passed,
        "modules": modules,
        "courses": courses,
        "candidates": _open_mandatory(subtree).subquery("c"),
    }


# ---- predictions --------------------------------------------------------------------------------


def _results(candidates, trained_at: datetime | None) -> tuple[dict, set[int]]:
    """The quiz results of the candidate people ({user: {module: best score}}) and those whose
    results changed after the model was trained (their predictions fold the new results in)."""
    c = candidates.c
    newer = (
        case((ModuleResult.updated_at > literal(trained_at, UTCDateTime), 1), else_=0)
        if trained_at is not None
        else literal(1)
    )
    results: dict[int, dict[int, float]] = defaultdict(dict)
    stale: set[int] = set()
    rows = db.session.connection().execute(
        select(ModuleResult.user_id, ModuleResult.module_id, ModuleResult.best_score, newer).where(
            ModuleResult.user_id.in_(select(func.distinct(c.user_id)).scalar_subquery())
        )
    )
    for user_id, module_id, score, is_newer in rows:
        results[user_id][module_id] = float(score)
        if is_newer:
            stale.add(user_id)
    return results, stale


class BulkPredictor:
    """``Scorer.predict`` for many learners at once, for learners the model knows whose results
    have not changed since training (no fold-in): the same arithmetic on blocks of learners.

    A learner with more rated modules than a neighbour model's ``k`` (where the top-k cut applies)
    is left to ``Scorer.predict``.
    """

    def __init__(self, scorer):
        self.scorer = scorer
        self.parts = scorer.parts if isinstance(scorer, BlendScorer) else [scorer]
        first = self.parts[0]
        self.items = first.items
        self.item_col = {int(i): n for n, i in enumerate(first.items)}
        self.user_row = {int(u): n for n, u in enumerate(first.users)}
        self.max_rated = min((p.k for p in self.parts if p.kind == "neighbours"), default=None)
        same = all(
            np.array_equal(p.items, first.items) and np.array_equal(p.users, first.users)
            for p in self.parts
        )
        self.usable = same and all(p.kind in ("factors", "logit", "neighbours") for p in self.parts)

    def can_bulk(self, user_id: int, rated: int) -> bool:
        return (
            self.usable
            and user_id in self.user_row
            and (self.max_rated is None or rated <= self.max_rated)
        )

    def predict(self, users: list[int], results: dict[int, dict[int, float]]) -> np.ndarray:
        """Predicted scores (len(users) × model items), clipped to 0..1."""
        rows = np.array([self.user_row[u] for u in users], dtype=np.int64)
        scores = np.zeros((len(users), len(self.items)))
        mask = np.zeros_like(scores)
        for n, user in enumerate(users):
            for module, score in results.get(user, {}).items():
                col = self.item_col.get(module)
                if col is not None:
                    scores[n, col], mask[n, col] = score, 1.0
        parts = [self._part(p, rows, scores, mask) for p in self.parts]
        if isinstance(self.scorer, BlendScorer):
            blended = self.scorer.intercept + sum(
                w * p for w, p in zip(self.scorer.weights, parts, strict=True)
            )
            return np.clip(blended, 0.0, 1.0)
        return parts[0]

    @staticmethod
    def _part(part: Scorer, rows, scores, mask) -> np.ndarray:
        bu, pu = part.bu[rows], part.pu[rows]
        base = part.mu + bu[:, None] + part.bi[None, :]
        if part.kind == "factors":
            est = base + pu @ part.qi.T
        elif part.kind == "logit":
            est = 1.0 / (1.0 + np.exp(-(base + pu @ part.qi.T)))
            if part.sim is not None and part.alpha:
                residuals = (scores - est) * mask
                num = residuals @ part.sim.T
                den = mask @ np.abs(part.sim).T
                est = est + part.alpha * num / (den + part.damp)
        else:  # neighbours: positive similarities only, a module is not its own neighbour
            sim = np.where(part.sim > 0, part.sim, 0.0)
            np.fill_diagonal(sim, 0.0)
            deviations = (scores - base) * mask
            total = mask @ sim.T
            offsets = np.divide(
                deviations @ sim.T, total, out=np.zeros_like(total), where=total > 0
            )
            est = base + offsets
        return np.clip(est, 0.0, 1.0)


def _predictions(
    wanted: dict[int, set[int]], results: dict, stale: set[int], scorer
) -> dict[tuple[int, int], float]:
    """{(user, module): predicted score} for the modules ``wanted`` of each person with results."""
    out: dict[tuple[int, int], float] = {}
    bulk = BulkPredictor(scorer)
    fast, slow = [], []
    for user, modules in wanted.items():
        if not modules or not results.get(user):
            continue
        if user not in stale and bulk.can_bulk(user, len(results[user])):
            fast.append(user)
        else:
            slow.append(user)
    for start in range(0, len(fast), PREDICT_CHUNK):
        block = fast[start : start + PREDICT_CHUNK]
        estimates = bulk.predict(block, results)
        for n, user in enumerate(block):
            for module in wanted[user]:
                col = bulk.item_col.get(module)
                if col is not None:
                    out[(user, module)] = float(estimates[n, col])
    for user in slow:
        predicted = scorer.predict(user, results[user], wanted[user], fold_in=user in stale)
        for module, score in predicted.items():
            out[(user, int(module))] = score
    return out


# ---- the list -----------------------------------------------------------------------------------


class _Texts:
    """The reasons' wording, translated once per list (a city's list holds tens of thousands of
    reasons) and filled in with ``%``."""

    def __init__(self):
        self.overdue = _("Đã quá hạn %(n)s ngày")
        self.overdue_today = _("Đã quá hạn hôm nay")
        self.idle = _("Không hoạt động %(n)s ngày")
        self.never = _("Không hoạt động %(n)s ngày (chưa học lần nào)")
        self.pace = _("Chậm tiến độ: còn %(left)s%% trong %(days)s ngày")
        self.pace_today = _("Chậm tiến độ: còn %(left)s%%, hạn là hôm nay")
        self.no_step = _("(chưa xong bước nào sau %(n)s ngày)")
        self.at_pace = _("(theo nhịp hiện tại cần thêm khoảng %(n)s ngày)")
        self.predicted = _(
            "Dự đoán chưa đạt bài kiểm tra mô-đun “%(module)s” "
            "(dự đoán %(score)s%%, cần %(needed)s%%)"
        )

    def pace_text(self, left, days_left, done, enrolled_days, remaining) -> str:
        if days_left > 0:
            head = self.pace % {"left": left, "days": days_left}
        else:
            head = self.pace_today % {"left": left}
        if done == 0:
            return f"{head} {self.no_step % {'n': int(enrolled_days)}}"
        needed = max(1, round(remaining * enrolled_days / done))
        return f"{head} {self.at_pace % {'n': needed}}"


@dataclass(frozen=True)
class _CourseShape:
    title: str
    pass_threshold: float
    modules: tuple  # ((module id, title), ...) in position order
    steps: int  # lessons + modules: what progress counts


def _shapes(data) -> dict[int, _CourseShape]:
    return {
        course_id: _CourseShape(
            course.title,
            course.pass_threshold,
            tuple((m, title) for m, title, _lessons in data["modules"].get(course_id, ())),
            sum(lessons for _m, _t, lessons in data["modules"].get(course_id, ()))
            + len(data["modules"].get(course_id, ())),
        )
        for course_id, course in data["courses"].items()
    }


@contextmanager
def _collector_paused():
    """The list makes tens of thousands of small objects, none of them in a cycle; the cyclic
    garbage collector would scan the whole heap again and again while they are made (a fifth of
    the time of a city's list). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def warning_list(scope: Unit | None, unit: Unit | None = None, now: datetime | None = None):
    """The early-warning list of ``unit``'s subtree (it lies inside ``scope``: see
    ``services.narrow_unit``), or of the whole scope; sorted by urgency."""
    with _collector_paused():
        return _warning_list(scope, unit, now or utcnow())


def _warning_list(scope: Unit | None, unit: Unit | None, now: datetime) -> WarningList:
    config = current_app.config
    idle_days = int(config.get("WARNING_IDLE_DAYS", IDLE_DAYS))
    grace = float(config.get("WARNING_PACE_GRACE_DAYS", PACE_GRACE_DAYS))
    zone, today = academy_zone(), now.astimezone(academy_zone()).date()
    data = _read(unit or scope)
    shapes, all_passed, no_passes = _shapes(data), data["passed"], frozenset()
    scorer, meta = current_model()
    predictions: dict[tuple[int, int], float] = {}
    if scorer is not None and data["rows"]:
        results, stale = _results(data["candidates"], meta["trained_at"] if meta else None)
        wanted: dict[int, set[int]] = defaultdict(set)
        for row in data["rows"]:
            passed = all_passed.get(row.id, no_passes)
            wanted[row.user_id].update(
                m for m, _title in shapes[row.course_id].modules if m not in passed
            )
        predictions = _predictions(wanted, results, stale, scorer)
    units, texts = unit_directory(), _Texts()
    lessons, quizzes = data["lessons"], data["quizzes"]
    due_dates: dict[datetime, date] = {}  # many people share a mandate's due date
    entries = []
    for eid, user_id, course_id, enrolled_at, due_at, visited, name, code, unit_id in data["rows"]:
        shape = shapes[course_id]
        passed = all_passed.get(eid, no_passes)
        lessons_done, last = lessons.get(eid, (0, None))
        steps = shape.steps
        done = min(lessons_done + len(passed), steps)
        remaining = steps - done
        progress = (done * 100) // steps if steps else 0
        for moment in (visited, quizzes.get(eid)):
            if moment is not None and (last is None or moment > last):
                last = moment
        due_date = due_dates.get(due_at)
        if due_date is None:
            due_date = due_dates[due_at] = due_at.astimezone(zone).date()
        days_left = (due_date - today).days
        overdue = due_at < now
        reasons = []
        if overdue:
            text = texts.overdue % {"n": -days_left} if days_left < 0 else texts.overdue_today
            reasons.append(Reason("overdue", text))
        idle = int((now - (last or enrolled_at)).total_seconds() // DAY)
        if idle >= idle_days:
            text = (texts.idle if last is not None else texts.never) % {"n": idle}
            reasons.append(Reason("idle", text))
        if not overdue and remaining > 0:
            enrolled_days = max((now - enrolled_at).total_seconds() / DAY, 0.0)
            days_to_due = (due_at - now).total_seconds() / DAY
            judged = enrolled_days >= grace or days_to_due < grace
            if judged and done * days_to_due < remaining * enrolled_days:
                text = texts.pace_text(100 - progress, days_left, done, enrolled_days, remaining)
                reasons.append(Reason("pace", text))
        if predictions:
            for module_id, title in shape.modules:
                score = predictions.get((user_id, module_id))
                if score is not None and score < shape.pass_threshold and module_id not in passed:
                    text = texts.predicted % {
                        "module": title,
                        "score": round(score * 100),
                        "needed": round(shape.pass_threshold * 100),
                    }
                    reasons.append(Reason("predicted", text))
        if not reasons:  # an overdue entry always has its "overdue" reason
            continue
        info = units.get(unit_id)
        entries.append(
            WarningEntry(
                enrollment_id=eid,
                user_id=user_id,
                full_name=name,
                employee_code=code,
                unit_id=unit_id,
                unit_code=info.code if info else "",
                unit_path=info.full_name if info else "",
                course_id=course_id,
                course_title=shape.title,
                due_at=due_at,
                due_date=due_date,
                days_left=days_left,
                progress=progress,
                last_activity=last,
                last_activity_date=last.astimezone(zone).date() if last is not None else None,
                band=OVERDUE if overdue else AT_RISK,
                reasons=reasons,
                sort_key=(not overdue, days_left, progress, name, shape.title, eid),
            )
        )
    entries.extend(_hours_entries(unit or scope, now, units))
    entries.sort(key=attrgetter("sort_key"))
    return WarningList(entries, scorer is not None, now, idle_days, int(grace))


def _hours_entries(subtree: Unit | None, now: datetime, units: dict) -> list[WarningEntry]:
    """Late in the year, one entry per counted person of ``subtree`` whose training hours of the
    year are below their requirement (none before ``HOURS_WARNING_FROM_MONTH``; 0 = never)."""
    month = int(current_app.config.get("HOURS_WARNING_FROM_MONTH", 10) or 0)
    today = now.astimezone(academy_zone()).date()
    if not month or today.month < month:
        return []
    people = select(User.id, User.full_name, User.employee_code, User.unit_id).where(
        counted_person()
    )
    if subtree is not None:
        people = people.where(User.unit_id.in_(subtree.subtree_ids_select()))
    hours = year_hours(people.with_only_columns(User.id), today.year)
    year_end = date(today.year, 12, 31)
    days_left = (year_end - today).days
    due_at = datetime.combine(year_end, datetime.max.time(), academy_zone())
    title = _("Giờ học bắt buộc năm %(year)s", year=today.year)
    if days_left > 0:
        wording = _("Mới có %(have)s/%(need)s giờ học năm %(year)s; còn %(n)s ngày")
    else:
        wording = _("Mới có %(have)s/%(need)s giờ học năm %(year)s; hôm nay là ngày cuối năm")
    reasons: dict[tuple[float, float], Reason] = {}  # many people share the same figures
    no_unit = ("", "")
    entries = []
    for user_id, name, code, unit_id in db.session.connection().execute(people):
        mine = hours.get(user_id)
        if mine is None or mine.total >= mine.required:
            continue
        figures = (mine.total, mine.required)
        reason = reasons.get(figures)
        if reason is None:
            have, need = hours_label(mine.total), hours_label(mine.required)
            text = wording % {"have": have, "need": need, "year": today.year, "n": days_left}
            reason = reasons[figures] = Reason("hours", text)
        progress = int(mine.fraction * 100)
        info = units.get(unit_id)
        unit_code, unit_path = (info.code, info.full_name) if info else no_unit
        entries.append(
            WarningEntry(
                None,  # no enrolment
                user_id,
                name,
                code,
                unit_id,
                unit_code,
                unit_path,
                None,  # no course
                title,
                due_at,
                year_end,
                days_left,
                progress,
                None,  # last activity: not what this entry is about
                None,
                AT_RISK,
                [reason],
                (True, days_left, progress, name, title, 0),
                "hours",
            )
        )
    return entries


def cached_warning_list(scope: Unit | None, unit: Unit | None = None) -> WarningList:
    """``warning_list`` from the latest snapshot of this process, per scope, unit and language
    (the reasons are worded in the reader's language). A city's list takes a second or two to
    make: paging, the band filter and the downloads reuse it for ``WARNING_CACHE_SECONDS``
    (default 60; the page says when it was made) while one refresh runs behind. 0: always fresh.
    """
    seconds = current_app.config.get("WARNING_CACHE_SECONDS", 60)
    if not seconds:
        return warning_list(scope, unit)
    snapshots = current_app.extensions.setdefault("reports.warnings", Snapshots(_snapshot))
    key = (getattr(scope, "id", None), getattr(unit, "id", None), str(get_locale() or "vi"))
    return snapshots.get(current_app._get_current_object(), key, seconds)


def _snapshot(key: tuple) -> WarningList:
    scope_id, unit_id, locale = key
    scope = db.session.get(Unit, scope_id) if scope_id is not None else None
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    if (scope_id is not None and scope is None) or (unit_id is not None and unit is None):
        raise LookupError(f"unit {scope_id}/{unit_id} no longer exists")
    with force_locale(locale):
        return warning_list(scope, unit)


def warning_summary(scope: Unit | None, limit: int = 10) -> dict:
    """For the dashboard: how many enrolments are overdue and at risk (and how many people), and
    the ``limit`` most urgent entries as plain data (overdue first, as on the page)."""
    result = warning_list(scope)
    return {
        "count_at_risk": result.count_at_risk,
        "count_overdue": result.count_overdue,
        "people_at_risk": result.people(AT_RISK),
        "people_overdue": result.people(OVERDUE),
        "uses_model": result.uses_model,
        "top": [entry.as_dict() for entry in result.entries[:limit]],
        "top_at_risk": [entry.as_dict() for entry in result.band(AT_RISK)[:limit]],
    }


# ---- exports ------------------------------------------------------------------------------

BAND_LABELS = {OVERDUE: _l("Đã quá hạn"), AT_RISK: _l("Có nguy cơ trễ hạn")}
EXPORT_COLUMNS = (
    (_l("Nhóm"), 18),
    (_l("Mã đơn vị"), 14),
    (_l("Đơn vị"), 48),
    (_l("Mã cán bộ"), 14),
    (_l("Họ và tên"), 26),
    (_l("Khoá học"), 36),
    (_l("Hạn hoàn thành"), 14),
    (_l("Số ngày còn lại"), 12),
    (_l("Tiến độ (%)"), 10),
    (_l("Hoạt động gần nhất"), 14),
    (_l("Lý do"), 70),
)
REASON_SEPARATOR = "; "


def export_rows(entries: list[WarningEntry], text=neutralised, day=None) -> list[tuple]:
    """The entries as export rows in column order; every text cell through ``text`` (formula-safe:
    ``neutralised``, or ``xlsx_text`` for a workbook), dates through ``day`` (as they are, or
    ISO text for CSV)."""
    if not entries:
        return []
    day = day or (lambda value: value)
    labels = {band: str(label) for band, label in BAND_LABELS.items()}
    columns = list(
        zip(
            *(
                (
                    labels[e.band],
                    e.unit_code,
                    e.unit_path,
                    e.employee_code or "",
                    e.full_name,
                    e.course_title,
                    e.due_date,
                    e.days_left,
                    e.progress,
                    e.last_activity_date,
                    REASON_SEPARATOR.join(e.reason_texts),
                )
                for e in entries
            ),
            strict=True,
        )
    )
    text_columns = {0, 1, 2, 3, 4, 5, 10}
    date_columns = {6, 9}
    for index in text_columns:
        columns[index] = text(columns[index])
    for index in date_columns:
        columns[index] = [day(value) if value is not None else None for value in columns[index]]
    return list(zip(*columns, strict=True))


def export_headers() -> list[str]:
    return [str(label) for label, _width in EXPORT_COLUMNS]


def csv_bytes(entries: list[WarningEntry], separator: str = ",") -> bytes:
    """The list as CSV (UTF-8 with BOM, every text field quoted, dates ISO)."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=separator, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n"
    )
    writer.writerow(export_headers())
    writer.writerows(export_rows(entries, day=date.isoformat))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(entries: list[WarningEntry], target) -> int:
    """The list as a workbook (write-only): dates are date cells, numbers numbers, the header row
    frozen with an auto filter. Returns the number of data rows."""
    from openpyxl import Workbook  # noqa: PLC0415 - 0.5 s to import, XLSX only
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - see above
    from openpyxl.styles import Font  # noqa: PLC0415 - see above
    from openpyxl.utils import get_column_letter  # noqa: PLC0415 - see above

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cảnh báo sớm"))
    sheet.freeze_panes = "A2"
    for index, (_label, width) in enumerate(EXPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for label in export_headers():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = export_rows(entries, text=xlsx_text)
    for values in rows:
        sheet.append(values)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(EXPORT_COLUMNS))}{len(rows) + 1}"
    workbook.save(target)
    return len(rows)
