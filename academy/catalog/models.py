"""Courses and their content: modules, lessons, questions."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.database import UTCDateTime, db, utcnow

TRACKS = ("theory", "data", "ai")
LEVELS = ("basic", "intermediate", "advanced")
TRACK_LABELS = {
    "theory": _l("Lý luận và quản trị công"),
    "data": _l("Dữ liệu"),
    "ai": _l("Trí tuệ nhân tạo"),
}
LEVEL_LABELS = {"basic": _l("Cơ bản"), "intermediate": _l("Trung cấp"), "advanced": _l("Nâng cao")}
COURSE_STATUSES = ("draft", "published", "archived")
QUESTION_KINDS = ("single", "multiple", "true_false")
# When a learner sees the correct answers and explanations after an attempt:
# "settled" (default) once the module is passed or the attempts are used up; "always"; "never".
REVIEW_POLICIES = ("settled", "always", "never")


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    track: Mapped[str] = mapped_column(String(20), default="theory", index=True)
    level: Mapped[str] = mapped_column(String(20), default="basic")
    hours: Mapped[int] = mapped_column(Integer, default=1)
    pass_threshold: Mapped[float] = mapped_column(Float, default=0.7)
    review_policy: Mapped[str] = mapped_column(
        String(20), default="settled", server_default="settled"
    )
    # Minutes a learner waits after a failed attempt before the next one (0: no wait).
    attempt_wait_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A draft copy of a published course points at the live course it will replace when published.
    # Such a row is never listed to learners (its status stays "draft").
    draft_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    owner = relationship("User")
    draft_of: Mapped[Course | None] = relationship(
        remote_side=[id], foreign_keys=[draft_of_id], back_populates="draft"
    )
    draft: Mapped[Course | None] = relationship(
        foreign_keys=[draft_of_id],
        back_populates="draft_of",
        uselist=False,
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_draft_copy(self) -> bool:
        return self.draft_of_id is not None


class CourseAuthor(db.Model):
    """A co-author may edit a course as its owner does."""

    __tablename__ = "course_authors"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_md: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    # Questions drawn from the module's pool for each attempt (None: all of them).
    quiz_draw: Mapped[int | None] = mapped_column(Integer)
    # Minutes allowed for one attempt, enforced on the server (None: no limit).
    quiz_time_limit: Mapped[int | None] = mapped_column(Integer)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="module", order_by="Question.position", cascade="all, delete-orphan"
    )
    prerequisites: Mapped[list[Module]] = relationship(
        secondary="module_prerequisites",
        primaryjoin="Module.id == ModulePrerequisite.module_id",
        secondaryjoin="Module.id == ModulePrerequisite.required_module_id",
        order_by="Module.position",
    )

    def __repr__(self) -> str:
        return f"<Module {self.slug}>"

    @property
    def active_questions(self) -> list[Question]:
        return [q for q in self.questions if q.is_active]


class ModulePrerequisite(db.Model):
    __tablename__ = "module_prerequisites"

    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    required_module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised, rendered once at save
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")
    revisions: Mapped[list[LessonRevision]] = relationship(
        back_populates="lesson", order_by="LessonRevision.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class LessonRevision(db.Model):
    __tablename__ = "lesson_revisions"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lesson: Mapped[Lesson] = relationship(back_populates="revisions")
    author = relationship("User")


class Question(db.Model):
    """A quiz question. Rows that learners have answered are never edited in place:
    a changed question is retired (is_active False) and a new row takes its place,
    so an attempt is always graded against what the learner was shown."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(20), default="single")
    prompt_md: Mapped[str] = mapped_column(Text)
    prompt_html: Mapped[str] = mapped_column(Text, default="")
    explanation_md: Mapped[str] = mapped_column(Text, default="")
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    module: Mapped[Module] = relationship(back_populates="questions")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )

    @property
    def correct_choice_ids(self) -> set[int]:
        return {c.id for c in self.choices if c.is_correct}


class Choice(db.Model):
    __tablename__ = "choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool] = mapped_column(Boolean, default=False)
    # A pinned choice keeps its place when the others are shuffled ("all of the above").
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    question: Mapped[Question] = relationship(back_populates="choices")
