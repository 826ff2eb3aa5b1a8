"""A per-process snapshot of what the path needs from the catalogue: published modules, their
prerequisites and how hard learners find them. Refreshed every ``PATH_CATALOGUE_SECONDS``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from academy.catalog.models import Course, Module, ModulePrerequisite
from academy.catalog.stamps import catalogue_stamp
from academy.database import db
from academy.learning.models import ModuleResult
from academy.paths.models import RecommenderModel

LEVEL_PRIOR = {"basic": 0.8, "intermediate": 0.65, "advanced": 0.55}


@dataclass(frozen=True)
class CourseInfo:
    id: int
    slug: str
    title: str
    track: str
    level: str
    pass_threshold: float


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    course_id: int
    position: int
    slug: str
    title: str


@dataclass
class Catalogue:
    courses: dict[int, CourseInfo] = field(default_factory=dict)
    modules: dict[int, ModuleInfo] = field(default_factory=dict)
    prerequisites: dict[int, list[int]] = field(default_factory=dict)
    difficulty: dict[int, tuple[float, int]] = field(
        default_factory=dict
    )  # mean best score, learners

    def course_modules(self, course_id: int) -> list[int]:
        return sorted(
            (m.id for m in self.modules.values() if m.course_id == course_id),
            key=lambda mid: self.modules[mid].position,
        )

    def expected_score(self, module_id: int) -> float:
        """What a learner scores here on average; the course level's prior if too few did it."""
        mean, count = self.difficulty.get(module_id, (0.0, 0))
        if count >= 3:
            return mean
        course = self.courses[self.modules[module_id].course_id]
        return LEVEL_PRIOR.get(course.level, 0.7)


def get_catalogue() -> Catalogue:
    cache = current_app.extensions.setdefault(
        "path_catalogue", {"at": float("-inf"), "value": None, "stamp": None}
    )
    stamp = catalogue_stamp()  # a publish or an edit is seen at once; difficulties age out
    old = time.monotonic() - cache["at"] >= current_app.config["PATH_CATALOGUE_SECONDS"]
    if old or stamp != cache["stamp"]:
        cache["value"], cache["at"], cache["stamp"] = _load(), time.monotonic(), stamp
    return cache["value"]


def _load() -> Catalogue:
    cat = Catalogue()
    for c in db.session.scalars(select(Course).where(Course.status == "published")):
        cat.courses[c.id] = CourseInfo(c.id, c.slug, c.title, c.track, c.level, c.pass_threshold)
    rows = db.session.execute(
        select(Module.id, Module.course_id, Module.position, Module.slug, Module.title).where(
            Module.course_id.in_(list(cat.courses) or [0])
        )
    )
    for row in rows:
        cat.modules[row.id] = ModuleInfo(row.id, row.course_id, row.position, row.slug, row.title)
    for module_id, required_id in db.session.execute(
        select(ModulePrerequisite.module_id, ModulePrerequisite.required_module_id)
    ):
        if module_id in cat.modules and required_id in cat.modules:
            cat.prerequisites.setdefault(module_id, []).append(required_id)
    cat.difficulty = _difficulty()
    return cat


def _difficulty() -> dict[int, tuple[float, int]]:
    """Mean best score and learner count per module: from the current model's training data when
    there is one (recorded at training time), otherwise from the results table (a young install)."""
    recorded = db.session.scalar(
        select(RecommenderModel.module_stats)
        .where(RecommenderModel.is_current)
        .order_by(RecommenderModel.id.desc())
        .limit(1)
    )
    if recorded:
        return {int(mid): (float(mean), int(n)) for mid, (mean, n) in recorded.items()}
    stats = db.session.execute(
        select(ModuleResult.module_id, func.avg(ModuleResult.best_score), func.count()).group_by(
            ModuleResult.module_id
        )
    )
    return {mid: (float(avg or 0.0), int(n)) for mid, avg, n in stats}
