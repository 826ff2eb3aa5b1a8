"""The personal learning path: which modules, in what order, and why.

``build_path(user)`` reads the learner's results, enrolments and the newest trained model (never
trains), and returns a ``LearningPath``. It is computed per request, so it changes the moment a
quiz is submitted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import String, bindparam, func, literal, null, select, type_coerce, union_all

from academy.auth.models import User
from academy.auth.sessions import view_rows
from academy.database import UTCDateTime, db, utcnow
from academy.jobs import Job, enqueue
from academy.learning.models import Enrollment, ModuleResult
from academy.paths import ordering
from academy.paths.catalogue import Catalogue, get_catalogue
from academy.paths.reasons import explain
from academy.paths.snapshot import remembered_path
from academy.paths.store import current_model

log = logging.getLogger(__name__)
TEST_OUT_MARGIN = 0.1  # predicted this far above the pass mark: offer the quiz straight away
RETRAIN_KIND = "recommender_train"
HOME_ITEMS = 5


@dataclass
class PathItem:
    module_id: int
    module_slug: str
    module_title: str
    course_slug: str
    course_title: str
    pass_threshold: float
    predicted: float
    personal: bool  # the prediction uses this learner's own results
    best_score: float | None = None
    assigned: bool = False
    due_at: datetime | None = None
    overdue: bool = False
    enrolled: bool = False
    test_out: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class LearningPath:
    items: list[PathItem]
    track: str
    needs_placement: bool
    uses_model: bool
    colleague_courses: dict[int, int] = field(default_factory=dict)  # course id → colleagues
    placement_tracks: list[str] = field(default_factory=list)  # tracks still without any result
    key: str = ""  # the state it was built from (paths.snapshot.path_key)


@dataclass
class _Learner:
    user: object
    scores: dict[int, float]
    passed: set[int]
    latest_result_at: datetime | None
    enrollments: dict[int, object]


def build_path(user, limit: int | None = None) -> LearningPath:
    """The learner's ordered path, each item with the reasons shown to them."""
    learner = _load_learner(user)
    colleagues = {} if learner.scores or learner.enrollments else colleague_courses(user)
    _scorer, meta = current_model()
    return remembered_path(
        user, learner, colleagues, limit, meta, lambda: _build(learner, colleagues, limit)
    )


def _build(learner: _Learner, colleagues: dict[int, int], limit: int | None) -> LearningPath:
    cat = get_catalogue()
    candidates, cold = _candidate_modules(cat, learner, colleagues)
    predictions, personal, uses_model = _predict(cat, learner, candidates, cold)
    items = _make_items(cat, learner, candidates, predictions, personal)
    order = _order(cat, items)
    shown = order[:limit] if limit else order
    explain(cat, learner.scores, items, colleagues, shown, _related_modules(learner, items, shown))
    return LearningPath(
        [items[m] for m in shown],
        learner_track(cat, learner, colleagues),
        not learner.scores,
        uses_model,
        colleagues,
        _tracks_without_results(cat, learner),
    )


def _related_modules(learner: _Learner, items: dict, shown: list[int]) -> dict[int, int]:
    """Shown module → the learner's result the model finds most related to it
    (none without a model)."""
    scorer, _meta = current_model()
    wanted = [m for m in shown if items[m].personal]
    if scorer is None or not learner.scores or not wanted:
        return {}
    try:
        return scorer.related(learner.scores, wanted)
    except Exception:  # noqa: BLE001 - an explanation must not break the page
        log.exception("recommender could not name related modules")
        return {}


def home_path(user) -> LearningPath:
    """The first few items of the path, for the home page's first block."""
    try:
        return build_path(user, limit=HOME_ITEMS)
    except Exception:  # noqa: BLE001 - the home page must render even if the path cannot
        log.exception("learning path failed for user %s", user.id)
        db.session.rollback()
        return LearningPath([], "theory", False, False)


def _load_learner(user) -> _Learner:
    rows, enrollments = [], {}
    # on the path's own pages, read with the signed-in user (``read_with_user``, in views)
    for row in view_rows(LEARNER_ROWS, {"user_id": user.id}):
        if row.kind == "result":
            rows.append(row)
        else:  # plain rows: what the path reads of an enrolment, without ORM objects
            enrollments[row.item_id] = _EnrolmentRow(
                row.item_id, row.source, row.due_at, row.completed_at
            )
    return _Learner(
        user,
        {r.item_id: float(r.best_score) for r in rows},
        {r.item_id for r in rows if r.passed_at is not None},
        max((r.updated_at for r in rows if r.updated_at), default=None),
        enrollments,
    )


class _EnrolmentRow(NamedTuple):
    course_id: int
    source: str
    due_at: datetime | None
    completed_at: datetime | None


# Built once, run with the learner's id: their module results, then their enrolments, in one
# statement (each branch fills its own columns; the first gives every column its type).
_NO_TIME = type_coerce(null(), UTCDateTime)
LEARNER_ROWS = union_all(
    select(
        literal("result").label("kind"),
        ModuleResult.module_id.label("item_id"),
        ModuleResult.best_score,
        ModuleResult.passed_at,
        ModuleResult.updated_at,
        type_coerce(null(), String).label("source"),
        _NO_TIME.label("due_at"),
        _NO_TIME.label("completed_at"),
    ).where(ModuleResult.user_id == bindparam("user_id")),
    select(
        literal("enrolment"),
        Enrollment.course_id,
        null(),
        null(),
        null(),
        Enrollment.source,
        Enrollment.due_at,
        Enrollment.completed_at,
    ).where(Enrollment.user_id == bindparam("user_id")),
)


def colleague_courses(user, top: int = 3) -> dict[int, int]:
    """Courses most taken by others in the same unit and position: course id → how many."""
    if user.unit_id is None:
        return {}
    rows = db.session.execute(
        select(Enrollment.course_id, func.count(Enrollment.user_id).label("n"))
        .join(User, User.id == Enrollment.user_id)
        .where(User.unit_id == user.unit_id, User.position == user.position, User.id != user.id)
        .group_by(Enrollment.course_id)
        .order_by(func.count(Enrollment.user_id).desc())
        .limit(top)
    ).all()
    return {course_id: n for course_id, n in rows}


def learner_track(cat: Catalogue, learner: _Learner, colleagues: dict[int, int]) -> str:
    """The track most of the learner's courses (or their colleagues' courses) belong to."""
    counts: dict[str, int] = {}
    course_ids = list(learner.enrollments) + [
        cat.modules[m].course_id for m in learner.scores if m in cat.modules
    ]
    for course_id in course_ids or list(colleagues):
        if course_id in cat.courses:
            track = cat.courses[course_id].track
            counts[track] = counts.get(track, 0) + 1
    return max(counts, key=counts.get) if counts else "theory"


def _candidate_modules(
    cat: Catalogue, learner: _Learner, colleagues: dict[int, int]
) -> tuple[set[int], set[int]]:
    """(every module on the path, those of tracks the learner has not started:
    kept in cold-start order).

    A placement quiz or a course in one track must not hide the others: a track without any of the
    learner's courses or results keeps what a new learner would get there (colleagues' courses, else
    the basic course)."""
    engaged = {
        c
        for c in set(learner.enrollments)
        | {cat.modules[m].course_id for m in learner.scores if m in cat.modules}
        if c in cat.courses
    }
    started = {cat.courses[c].track for c in engaged}
    cold_start = {
        c
        for c in (set(colleagues) or _starter_courses(cat))
        if c in cat.courses and cat.courses[c].track not in started
    }
    wanted = {m for c in engaged | cold_start for m in cat.course_modules(c)}
    path = ordering.prerequisite_closure(wanted - learner.passed, cat.prerequisites, learner.passed)
    return path, {m for m in path if cat.courses[cat.modules[m].course_id].track not in started}


def _tracks_without_results(cat: Catalogue, learner: _Learner) -> list[str]:
    """Tracks whose placement quiz the learner can still take to tailor that part of the path."""
    tried = {
        cat.courses[cat.modules[m].course_id].track for m in learner.scores if m in cat.modules
    }
    return sorted({c.track for c in cat.courses.values()} - tried)


def _starter_courses(cat: Catalogue) -> set[int]:
    """Without any signal at all: the basic course of each track."""
    chosen: dict[str, int] = {}
    for course in sorted(cat.courses.values(), key=lambda c: (c.level != "basic", c.id)):
        chosen.setdefault(course.track, course.id)
    return set(chosen.values())


def _predict(cat, learner, candidates, cold) -> tuple[dict[int, float], set[int], bool]:
    """Difficulty for every candidate; the model's (personal) prediction for those not ``cold``."""
    scorer, meta = current_model()
    predictions = {m: cat.expected_score(m) for m in candidates}
    if scorer is None or not candidates - cold:
        return predictions, set(), scorer is not None
    stale = bool(
        learner.latest_result_at and meta and learner.latest_result_at > meta["trained_at"]
    )
    try:
        personal = scorer.predict(learner.user.id, learner.scores, candidates - cold, fold_in=stale)
    except Exception:  # noqa: BLE001 - a bad model must not break the page
        log.exception("recommender prediction failed; using module difficulty")
        return predictions, set(), False
    predictions.update(personal)
    return predictions, set(personal) if learner.scores else set(), True


def _make_items(cat, learner, candidates, predictions, personal: set[int]) -> dict[int, PathItem]:
    now, items = utcnow(), {}
    for module_id in candidates:
        module = cat.modules[module_id]
        course = cat.courses[module.course_id]
        enrollment = learner.enrollments.get(course.id)
        assigned = bool(
            enrollment and enrollment.source == "assigned" and enrollment.completed_at is None
        )
        due_at = enrollment.due_at if assigned else None
        predicted = predictions[module_id]
        items[module_id] = PathItem(
            module_id,
            module.slug,
            module.title,
            course.slug,
            course.title,
            course.pass_threshold,
            predicted,
            module_id in personal,
            learner.scores.get(module_id),
            assigned,
            due_at,
            bool(due_at and due_at < now),
            enrollment is not None,
            module_id in personal and predicted >= course.pass_threshold + TEST_OUT_MARGIN,
        )
    return items


def _order(cat: Catalogue, items: dict[int, PathItem]) -> list[int]:
    keys = {}
    for module_id, item in items.items():
        due_ts = item.due_at.timestamp() if item.due_at else None
        keys[module_id] = ordering.module_key(
            assigned=item.assigned,
            overdue=item.overdue,
            due_ts=due_ts,
            gap=item.pass_threshold - item.predicted,
            test_out=item.test_out,
        )
    keys = ordering.inherit_urgency(keys, cat.prerequisites)
    tiebreak = lambda m: (cat.modules[m].course_id, cat.modules[m].position)  # noqa: E731
    return ordering.topological_order(keys, cat.prerequisites, tiebreak)


def note_attempt(attempt) -> None:
    """Called after each submitted quiz attempt: queue a retrain once enough new attempts came in.

    Cheap: compares attempt ids with the current model's metadata (cached per process); only when
    the threshold is crossed does it look for a retrain already queued.
    """
    every = current_app.config.get("RECOMMENDER_RETRAIN_EVERY") or 0
    if not every or getattr(attempt, "id", None) is None:
        return
    _, meta = current_model()
    if attempt.id - (meta["last_attempt_id"] if meta else 0) < every or _retrain_pending():
        return
    enqueue(
        "academy.paths.store:retrain_job", kind=RETRAIN_KIND, params={"after_attempt": attempt.id}
    )


_RETRAIN_LOCK = 0x48565352  # PostgreSQL advisory lock: one submission at a time queues a retrain


def _retrain_pending() -> bool:
    # Concurrent submissions crossing the threshold together would each queue a retrain (each
    # blind to the others' uncommitted job): on PostgreSQL only the one holding this lock, held
    # until its commit, may queue; the others count it as pending. (SQLite writes one at a time.)
    if db.session.get_bind().dialect.name == "postgresql" and not db.session.scalar(
        select(func.pg_try_advisory_xact_lock(_RETRAIN_LOCK))
    ):
        return True
    recent = utcnow() - timedelta(minutes=10)
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.kind == RETRAIN_KIND,
                (Job.status.in_(("queued", "running"))) | (Job.created_at > recent),
            )
        )
        > 0
    )
