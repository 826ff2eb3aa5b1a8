"""Demo data, part two: learners and their learning histories, written in bulk.

Rows are plain dicts written with Core ``insert()`` executemany, one transaction per chunk: no ORM
object per row. Scores have structure a recommender can learn:
``score ≈ sigmoid(bias + ability + affinity[track] − difficulty + noise)``, rounded to a fraction
of the module's questions. Each attempt also stores its per-question answers (AttemptAnswer): the
questions it got right are the easier ones (a stable ease per question, plus noise), and a wrong
answer picks a distractor by stable per-question weights, so the authors' statistics (share
correct, discrimination, distractors) have something to show. Answers are inserted after their
attempts, in bulk, attempt ids looked up once per chunk.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import JSON, Text, bindparam, cast, func, insert, select

from academy.auth.models import User, UserRole
from academy.catalog.models import TRACKS, Choice, Question
from academy.database import utcnow
from academy.demo import data
from academy.demo.seed import AssignmentInfo, CourseInfo, UnitInfo, sigmoid
from academy.extensions import db
from academy.learning.models import (
    AttemptAnswer,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)

BIAS = 1.1
RETRY_GAIN = 0.6  # a retake after re-reading goes better
TABLES = (
    ("enrollments", Enrollment),
    ("lesson_progress", LessonProgress),
    ("quiz_attempts", QuizAttempt),
    ("module_results", ModuleResult),
)


@dataclass
class Rows:
    enrollments: list[dict] = field(default_factory=list)
    lesson_progress: list[dict] = field(default_factory=list)
    quiz_attempts: list[dict] = field(default_factory=list)
    module_results: list[dict] = field(default_factory=list)
    attempt_answers: list[dict] = field(default_factory=list)  # keyed by "token" until written

    def count(self) -> int:
        return sum(len(getattr(self, name)) for name, _ in TABLES) + len(self.attempt_answers)

    def write(self) -> None:
        for name, model in TABLES:
            rows = getattr(self, name)
            if rows:
                db.session.execute(_bulk_insert(model), rows)
        if self.attempt_answers:
            ids = _attempt_ids({row["user_id"] for row in self.quiz_attempts})
            for row in self.attempt_answers:
                row["attempt_id"] = ids[row.pop("token")]
            db.session.execute(_bulk_insert(AttemptAnswer), self.attempt_answers)


def _attempt_ids(user_ids: set[int]) -> dict[str, int]:
    """Seeded attempts' ids by token, for these learners (one query per batch of learners)."""
    ids, users, batch = {}, sorted(user_ids), 5000
    for start in range(0, len(users), batch):
        ids.update(
            (token, attempt_id)
            for attempt_id, token in db.session.execute(
                select(QuizAttempt.id, QuizAttempt.token).where(
                    QuizAttempt.user_id.in_(users[start : start + batch]),
                    QuizAttempt.token.like("demo-%"),
                )
            )
        )
    return ids


def _bulk_insert(model):
    """Core insert; JSON lists (an attempt's questions, an answer's choices) arrive as JSON text
    made once (per module, per answer), not encoded per row by the JSON type."""
    stmt = insert(model.__table__)
    json_column = {QuizAttempt: "question_ids", AttemptAnswer: "choice_ids"}.get(model)
    if json_column:
        text = bindparam(f"{json_column}_json", type_=Text())
        on_sqlite = db.session.get_bind().dialect.name == "sqlite"
        stmt = stmt.values({json_column: text if on_sqlite else cast(text, JSON)})
    return stmt


@dataclass(frozen=True)
class AnswerKey:
    """A question's right and wrong choices, how easy it is, and how tempting each wrong one is."""

    right: tuple[int, ...]
    wrong: tuple[int, ...]
    wrong_weights: tuple[float, ...]
    ease: float


def load_answer_keys() -> dict[int, AnswerKey]:
    """Every active question's key, with a stable ease and distractor weights per question."""
    choices: dict[int, list[tuple[int, bool]]] = {}
    for question_id, choice_id, is_correct in db.session.execute(
        select(Choice.question_id, Choice.id, Choice.is_correct)
        .join(Question)
        .where(Question.is_active.is_(True))
        .order_by(Choice.question_id, Choice.position)
    ):
        choices.setdefault(question_id, []).append((choice_id, is_correct))
    keys = {}
    for question_id, rows in choices.items():
        rng = random.Random(question_id * 104729)
        wrong = tuple(cid for cid, ok in rows if not ok)
        # Squared uniforms: most questions have one distractor that draws most wrong answers.
        weights = tuple(0.05 + rng.random() ** 2 for _ in wrong)
        keys[question_id] = AnswerKey(
            tuple(cid for cid, ok in rows if ok), wrong, weights, rng.gauss(0, 0.8)
        )
    return keys


@dataclass
class Learner:
    """The hidden traits the scores are drawn from."""

    user_id: int
    ability: float
    affinity: dict[str, float]
    persistence: float  # chance of going on to the next module after passing one

    @classmethod
    def draw(cls, user_id: int, rng: random.Random) -> Learner:
        return cls(
            user_id,
            rng.gauss(0, 0.8),
            {t: rng.gauss(0, 0.5) for t in TRACKS},
            0.55 + 0.4 * rng.random(),
        )


class HistoryMaker:
    """Enrolments, lessons read, quiz attempts and best results for one learner at a time."""

    def __init__(
        self,
        catalog: list[CourseInfo],
        rng: random.Random,
        now: datetime | None = None,
        keys: dict[int, AnswerKey] | None = None,
    ):
        self.catalog, self.rng, self.now = catalog, rng, now or utcnow()
        self.keys = load_answer_keys() if keys is None else keys
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
            elif enrol_all or rng.random() < 0.45 + 0.3 * sigmoid(
                2 * learner.affinity[course.track]
            ):
                self._course(learner, course, self.now - timedelta(days=rng.uniform(2, 300)), None)

    def _course(self, learner: Learner, course: CourseInfo, at: datetime, a: AssignmentInfo | None):
        rng, rows = self.rng, self.rows
        enrolment = {
            "user_id": learner.user_id,
            "course_id": course.id,
            "source": "assigned" if a else "self",
            "assignment_id": a.id if a else None,
            "enrolled_at": at,
            "due_at": a.due_at if a else None,
            "completed_at": None,
        }
        rows.enrollments.append(enrolment)
        if rng.random() < 0.12:  # enrolled, never started
            return
        for passed, module in enumerate(course.modules, start=1):
            at, ok = self._module(learner, course, module, at)
            if not ok:
                return
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
                self.rows.lesson_progress.append(
                    {"user_id": uid, "lesson_id": lesson_id, "completed_at": at}
                )
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
            token = f"demo-{learner.user_id}-{module.id}-{count}"
            self.rows.quiz_attempts.append(
                {
                    "user_id": learner.user_id,
                    "module_id": module.id,
                    "token": token,
                    "kind": "module",
                    "question_ids_json": module.question_ids_json,
                    "started_at": started,
                    "submitted_at": at,
                    "score": score,
                    "passed": ok,
                }
            )
            self._answers(token, module.question_ids, round(score * n))
            best = max(best, score)
            if ok:
                passed_at = passed_at or at
                break
            if rng.random() < 0.3:  # gave up
                break
        if count:
            self.rows.module_results.append(
                {
                    "user_id": learner.user_id,
                    "module_id": module.id,
                    "best_score": best,
                    "attempts_count": count,
                    "passed_at": passed_at,
                    "updated_at": at,
                }
            )
        return at, passed_at is not None

    def _answers(self, token: str, question_ids, right: int) -> None:
        """``right`` questions answered rightly (the easier ones, with noise), the rest wrongly."""
        rng, keys = self.rng, self.keys
        ease = {q: (keys[q].ease if q in keys else 0.0) + rng.gauss(0, 1) for q in question_ids}
        correct = set(sorted(question_ids, key=ease.__getitem__, reverse=True)[:right])
        for qid in question_ids:
            key = keys.get(qid)
            picks = () if key is None else key.right if qid in correct else self._wrong_picks(key)
            self.rows.attempt_answers.append(
                {
                    "token": token,
                    "question_id": qid,
                    "is_correct": qid in correct,
                    "choice_ids_json": json.dumps(sorted(picks)),
                }
            )

    def _wrong_picks(self, key: AnswerKey) -> tuple[int, ...]:
        """A wrong answer: one distractor by its weight; for several right choices, a right one
        left out and/or a distractor added (never the exact key)."""
        rng = self.rng
        distractor = rng.choices(key.wrong, key.wrong_weights)[0] if key.wrong else None
        if len(key.right) < 2:
            return () if distractor is None else (distractor,)
        kept = list(key.right)
        if distractor is None or rng.random() < 0.5:
            kept.remove(rng.choice(kept))
        if distractor is not None and (len(kept) == len(key.right) or rng.random() < 0.5):
            kept.append(distractor)
        return tuple(kept)


def next_learner_number() -> int:
    """1 + the highest number among seeded learners' employee codes (HVS0000042 → 43)."""
    prefix = data.LEARNER_CODE_PREFIX
    top = db.session.scalar(
        select(func.max(User.employee_code)).where(User.employee_code.like(f"{prefix}%"))
    )
    return int(top[len(prefix) :]) + 1 if top else 1


def count_seeded_learners() -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(
                User.employee_code.like(f"{data.LEARNER_CODE_PREFIX}%")
            )
        )
        or 0
    )


def learner_code(number: int) -> str:
    return f"{data.LEARNER_CODE_PREFIX}{number:07d}"


def unit_pools(units: list[UnitInfo]) -> dict[str, list[UnitInfo]]:
    pools: dict[str, list[UnitInfo]] = {}
    for unit in units:
        pools.setdefault(unit.kind, []).append(unit)
    return pools


def insert_learners(
    first: int, last: int, pools: dict[str, list[UnitInfo]], password_hash: str, rng: random.Random
) -> list[tuple[int, int]]:
    """Users ``first``..``last`` (numbers, inclusive) with the learner role, as (id, unit id)."""
    names, now = data.NameMaker(rng), utcnow()
    rows = []
    for number in range(first, last + 1):
        full_name, stem = names.full_name()
        unit = _pick_unit(pools, rng)
        rows.append(
            {
                "email": f"{stem}.{number:06d}@{data.DEMO_EMAIL_DOMAIN}",
                "employee_code": learner_code(number),
                "full_name": full_name,
                "password_hash": password_hash,
                "unit_id": unit.id,
                "position": data.position_for(unit.kind, unit.name, rng),
                "locale": "vi",
                "is_active": True,
                "session_version": 1,
                "created_at": now,
                "last_login_at": None,
            }
        )
    db.session.execute(insert(User.__table__), rows)
    made = db.session.execute(
        select(User.id, User.unit_id).where(
            User.employee_code.between(learner_code(first), learner_code(last))
        )
    ).all()
    db.session.execute(
        insert(UserRole.__table__), [{"user_id": uid, "role": "learner"} for uid, _ in made]
    )
    return [(uid, unit_id) for uid, unit_id in made]


def _pick_unit(pools: dict[str, list[UnitInfo]], rng: random.Random) -> UnitInfo:
    """Agencies take about 40% of the learners, wards 45%, party cells 15%."""
    roll = rng.random()
    kind = "agency" if roll < 0.4 else "ward" if roll < 0.85 else "cell"
    pool = pools.get(kind) or pools["city"]
    return pool[int(rng.random() * len(pool))]
