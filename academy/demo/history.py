"""Demo data, part two: learners and their learning histories, written in bulk.

Rows are plain dicts written with Core ``insert()`` executemany, one transaction per chunk: no ORM
object per row. Scores have structure a recommender can learn:
``score ≈ sigmoid(bias + ability + affinity[track] − difficulty + noise)``, rounded to a fraction
of the module's questions. Seeded attempts carry no AttemptAnswer rows.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import JSON, Text, bindparam, cast, func, insert, select

from academy.demo import data
from academy.demo.seed import AssignmentInfo, CourseInfo, UnitInfo, sigmoid
from academy.auth.models import User, UserRole
from academy.catalog.models import TRACKS
from academy.database import utcnow
from academy.extensions import db
from academy.learning.models import Enrollment, LessonProgress, ModuleResult, QuizAttempt

BIAS = 1.1
RETRY_GAIN = 0.6  # a retake after re-reading goes better
TABLES = (("enrollments", Enrollment), ("lesson_progress", LessonProgress),
          ("quiz_attempts", QuizAttempt), ("module_results", ModuleResult))


@dataclass
class Rows:
    enrollments: list[dict] = field(default_factory=list)
    lesson_progress: list[dict] = field(default_factory=list)
    quiz_attempts: list[dict] = field(default_factory=list)
    module_results: list[dict] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(getattr(self, name)) for name, _ in TABLES)

    def write(self) -> None:
        for name, model in TABLES:
            rows = getattr(self, name)
            if rows:
                db.session.execute(_bulk_insert(model), rows)


def _bulk_insert(model):
    """Core insert; an attempt's question list arrives as JSON text made once per module."""
    stmt = insert(model.__table__)
    if model is QuizAttempt:
        text = bindparam("question_ids_json", type_=Text())
        on_sqlite = db.session.get_bind().dialect.name == "sqlite"
        stmt = stmt.values(question_ids=text if on_sqlite else cast(text, JSON))
    return stmt


@dataclass
class Learner:
    """The hidden traits the scores are drawn from."""

    user_id: int
    ability: float
    affinity: dict[str, float]
    persistence: float  # chance of going on to the next module after passing one

    @classmethod
    def draw(cls, user_id: int, rng: random.Random) -> Learner:
        return cls(user_id, rng.gauss(0, 0.8), {t: rng.gauss(0, 0.5) for t in TRACKS},
                   0.55 + 0.4 * rng.random())


class HistoryMaker:
    """Enrolments, lessons read, quiz attempts and best results for one learner at a time."""

    def __init__(self, catalog: list[CourseInfo], rng: random.Random, now: datetime | None = None):
        self.catalog, self.rng, self.now = catalog, rng, now or utcnow()
        self.rows = Rows()

    def learner(self, learner: Learner, assignments: list[AssignmentInfo], enrol_all=False) -> None:
        rng, assigned = self.rng, {}
        for a in assignments:
            assigned.setdefault(a.course_id, a)
        for course in self.catalog:
            a = assigned.get(course.id)
            if a is not None:
                start = a.created_at + timedelta(days=rng.uniform(0, 10))
                self._course(learner, course, min(start, self.now), a)
            elif enrol_all or rng.random() < 0.45 + 0.3 * sigmoid(2 * learner.affinity[course.track]):
                self._course(learner, course, self.now - timedelta(days=rng.uniform(2, 300)), None)

    def _course(self, learner: Learner, course: CourseInfo, at: datetime, a: AssignmentInfo | None):
        rng, rows = self.rng, self.rows
        enrolment = {"user_id": learner.user_id, "course_id": course.id,
                     "source": "assigned" if a else "self", "assignment_id": a.id if a else None,
                     "enrolled_at": at, "due_at": a.due_at if a else None, "completed_at": None}
        rows.enrollments.append(enrolment)
        if rng.random() < 0.12:  # enrolled, never started
            return
        passed = 0
        for module in course.modules:
            at, ok = self._module(learner, course, module, at)
            if not ok:
                return
            passed += 1
            if passed < len(course.modules) and rng.random() > learner.persistence:
                return
        enrolment["completed_at"] = at

    def _later(self, at: datetime, mean_hours: float) -> datetime | None:
        later = at + timedelta(hours=self.rng.expovariate(1 / mean_hours))
        return later if later <= self.now else None

    def _module(self, learner: Learner, course: CourseInfo, module, at):
        """Read the lessons, take the quiz (retaking some failures). Returns (time, passed)."""
        rng, uid = self.rng, learner.user_id
        if rng.random() > 0.05:  # a few test out: straight to the quiz
            for i, lesson_id in enumerate(module.lesson_ids):
                if i and rng.random() < 0.1:
                    continue
                at = self._later(at, 20)
                if at is None:
                    return None, False
                self.rows.lesson_progress.append({"user_id": uid, "lesson_id": lesson_id, "completed_at": at})
        if not module.question_ids:
            return at, True
        return self._attempts(learner, course, module, at)

    def _attempts(self, learner: Learner, course: CourseInfo, module, at):
        rng, n = self.rng, len(module.question_ids)
        logit = BIAS + learner.ability + learner.affinity[course.track] - module.difficulty
        best, count, passed_at = 0.0, 0, None
        while count < 3:
            started = self._later(at, 30)
            if started is None:
                break
            at = started + timedelta(minutes=rng.uniform(3, 25))
            score = round(sigmoid(logit + RETRY_GAIN * count + rng.gauss(0, 0.45)) * n) / n
            count += 1
            ok = score >= course.threshold - 1e-9
            self.rows.quiz_attempts.append({
                "user_id": learner.user_id, "module_id": module.id,
                "token": f"demo-{learner.user_id}-{module.id}-{count}", "kind": "module",
                "question_ids_json": module.question_ids_json, "started_at": started, "submitted_at": at,
                "score": score, "passed": ok})
            best = max(best, score)
            if ok:
                passed_at = passed_at or at
                break
            if rng.random() < 0.3:  # gave up
                break
        if count:
            self.rows.module_results.append({"user_id": learner.user_id, "module_id": module.id,
                                             "best_score": best, "attempts_count": count,
                                             "passed_at": passed_at, "updated_at": at})
        return at, passed_at is not None


def next_learner_number() -> int:
    """1 + the highest number among seeded learners' employee codes (HVS0000042 → 43)."""
    prefix = data.LEARNER_CODE_PREFIX
    top = db.session.scalar(select(func.max(User.employee_code)).where(User.employee_code.like(f"{prefix}%")))
    return int(top[len(prefix):]) + 1 if top else 1


def count_seeded_learners() -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.employee_code.like(f"{data.LEARNER_CODE_PREFIX}%"))) or 0


def learner_code(number: int) -> str:
    return f"{data.LEARNER_CODE_PREFIX}{number:07d}"


def unit_pools(units: list[UnitInfo]) -> dict[str, list[UnitInfo]]:
    pools: dict[str, list[UnitInfo]] = {}
    for unit in units:
        pools.setdefault(unit.kind, []).append(unit)
    return pools


def insert_learners(first: int, last: int, pools: dict[str, list[UnitInfo]], password_hash: str,
                    rng: random.Random) -> list[tuple[int, int]]:
    """Users ``first``..``last`` (numbers, inclusive) with the learner role. Returns (id, unit id)."""
    names, now = data.NameMaker(rng), utcnow()
    rows = []
    for number in range(first, last + 1):
        full_name, stem = names.full_name()
        unit = _pick_unit(pools, rng)
        rows.append({"email": f"{stem}.{number:06d}@{data.DEMO_EMAIL_DOMAIN}",
                     "employee_code": learner_code(number), "full_name": full_name,
                     "password_hash": password_hash, "unit_id": unit.id,
                     "position": data.position_for(unit.kind, unit.name, rng), "locale": "vi",
                     "is_active": True, "session_version": 1, "created_at": now, "last_login_at": None})
    db.session.execute(insert(User.__table__), rows)
    made = db.session.execute(select(User.id, User.unit_id).where(
        User.employee_code.between(learner_code(first), learner_code(last)))).all()
    db.session.execute(insert(UserRole.__table__), [{"user_id": uid, "role": "learner"} for uid, _ in made])
    return [(uid, unit_id) for uid, unit_id in made]


def _pick_unit(pools: dict[str, list[UnitInfo]], rng: random.Random) -> UnitInfo:
    """Agencies take about 40% of the learners, wards 45%, party cells 15%."""
    roll = rng.random()
    kind = "agency" if roll < 0.4 else "ward" if roll < 0.85 else "cell"
    pool = pools.get(kind) or pools["city"]
    return pool[int(rng.random() * len(pool))]
