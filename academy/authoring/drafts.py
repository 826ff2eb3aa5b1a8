"""Draft and publish.

A new course is a draft until first published. A published course is never edited in place: the
first edit copies it into a *draft copy* (a Course row with ``draft_of_id`` → the live course,
status "draft", slug "<slug>--draft", never listed to learners). Publishing merges the copy into the
live course with ``sync.apply_course`` (lessons get a revision each; answered questions are
retired and replaced, never edited, so a learner mid-quiz is graded on what they were shown),
bumps the version and deletes the copy — all in the caller's one transaction.
"""

from __future__ import annotations

from flask_babel import gettext as _

from academy.catalog.models import Choice, Course, Lesson, LessonRevision, Module, Question
from academy.core.audit import record_audit
from academy.coursefiles import sync
from academy.coursefiles.coursedata import DRAFT_SUFFIX
from academy.coursefiles.errors import ContentError
from academy.coursefiles.sync_questions import question_to_data
from academy.database import utcnow
from academy.errors import NotFound
from academy.extensions import db

COPIED_COURSE_FIELDS = (
    "title",
    "summary",
    "description_md",
    "description_html",
    "track",
    "level",
    "hours",
    "pass_threshold",
    "review_policy",
    "attempt_wait_minutes",
    "owner_id",
)
COPIED_MODULE_FIELDS = (
    "position",
    "slug",
    "title",
    "summary",
    "intro_md",
    "intro_html",
    "minutes",
    "quiz_draw",
    "quiz_time_limit",
)
COPIED_QUESTION_FIELDS = (
    "position",
    "kind",
    "prompt_md",
    "prompt_html",
    "explanation_md",
    "explanation_html",
)


class PublishError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def draft_for_editing(course: Course, actor) -> Course:
    """The course whose content an edit should change: itself if a draft, else its draft copy
    (created now, copying the live content and each lesson's history, if there is none yet)."""
    if course.status == "draft":
        return course
    if course.draft is not None:
        return course.draft
    with db.session.no_autoflush:
        draft = Course(slug=course.slug + DRAFT_SUFFIX, status="draft", version=course.version)
        for name in COPIED_COURSE_FIELDS:
            setattr(draft, name, getattr(course, name))
        db.session.add(draft)
        draft.draft_of = course
        draft.modules = [_copy_module(module) for module in course.modules]
    db.session.flush()
    for old, new in zip(course.modules, draft.modules, strict=True):
        new.prerequisites = list(old.prerequisites)
    db.session.flush()
    record_audit("authoring.draft.create", f"course:{course.id}", {"draft": draft.id}, actor=actor)
    return draft


def _copy_module(module: Module) -> Module:
    copy = Module(**{name: getattr(module, name) for name in COPIED_MODULE_FIELDS})
    copy.lessons = [_copy_lesson(lesson) for lesson in module.lessons]
    copy.questions = [_copy_question(q) for q in module.questions if q.is_active]
    return copy


def _copy_lesson(lesson: Lesson) -> Lesson:
    copy = Lesson(
        position=lesson.position,
        slug=lesson.slug,
        title=lesson.title,
        body_md=lesson.body_md,
        body_html=lesson.body_html,
        content_hash=lesson.content_hash,
    )
    copy.revisions = [
        LessonRevision(
            number=r.number,
            title=r.title,
            body_md=r.body_md,
            author_id=r.author_id,
            created_at=r.created_at,
        )
        for r in lesson.revisions
    ]
    return copy


def _copy_question(question: Question) -> Question:
    copy = Question(**{name: getattr(question, name) for name in COPIED_QUESTION_FIELDS})
    copy.choices = [
        Choice(position=c.position, text=c.text, is_correct=c.is_correct, is_pinned=c.is_pinned)
        for c in question.choices
    ]
    return copy


def draft_lesson_for(lesson: Lesson, actor) -> Lesson:
    """The lesson in the draft that an edit of ``lesson`` should change (``NotFound`` if the draft
    dropped it)."""
    course = lesson.module.course
    draft = draft_for_editing(course, actor)
    if draft is course:
        return lesson
    for module in draft.modules:
        if module.slug == lesson.module.slug:
            for candidate in module.lessons:
                if candidate.slug == lesson.slug:
                    return candidate
    raise NotFound


def check_publishable(course: Course) -> list[str]:
    """What stops learners from completing the course: no modules, a module with neither lessons
    nor quiz."""
    problems = [] if course.modules else [_("Khoá học chưa có học phần nào.")]
    for module in course.modules:
        if not module.lessons:
            problems.append(_("Học phần “%(title)s” chưa có bài học.", title=module.title))
        if not module.active_questions:
            problems.append(_("Học phần “%(title)s” chưa có câu hỏi kiểm tra.", title=module.title))
        elif problem := quiz_draw_problem(
            module.title, module.quiz_draw, len(module.active_questions)
        ):
            problems.append(problem)
    return problems


def quiz_draw_problem(title: str, draw: int | None, pool: int) -> str | None:
    """Why ``draw`` questions cannot be drawn from a module's ``pool`` of questions, or None."""
    if not draw or draw <= pool:
        return None
    return _(
        "Học phần “%(title)s” rút %(draw)s câu mỗi lần nhưng chỉ có %(n)s câu hỏi. Hãy thêm "
        "câu hỏi hoặc giảm số câu rút.",
        title=title,
        draw=draw,
        n=pool,
    )


def stale_draft(course: Course) -> tuple[int, int] | None:
    """(the version a draft copy was made from, the live version now) when the live course has
    changed since — e.g. a ``flask courses import`` from git — else None."""
    if course.is_draft_copy and course.draft_of.version != course.version:
        return course.version, course.draft_of.version
    return None


def publish_course(course: Course, actor, *, overwrite: bool = False) -> Course:
    """Publish a draft (a new course, or the draft copy of a published one). Returns the live
    course.

    A draft copy made from an older version than the live one is published only with
    ``overwrite``: its content replaces what changed meanwhile, so the author must have seen the
    warning."""
    if course.status != "draft":
        raise PublishError([_("Không có bản nháp nào để xuất bản.")])
    stale = stale_draft(course)
    if stale and not overwrite:
        raise PublishError(
            [
                _(
                    "Khoá học đã được cập nhật lên phiên bản %(live)s sau khi bản nháp này được "
                    "tạo từ phiên bản %(base)s. Hãy xem lại cảnh báo trên trang rồi chọn xuất bản "
                    "lần nữa.",
                    base=stale[0],
                    live=stale[1],
                )
            ]
        )
    problems = check_publishable(course)
    if problems:
        raise PublishError(problems)
    if not course.is_draft_copy:
        course.status, course.published_at = "published", utcnow()
        db.session.flush()
        record_audit(
            "authoring.course.publish",
            f"course:{course.id}",
            {"version": course.version},
            actor=actor,
        )
        return course
    live = course.draft_of
    data = live_data_from_draft(course)
    retire_changed_questions(live, data)
    try:
        report = sync.apply_course(data, actor=actor)  # bumps the version if anything changed
    except ContentError as exc:
        raise PublishError([error.message for error in exc.errors]) from exc
    live.status, live.published_at = "published", utcnow()
    live.draft = None  # delete-orphan removes the copy
    db.session.flush()
    record_audit(
        "authoring.course.publish",
        f"course:{live.id}",
        {"version": live.version, "changes": report.lines()[:50]},
        actor=actor,
    )
    return live


def retire_changed_questions(live: Course, data) -> int:
    """Retire every live question the new version changes or drops, answered or not.

    A learner may have the quiz open right now; their token names these question ids, so the rows
    (and their choices) must stay exactly as shown. The merge then adds the new versions.
    """
    wanted = {m.slug: [q for q in m.questions] for m in data.modules}
    retired = 0
    for module in live.modules:
        pool = list(wanted.get(module.slug, []))
        for question in sorted(module.active_questions, key=lambda q: (q.position, q.id)):
            shown = question_to_data(question)
            match = next((d for d in pool if d.same_content(shown)), None)
            if match is not None:
                pool.remove(match)
            else:
                question.is_active, retired = False, retired + 1
    db.session.flush()
    return retired


def live_data_from_draft(course: Course):
    """The draft's content as plain data addressed to its live course (slugs mapped back)."""
    data = sync.course_to_data(course)
    if course.is_draft_copy:
        data.readdress(course.draft_of.slug)
    data.status = None
    return data


def discard_draft(draft: Course, actor) -> Course:
    live = draft.draft_of
    live.draft = None
    db.session.flush()
    record_audit("authoring.draft.discard", f"course:{live.id}", {}, actor=actor)
    return live
