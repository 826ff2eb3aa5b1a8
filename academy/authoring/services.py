"""Authoring writes: courses, modules, lessons, their order, and who may co-author.

Services flush, never commit; every change is audited with record_audit(). Content of a published
course is never edited here directly: views pass the draft copy (see drafts.py).
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from academy.auth.access import is_admin
from academy.auth.models import User
from academy.catalog.models import Course, CourseAuthor, Lesson, LessonRevision, Module
from academy.core.audit import record_audit
from academy.coursefiles.coursedata import DRAFT_SUFFIX
from academy.coursefiles.prerequisites import cyclic_module_ids
from academy.coursefiles.sync import content_hash
from academy.extensions import db
from academy.markdown import render_markdown

COURSE_FIELDS = (
    "title",
    "summary",
    "description_md",
    "track",
    "level",
    "hours",
    "pass_threshold",
    "review_policy",
    "attempt_wait_minutes",
)
MODULE_FIELDS = ("title", "summary", "intro_md", "minutes")
# Empty means something here (every question, no time limit), so None is written too.
MODULE_QUIZ_FIELDS = ("quiz_draw", "quiz_time_limit")


def slugify(text: str, fallback: str = "muc") -> str:
    """ASCII slug from a Vietnamese title: "Quản lý đô thị" → "quan-ly-do-thi"."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")
    return slug or fallback


def editable_courses(user) -> list[Course]:
    """Live courses (never draft copies) the user owns or co-authors; all of them for admins."""
    query = (
        select(Course)
        .where(Course.draft_of_id.is_(None))
        .order_by(Course.title)
        .options(selectinload(Course.draft))
    )  # the list shows each course's draft: one query for all
    if not is_admin(user):
        coauthored = select(CourseAuthor.course_id).where(CourseAuthor.user_id == user.id)
        query = query.where(or_(Course.owner_id == user.id, Course.id.in_(coauthored)))
    return list(db.session.scalars(query))


def _unique_slug(base: str, taken) -> str:
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}"[:120], n + 1
    return slug


def _course_fields(fields) -> dict:
    """An empty wait means no wait."""
    if "attempt_wait_minutes" in fields:
        fields = {**fields, "attempt_wait_minutes": fields["attempt_wait_minutes"] or 0}
    return fields


def create_course(owner: User, **fields) -> Course:
    """A new course starts as a draft owned by its creator."""
    base = slugify(fields.get("slug") or fields["title"], "khoa-hoc").removesuffix(DRAFT_SUFFIX)
    slug = _unique_slug(
        base, lambda s: db.session.scalar(select(Course.id).where(Course.slug == s))
    )
    course = Course(slug=slug, owner_id=owner.id, status="draft", version=1)
    _assign(course, COURSE_FIELDS, _course_fields(fields))
    course.description_html = render_markdown(course.description_md)
    db.session.add(course)
    db.session.flush()
    record_audit("authoring.course.create", f"course:{course.id}", {"slug": slug}, actor=owner)
    return course


def update_course(course: Course, actor: User, **fields) -> Course:
    _assign(course, COURSE_FIELDS, _course_fields(fields))
    course.description_html = render_markdown(course.description_md)
    db.session.flush()
    record_audit(
        "authoring.course.update", f"course:{course.id}", {"slug": course.slug}, actor=actor
    )
    return course


def _assign(obj, names, fields) -> None:
    for name in names:
        if name in fields and fields[name] is not None:
            setattr(obj, name, fields[name])


def _assign_quiz_settings(module: Module, fields) -> None:
    for name in MODULE_QUIZ_FIELDS:
        if name in fields:
            setattr(module, name, fields[name] or None)


def create_module(course: Course, actor: User, **fields) -> Module:
    base = slugify(fields.get("slug") or fields["title"], "mo-dun")
    slugs = {m.slug for m in course.modules}
    module = Module(slug=_unique_slug(base, slugs.__contains__), position=len(course.modules) + 1)
    _assign(module, MODULE_FIELDS, fields)
    _assign_quiz_settings(module, fields)
    module.intro_html = render_markdown(module.intro_md or "")
    course.modules.append(module)
    db.session.flush()
    record_audit(
        "authoring.module.create", f"module:{module.id}", {"course": course.slug}, actor=actor
    )
    return module


def update_module(module: Module, actor: User, **fields) -> Module:
    _assign(module, MODULE_FIELDS, fields)
    _assign_quiz_settings(module, fields)
    module.intro_html = render_markdown(module.intro_md or "")
    db.session.flush()
    record_audit(
        "authoring.module.update", f"module:{module.id}", {"title": module.title}, actor=actor
    )
    return module


class PrerequisiteCycle(ValueError):
    """The chosen prerequisites would make a module require itself."""


def prerequisite_groups(
    course: Course, module: Module | None = None
) -> list[tuple[str, list[tuple[int, str]]]]:
    """What a module of ``course`` may require, grouped by course: the course's own other modules,
    then the modules of published courses; modules already required stay offered."""
    own = [
        (m.id, f"{m.position:02d}. {m.title}")
        for m in course.modules
        if module is None or m.id != module.id
    ]
    groups = [(course.title, own)] if own else []
    current = {m.id for m in module.prerequisites} if module is not None else set()
    others = db.session.scalars(
        select(Module)
        .join(Course)
        .where(
            Course.id != course.id,
            or_(
                Module.id.in_(current) if current else False,
                (Course.status == "published") & Course.draft_of_id.is_(None),
            ),
        )
        .order_by(Course.title, Course.id, Module.position)
    )
    by_course: dict[int, tuple[str, list]] = {}
    for other in others:
        by_course.setdefault(other.course_id, (other.course.title, []))[1].append(
            (other.id, f"{other.position:02d}. {other.title}")
        )
    return groups + list(by_course.values())


def set_prerequisites(module: Module, actor: User, module_ids) -> None:
    """Require these modules before ``module``. Raises PrerequisiteCycle (the caller rolls back)."""
    wanted = sorted(set(module_ids or ()))
    if wanted == sorted(m.id for m in module.prerequisites):
        return
    module.prerequisites = (
        list(db.session.scalars(select(Module).where(Module.id.in_(wanted)))) if wanted else []
    )
    db.session.flush()
    if module.id in cyclic_module_ids():
        raise PrerequisiteCycle(module.slug)
    record_audit(
        "authoring.module.prerequisites",
        f"module:{module.id}",
        {"requires": [f"{m.course.slug}/{m.slug}" for m in module.prerequisites]},
        actor=actor,
    )


def delete_module(module: Module, actor: User) -> None:
    _delete_positioned(module.course.modules, module, actor)


def create_lesson(module: Module, actor: User, title: str, body_md: str = "") -> Lesson:
    slugs = {lesson.slug for lesson in module.lessons}
    lesson = Lesson(
        slug=_unique_slug(slugify(title, "bai-hoc"), slugs.__contains__),
        position=len(module.lessons) + 1,
        title=title,
        body_md="",
        body_html="",
    )
    module.lessons.append(lesson)
    db.session.flush()
    save_lesson(lesson, actor, title, body_md, force=True)
    record_audit(
        "authoring.lesson.create", f"lesson:{lesson.id}", {"module": module.slug}, actor=actor
    )
    return lesson


def save_lesson(
    lesson: Lesson,
    actor: User,
    title: str,
    body_md: str,
    force: bool = False,
    restored_from: int | None = None,
) -> LessonRevision | None:
    """Save a lesson: render its HTML once and record a revision (who, when).

    An unchanged save records nothing and returns None.
    """
    body_md = (body_md or "").replace("\r\n", "\n")
    if not force and lesson.title == title and lesson.body_md == body_md:
        return None
    lesson.title, lesson.body_md = title, body_md
    lesson.body_html = render_markdown(body_md)
    lesson.content_hash = content_hash(body_md)
    number = (
        db.session.scalar(
            select(func.max(LessonRevision.number)).where(LessonRevision.lesson_id == lesson.id)
        )
        or 0
    ) + 1
    revision = LessonRevision(
        lesson_id=lesson.id, number=number, title=title, body_md=body_md, author_id=actor.id
    )
    db.session.add(revision)
    db.session.flush()
    detail = {"revision": number}
    if restored_from is not None:
        detail["restored_from"] = restored_from
    record_audit("authoring.lesson.save", f"lesson:{lesson.id}", detail, actor=actor)
    return revision


def delete_lesson(lesson: Lesson, actor: User) -> None:
    _delete_positioned(lesson.module.lessons, lesson, actor)


def _delete_positioned(siblings: list, item, actor: User) -> None:
    """Audit, remove ``item`` (delete-orphan deletes the row) and close the gap in the positions."""
    kind = type(item).__name__.lower()
    record_audit(f"authoring.{kind}.delete", f"{kind}:{item.id}", {"slug": item.slug}, actor=actor)
    siblings.remove(item)
    _renumber(siblings)
    db.session.flush()


def move_item(items: list, item, step: int, actor: User) -> bool:
    """Swap ``item`` with its neighbour ``step`` (-1 up, +1 down) in a positioned list."""
    ordered = sorted(items, key=lambda x: x.position)
    index = ordered.index(item)
    other = index + step
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, entry in enumerate(ordered, start=1):
        entry.position = position
    db.session.flush()
    record_audit(
        f"authoring.{type(item).__name__.lower()}.move",
        f"{type(item).__name__.lower()}:{item.id}",
        {"position": item.position},
        actor=actor,
    )
    return True


def _renumber(items) -> None:
    for position, item in enumerate(sorted(items, key=lambda x: x.position), start=1):
        item.position = position


def coauthors(course: Course) -> list[User]:
    query = (
        select(User)
        .join(CourseAuthor, CourseAuthor.user_id == User.id)
        .where(CourseAuthor.course_id == course.id)
        .order_by(User.full_name)
    )
    return list(db.session.scalars(query))


def add_coauthor(course: Course, email: str, actor: User) -> User | None:
    """Make an instructor a co-author; None when no active instructor has that email."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or not user.has_role("instructor"):
        return None
    if user.id != course.owner_id and db.session.get(CourseAuthor, (course.id, user.id)) is None:
        db.session.add(CourseAuthor(course_id=course.id, user_id=user.id))
        db.session.flush()
        record_audit(
            "authoring.coauthor.add", f"course:{course.id}", {"user": user.id}, actor=actor
        )
    return user


def remove_coauthor(course: Course, user_id: int, actor: User) -> bool:
    row = db.session.get(CourseAuthor, (course.id, user_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    record_audit("authoring.coauthor.remove", f"course:{course.id}", {"user": user_id}, actor=actor)
    return True
