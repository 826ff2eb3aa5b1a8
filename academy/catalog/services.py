"""Read side of the catalogue: finding published courses and loading one course to show."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from academy.cache import local_cache, remembered
from academy.catalog.models import Course, Lesson, Module
from academy.catalog.stamps import catalogue_stamp, course_stamp
from academy.core.pagination import Page, clamp_page
from academy.database import db

PER_PAGE = 12


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, so "Dữ liệu" matches "du lieu"."""
    decomposed = unicodedata.normalize("NFD", (text or "").casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find_courses(
    *, query: str = "", track: str = "", level: str = "", page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Published courses matching the filters, by title.

    Text search runs over title and summary in Python, case- and accent-insensitively: the
    catalogue holds tens of courses, so fetching their titles is cheaper than a search index.
    """
    stmt = select(Course.id, Course.title, Course.summary).where(Course.status == "published")
    if track:
        stmt = stmt.where(Course.track == track)
    if level:
        stmt = stmt.where(Course.level == level)
    rows = db.session.execute(stmt.order_by(Course.title, Course.id)).all()
    needle = fold(query).strip()
    if needle:
        words = needle.split()
        rows = [r for r in rows if all(w in fold(f"{r.title} {r.summary}") for w in words)]
    page = clamp_page(page, len(rows), per_page)
    ids = [r.id for r in rows[(page - 1) * per_page : page * per_page]]
    by_id = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))}
    return Page(items=[by_id[i] for i in ids], page=page, per_page=per_page, total=len(rows))


@dataclass(frozen=True)
class CourseCard:
    """What the catalogue shows of a course, as plain data (kept between requests)."""

    id: int
    slug: str
    title: str
    summary: str
    track: str
    level: str
    hours: int
    stamp: str  # the course's version, for its cached card
    lessons_total: int
    modules_total: int


def catalogue_page(*, query: str = "", track: str = "", level: str = "", page: int = 1) -> Page:
    """``find_courses`` as cards with their lesson and module counts, kept per filter and page
    until the catalogue changes (a publish, an edit: ``catalogue_stamp``)."""
    key = f"catalogue:{catalogue_stamp()}:{query!r}:{track}:{level}:{page}"
    return remembered(
        local_cache,
        key,
        lambda: _cards(find_courses(query=query, track=track, level=level, page=page)),
    )


def _cards(found: Page) -> Page:
    ids = [c.id for c in found.items]
    lessons = dict(
        db.session.execute(
            select(Module.course_id, func.count(Lesson.id))
            .join(Lesson.module)
            .where(Module.course_id.in_(ids))
            .group_by(Module.course_id)
        ).all()
    )
    modules = dict(
        db.session.execute(
            select(Module.course_id, func.count(Module.id))
            .where(Module.course_id.in_(ids))
            .group_by(Module.course_id)
        ).all()
    )
    cards = [
        CourseCard(
            c.id,
            c.slug,
            c.title,
            c.summary,
            c.track,
            c.level,
            c.hours,
            course_stamp(c),
            lessons.get(c.id, 0),
            modules.get(c.id, 0),
        )
        for c in found.items
    ]
    return Page(items=cards, page=found.page, per_page=found.per_page, total=found.total)


def course_choices(blank=None, *, blank_value=None, published_only: bool = False) -> list[tuple]:
    """(id, title) of the courses a form may pick, by title: published and archived ones, or only
    published ones; never drafts. Led by ``(blank_value, blank)`` when ``blank`` is given."""
    statuses = ("published",) if published_only else ("published", "archived")
    courses = db.session.execute(
        select(Course.id, Course.title)
        .where(Course.status.in_(statuses))
        .order_by(Course.title, Course.id)
    ).all()
    choices = [(blank_value, blank)] if blank is not None else []
    return choices + [(c.id, c.title) for c in courses]


def get_course(slug: str) -> Course | None:
    """A course with its modules, lessons and prerequisites loaded for the course page."""
    outline = (Lesson.id, Lesson.module_id, Lesson.position, Lesson.slug, Lesson.title)
    modules = selectinload(Course.modules)
    prerequisites = modules.selectinload(Module.prerequisites)
    return db.session.scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(
            modules.selectinload(Module.lessons).load_only(*outline),
            prerequisites.selectinload(Module.course),
            prerequisites.selectinload(Module.lessons).load_only(*outline),
        )
    )


def get_lesson(course: Course, module_slug: str, lesson_slug: str) -> Lesson | None:
    """The lesson, with its module loaded by the same query."""
    return db.session.scalar(
        select(Lesson)
        .join(Lesson.module)
        .where(
            Module.course_id == course.id, Module.slug == module_slug, Lesson.slug == lesson_slug
        )
        .options(contains_eager(Lesson.module))
    )


def get_module(course: Course, module_slug: str) -> Module | None:
    return db.session.scalar(
        select(Module).where(Module.course_id == course.id, Module.slug == module_slug)
    )
