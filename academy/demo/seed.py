"""Demo data, part one: the unit tree, the demo accounts, synthetic courses, the catalogue as
plain data, and the unit assignments. Each ``ensure_*`` adds only what is missing and flushes."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from academy.auth.models import Unit, User
from academy.auth.services import create_user
from academy.catalog.models import Choice, Course, CourseAuthor, Lesson, Module, Question
from academy.database import utcnow
from academy.demo import data
from academy.extensions import db
from academy.learning.models import Assignment
from academy.markdown import render_inline, render_markdown

LEVEL_DIFFICULTY = {"basic": -0.3, "intermediate": 0.2, "advanced": 0.6}
EXTRA_SLUG = "chuyen-de-bo-tro-{:02d}"


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    kind: str
    path: str


@dataclass
class UnitTree:
    city: UnitInfo
    agencies: list[UnitInfo]
    wards: list[UnitInfo]
    cells: list[UnitInfo]
    created: int = 0

    @property
    def all(self) -> list[UnitInfo]:
        return [self.city, *self.agencies, *self.wards, *self.cells]


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    lesson_ids: tuple[int, ...]
    question_ids: tuple[int, ...]
    difficulty: float

    @cached_property
    def question_ids_json(self) -> str:
        return json.dumps(list(self.question_ids))


@dataclass(frozen=True)
class CourseInfo:
    id: int
    track: str
    threshold: float
    modules: tuple[ModuleInfo, ...]


@dataclass(frozen=True)
class AssignmentInfo:
    id: int
    course_id: int
    created_at: datetime
    due_at: datetime | None


@dataclass
class Accounts:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (email, roles, status)
    by_local: dict[str, User] = field(default_factory=dict)


def _ensure_level(
    existing: dict[str, Unit], specs: list[tuple[str, str, str, Unit | None]]
) -> list[Unit]:
    """Units (code, name, kind, parent) of one tree level: the missing ones in one flush."""
    fresh = []
    for code, name, kind, parent in specs:
        if code not in existing:
            existing[code] = Unit(
                code=code, name=name, kind=kind, parent_id=parent.id if parent else None
            )
            fresh.append((existing[code], parent))
    db.session.add_all([unit for unit, _ in fresh])
    db.session.flush()
    for unit, parent in fresh:
        unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return [existing[code] for code, *_ in specs]


def ensure_unit_tree() -> UnitTree:
    """The city, its agencies, the 126 wards and communes and two party cells under each ward."""
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    before = len(existing)
    [city] = _ensure_level(existing, [(data.CITY_CODE, data.CITY_NAME, "city", None)])
    agencies = _ensure_level(
        existing, [(f"TP-{code}", name, "agency", city) for code, name in data.AGENCIES]
    )
    wards = _ensure_level(
        existing,
        [(f"PX{i:03d}", name, "ward", city) for i, name in enumerate(data.ward_names(), start=1)],
    )
    cells = _ensure_level(
        existing,
        [
            (f"{ward.code}-CB{c}", f"Chi bộ khu phố {c}", "cell", ward)
            for ward in wards
            for c in range(1, data.CELLS_PER_WARD + 1)
        ],
    )
    db.session.flush()
    info = lambda u: UnitInfo(u.id, u.name, u.kind, u.path)  # noqa: E731
    return UnitTree(
        info(city),
        [info(u) for u in agencies],
        [info(u) for u in wards],
        [info(u) for u in cells],
        created=len(existing) - before,
    )


def ensure_demo_accounts(tree: UnitTree, password_hash: str) -> Accounts:
    """One account per role, all with ``DEMO_PASSWORD`` (given hashed); existing ones stay as is."""
    accounts = Accounts()
    units = {"city": tree.city.id, "ward": tree.wards[0].id, "agency": tree.agencies[0].id}
    for local, name, roles, where, position in data.DEMO_ACCOUNTS:
        email = f"{local}@{data.DEMO_EMAIL_DOMAIN}"
        user = db.session.scalar(select(User).where(User.email == email))
        status = "có sẵn"
        if user is None:
            user = create_user(
                email,
                name,
                None,
                roles=roles,
                unit=db.session.get(Unit, units[where]),
                position=position,
                employee_code=f"DEMO-{local.upper()}",
            )
            user.password_hash = password_hash
            status = "mới tạo"
        accounts.by_local[local] = user
        accounts.rows.append((email, ", ".join(roles), status))
    return accounts


def give_courses_to(instructor: User) -> None:
    """The demo instructor owns every course nobody owns, and co-authors the others."""
    db.session.execute(
        update(Course).where(Course.owner_id.is_(None)).values(owner_id=instructor.id)
    )
    authored = set(
        db.session.scalars(
            select(CourseAuthor.course_id).where(CourseAuthor.user_id == instructor.id)
        )
    )
    for course_id in db.session.scalars(select(Course.id).where(Course.owner_id != instructor.id)):
        if course_id not in authored:
            db.session.add(CourseAuthor(course_id=course_id, user_id=instructor.id))
    db.session.flush()


def ensure_extra_courses(count: int, owner: User) -> int:
    """``count`` synthetic published courses (4 modules × 2 short lessons × 5 questions)."""
    slugs = [EXTRA_SLUG.format(i) for i in range(1, count + 1)]
    existing = set(db.session.scalars(select(Course.slug).where(Course.slug.in_(slugs))))
    made = 0
    for i, slug in enumerate(slugs, start=1):
        if slug in existing:
            continue
        track, topic = data.EXTRA_COURSE_TOPICS[(i - 1) % len(data.EXTRA_COURSE_TOPICS)]
        level = ("basic", "intermediate", "advanced")[(i - 1) % 3]
        course = Course(
            slug=slug,
            title=f"{topic} (chuyên đề {i})",
            summary=f"Chuyên đề bổ trợ: {topic}.",
            track=track,
            level=level,
            hours=4,
            status="published",
            owner_id=owner.id,
            published_at=utcnow(),
            pass_threshold=0.7,
        )
        course.modules = [
            _extra_module(m, topic, render_markdown, render_inline) for m in range(1, 5)
        ]
        db.session.add(course)
        made += 1
    db.session.flush()
    return made


def _extra_module(m: int, topic: str, render_markdown, render_inline) -> Module:
    module = Module(
        position=m,
        slug=f"phan-{m}",
        title=f"Phần {m}: {topic}",
        minutes=30,
        summary=f"Phần {m} của chuyên đề.",
    )
    for k in (1, 2):
        body = f"## Ý chính {k}\n\nNội dung ngắn của phần {m} về *{topic.lower()}*."
        module.lessons.append(
            Lesson(
                position=k,
                slug=f"bai-{k}",
                title=f"Bài {k}",
                body_md=body,
                body_html=render_markdown(body),
            )
        )
    for q in range(1, 6):
        prompt = f"Câu {q}: nhận định nào đúng về phần {m}?"
        question = Question(
            position=q,
            kind="single",
            prompt_md=prompt,
            prompt_html=render_inline(prompt),
            explanation_md="Xem lại bài học.",
            explanation_html=render_markdown("Xem lại bài học."),
        )
        question.choices = [
            Choice(position=c, text=f"Phương án {'ABCD'[c - 1]}", is_correct=(c == q % 4 + 1))
            for c in range(1, 5)
        ]
        module.questions.append(question)
    return module


def module_difficulty(module_id: int, level: str, position: int) -> float:
    """A fixed difficulty per module: course level, later modules harder, plus a stable jitter."""
    jitter = random.Random(module_id * 7919).gauss(0, 0.35)
    return LEVEL_DIFFICULTY.get(level, 0.0) + 0.12 * (position - 1) + jitter


def load_catalog() -> list[CourseInfo]:
    """Every published course with modules, as plain data (no ORM objects reach the row loop)."""
    courses = db.session.execute(
        select(Course.id, Course.track, Course.level, Course.pass_threshold)
        .where(Course.status == "published")
        .order_by(Course.id)
    ).all()
    modules = db.session.execute(
        select(Module.id, Module.course_id, Module.position).order_by(
            Module.course_id, Module.position
        )
    ).all()
    lessons, questions = {}, {}
    for lesson_id, module_id in db.session.execute(
        select(Lesson.id, Lesson.module_id).order_by(Lesson.position)
    ):
        lessons.setdefault(module_id, []).append(lesson_id)
    for qid, module_id in db.session.execute(
        select(Question.id, Question.module_id)
        .where(Question.is_active.is_(True))
        .order_by(Question.position)
    ):
        questions.setdefault(module_id, []).append(qid)
    catalog = []
    for course_id, track, level, threshold in courses:
        infos = tuple(
            ModuleInfo(
                mid,
                tuple(lessons.get(mid, ())),
                tuple(questions.get(mid, ())),
                module_difficulty(mid, level, pos),
            )
            for mid, cid, pos in modules
            if cid == course_id
        )
        if infos:
            catalog.append(CourseInfo(course_id, track, threshold or 0.7, infos))
    return catalog


def ensure_assignments(tree: UnitTree, catalog: list[CourseInfo], hr: User, seed: int) -> int:
    """Mandatory courses for about 40% of wards and a few agencies, with due dates, some passed."""
    if not catalog or db.session.scalar(
        select(Assignment.id).where(Assignment.assigned_by_id == hr.id)
    ):
        return 0
    rng, now = random.Random(seed + 17), utcnow()
    targets = [w for w in tree.wards if rng.random() < 0.4] + rng.sample(tree.agencies, 6)
    for unit in targets:
        course = rng.choice(catalog)
        created = now - timedelta(days=rng.uniform(40, 200))
        due = created + timedelta(days=rng.uniform(30, 150))
        db.session.add(
            Assignment(
                course_id=course.id,
                unit_id=unit.id,
                created_at=created,
                due_at=due,
                assigned_by_id=hr.id,
            )
        )
    db.session.flush()
    return len(targets)


def assignments_by_unit(tree: UnitTree) -> dict[int, list[AssignmentInfo]]:
    """For every unit, the assignments that reach it (its own and its ancestors')."""
    own: dict[int, list[AssignmentInfo]] = {}
    for a in db.session.scalars(select(Assignment)):
        own.setdefault(a.unit_id, []).append(
            AssignmentInfo(a.id, a.course_id, a.created_at, a.due_at)
        )
    reach = {}
    for unit in tree.all:
        ids = [int(part) for part in unit.path.strip("/").split("/")]
        reach[unit.id] = [info for uid in ids for info in own.get(uid, ())]
    return reach


def shared_password_hash() -> str:
    """One hash of DEMO_PASSWORD for every seeded account: hashing 100,000 passwords (scrypt,
    ~0.1 s each) would take hours. Seeded accounts are for demos and benchmarks only."""
    return generate_password_hash(data.DEMO_PASSWORD)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
