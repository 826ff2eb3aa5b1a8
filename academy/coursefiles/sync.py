"""Merge plain ``CourseData`` into the database (and read it back out).

``apply_course`` creates or updates a course by slug, its modules and lessons by slug, renders
Markdown once (sanitised), keeps a ``LessonRevision`` of every new or changed lesson and keeps
answered quiz questions intact (see ``sync_questions``). It only flushes: the caller commits on
success and rolls back on ``ContentError``.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import exists, select

from academy.catalog.models import Course, Lesson, LessonRevision, Module, ModulePrerequisite
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import CourseData, LessonData, ModuleData
from academy.coursefiles.errors import ContentError, ErrorList, _
from academy.coursefiles.prerequisites import link_prerequisites
from academy.coursefiles.sync_questions import question_to_data, sync_questions
from academy.database import utcnow
from academy.extensions import db
from academy.learning.models import LessonProgress, ModuleResult, QuizAttempt
from academy.markdown import render_markdown

__all__ = [
    "ChangeReport",
    "ContentError",
    "apply_course",
    "content_hash",
    "course_to_data",
    "finish_courses",
]

COURSE_FIELDS = (
    "title",
    "summary",
    "track",
    "level",
    "hours",
    "pass_threshold",
    "review_policy",
    "attempt_wait_minutes",
    "description_md",
)
MODULE_FIELDS = (
    "position",
    "title",
    "summary",
    "minutes",
    "quiz_draw",
    "quiz_time_limit",
    "intro_md",
)


def content_hash(body_md: str) -> str:
    """The SHA-256 of a lesson body, kept beside it (``Lesson.content_hash``)."""
    return hashlib.sha256((body_md or "").encode("utf-8")).hexdigest()


def apply_course(data: CourseData, *, actor=None, with_prerequisites: bool = True) -> ChangeReport:
    """Create or update the course ``data.slug`` so it matches ``data``; return what changed.

    Prerequisites are linked too unless ``with_prerequisites`` is False (an import of several
    courses links them once all courses exist). Raises ``ContentErrors`` for changes that would
    destroy learner results; the caller must then roll back.
    """
    course = db.session.scalar(select(Course).where(Course.slug == data.slug))
    report = ChangeReport(slug=data.slug, created=course is None)
    if course is None:
        course = Course(slug=data.slug, owner=actor, version=1)
        db.session.add(course)
    _check_removals(course, data)
    _apply_course_fields(course, data, report)
    existing = {m.slug: m for m in course.modules}
    for module_data in data.modules:
        module = existing.pop(module_data.slug, None)
        _apply_module(course, module, module_data, report, actor)
    for module in existing.values():
        course.modules.remove(module)
        report.remove(_("Học phần %(m)s", m=module.slug))
    db.session.flush()
    if with_prerequisites:
        finish_courses([(data, report)])
    return report


def finish_courses(items: list[tuple[CourseData, ChangeReport]]) -> None:
    """After ``apply_course(..., with_prerequisites=False)`` of every course of an import: link
    prerequisites (raises ``ContentErrors``) and bump the version of each changed course (not of a
    draft copy: its version says which live version it was made from, see
    ``academy.authoring.drafts.stale_draft``)."""
    link_prerequisites(items)
    for data, report in items:
        if report.has_changes and not report.created:
            course = db.session.scalar(select(Course).where(Course.slug == data.slug))
            if course.draft_of_id is None:  # a draft copy keeps the live version it was made from
                course.version = (course.version or 1) + 1
    db.session.flush()


def _apply_course_fields(course: Course, data: CourseData, report: ChangeReport) -> None:
    changed = _assign(course, data, COURSE_FIELDS)
    if "description_md" in changed or course.description_html is None:
        course.description_html = render_markdown(data.description_md)
    status = data.status or ("published" if report.created else course.status)
    if status != course.status:
        changed.append("status")
        course.status = status
    if status == "published" and course.published_at is None:
        course.published_at = utcnow()
    if changed:
        report.change(_("Khoá học: cập nhật %(fields)s", fields=", ".join(changed)))


def _apply_module(
    course: Course, module: Module | None, data: ModuleData, report: ChangeReport, actor
) -> None:
    label = data.slug
    if module is None:
        module = Module(slug=data.slug, title=data.title)
        course.modules.append(module)
        report.add(_("Học phần %(m)s", m=label), "module")
    changed = _assign(module, data, MODULE_FIELDS)
    if "intro_md" in changed or not module.intro_html:
        module.intro_html = render_markdown(data.intro_md)
    if changed and module.id is not None:
        report.change(_("Học phần %(m)s: cập nhật %(fields)s", m=label, fields=", ".join(changed)))
    _sync_lessons(module, data.lessons, report, label, actor)
    sync_questions(module, data.questions, report, label)


def _sync_lessons(
    module: Module, wanted: list[LessonData], report: ChangeReport, label: str, actor
) -> None:
    existing = {lesson.slug: lesson for lesson in module.lessons}
    for data in wanted:
        lesson = existing.pop(data.slug, None)
        name = f"{label}/{data.slug}"
        if lesson is None:
            lesson = Lesson(slug=data.slug, position=data.position, title=data.title)
            module.lessons.append(lesson)
            report.add(_("Bài học %(l)s", l=name), "lesson")
        elif lesson.position != data.position:
            lesson.position = data.position
            report.change(_("Bài học %(l)s: đổi vị trí", l=name))
        if _apply_lesson_body(lesson, data, actor) and lesson.id is not None:
            report.change(_("Bài học %(l)s: cập nhật nội dung", l=name))
    for lesson in existing.values():
        module.lessons.remove(lesson)
        report.remove(_("Bài học %(l)s", l=f"{label}/{lesson.slug}"))


def _apply_lesson_body(lesson: Lesson, data: LessonData, actor) -> bool:
    """Render once and keep a revision when the title or body changed. True if it did."""
    # The file format drops blank lines around a body: "text\n" saved in the browser and "text"
    # read back from its export are the same lesson, not a new revision.
    same_body = (lesson.body_md or "").strip("\n") == (data.body_md or "").strip("\n")
    if lesson.id is not None and lesson.title == data.title and same_body:
        return False
    if lesson.body_md != data.body_md or not lesson.body_html:
        lesson.body_md = data.body_md
        lesson.body_html = render_markdown(data.body_md)
        lesson.content_hash = content_hash(data.body_md)
    lesson.title = data.title
    number = max((r.number for r in lesson.revisions), default=0) + 1
    lesson.revisions.append(
        LessonRevision(number=number, title=data.title, body_md=data.body_md, author=actor)
    )
    return True


def _assign(obj, data, names) -> list[str]:
    changed = []
    for name in names:
        value = getattr(data, name)
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _check_removals(course: Course, data: CourseData) -> None:
    """Refuse to delete a module that learners have studied or another course requires."""
    if course.id is None:
        return
    keep = {m.slug for m in data.modules}
    errors = ErrorList()
    where = f"{data.source or data.slug}/course.md"
    for module in course.modules:
        if module.slug in keep:
            continue
        if _has_learner_activity(module):
            errors.add(
                where,
                1,
                _(
                    "Học phần “%(m)s” không còn trong nội dung nhưng đã có học viên học hoặc làm "
                    "bài; không thể xoá. Hãy giữ lại thư mục học phần này.",
                    m=module.slug,
                ),
            )
        for other in _dependants_outside(module, course):
            errors.add(
                where,
                1,
                _(
                    "Học phần “%(m)s” không còn trong nội dung nhưng là điều kiện tiên quyết của "
                    "%(other)s; hãy sửa khoá học đó trước.",
                    m=module.slug,
                    other=other,
                ),
            )
    errors.raise_if_any()


def _has_learner_activity(module: Module) -> bool:
    lesson_ids = [lesson.id for lesson in module.lessons]
    checks = [
        exists().where(QuizAttempt.module_id == module.id),
        exists().where(ModuleResult.module_id == module.id),
    ]
    if lesson_ids:
        checks.append(exists().where(LessonProgress.lesson_id.in_(lesson_ids)))
    return any(db.session.scalar(select(check)) for check in checks)


def _dependants_outside(module: Module, course: Course) -> list[str]:
    query = (
        select(Course.slug, Module.slug)
        .join(Module, Module.course_id == Course.id)
        .join(ModulePrerequisite, ModulePrerequisite.module_id == Module.id)
        .where(
            ModulePrerequisite.required_module_id == module.id,
            Course.id != course.id,
            # a draft copy of this course is replaced by it on publish
            (Course.draft_of_id.is_(None)) | (Course.draft_of_id != course.id),
        )
    )
    return [f"{c}/{m}" for c, m in db.session.execute(query)]


def course_to_data(course: Course) -> CourseData:
    """The course as plain data (active questions only), ready for ``write_course_dir``."""
    return CourseData(
        slug=course.slug,
        title=course.title,
        summary=course.summary or "",
        track=course.track,
        level=course.level,
        hours=course.hours,
        pass_threshold=course.pass_threshold,
        review_policy=course.review_policy or "settled",
        attempt_wait_minutes=course.attempt_wait_minutes or 0,
        status=course.status,
        description_md=course.description_md or "",
        modules=[_module_to_data(m) for m in course.modules],
    )


def _module_to_data(module: Module) -> ModuleData:
    required = sorted(module.prerequisites, key=lambda m: (m.position, m.course.slug, m.slug))
    return ModuleData(
        slug=module.slug,
        position=module.position,
        title=module.title,
        summary=module.summary or "",
        minutes=module.minutes,
        quiz_draw=module.quiz_draw,
        quiz_time_limit=module.quiz_time_limit,
        prerequisites=[f"{m.course.slug}/{m.slug}" for m in required],
        intro_md=module.intro_md or "",
        lessons=[
            LessonData(
                slug=lesson.slug,
                position=lesson.position,
                title=lesson.title,
                body_md=lesson.body_md or "",
            )
            for lesson in module.lessons
        ],
        questions=[
            question_to_data(q)
            for q in sorted(module.active_questions, key=lambda q: (q.position, q.id))
        ],
    )
