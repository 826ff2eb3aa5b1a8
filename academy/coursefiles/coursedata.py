"""Plain course content, independent of files and of the database.

The parser turns a ``courses/<slug>/`` folder into these; the writer turns them back into files;
``sync.apply_course`` merges them into the database and ``sync.course_to_data`` reads them out.
The browser editor (``academy.authoring``) builds and reads the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# A published course's draft copy (made by the browser editor) is the course row "<slug>--draft".
# A folder can never claim that slug (a course slug has no "--"), and an imported course slug leaves
# room for the suffix (see ``importer.MAX_COURSE_SLUG``).
DRAFT_SUFFIX = "--draft"


@dataclass
class ChoiceData:
    text: str
    is_correct: bool = False
    is_pinned: bool = False  # keeps its place when the choices are shuffled


@dataclass
class QuestionData:
    kind: str  # single | multiple | true_false
    prompt_md: str  # first line = the "## " heading; further lines = scenario text
    explanation_md: str
    choices: list[ChoiceData] = field(default_factory=list)
    line: int = 0  # where the question starts in quiz.md (0 = not from a file)

    def same_content(self, other: QuestionData) -> bool:
        return (
            self.kind,
            self.prompt_md,
            self.explanation_md,
            [(c.text, c.is_correct, c.is_pinned) for c in self.choices],
        ) == (
            other.kind,
            other.prompt_md,
            other.explanation_md,
            [(c.text, c.is_correct, c.is_pinned) for c in other.choices],
        )


@dataclass
class LessonData:
    slug: str
    position: int
    title: str
    body_md: str = ""


@dataclass
class ModuleData:
    slug: str
    position: int
    title: str
    summary: str = ""
    minutes: int = 30
    prerequisites: list[str] = field(default_factory=list)  # "course-slug/module-slug"
    intro_md: str = ""
    quiz_draw: int | None = None  # questions drawn per attempt (None = all)
    quiz_time_limit: int | None = None  # minutes (None = no limit)
    lessons: list[LessonData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)
    source: str = ""  # module.md path shown in error messages ("" = not from a file)
    prerequisites_line: int = 0
    quiz_draw_line: int = 0

    @property
    def folder(self) -> str:
        return f"{self.position:02d}-{self.slug}"


@dataclass
class CourseData:
    slug: str
    title: str
    summary: str = ""
    track: str = "theory"
    level: str = "basic"
    hours: int = 1
    pass_threshold: float = 0.7
    review_policy: str = "settled"  # see catalog.models.REVIEW_POLICIES
    attempt_wait_minutes: int = 0
    status: str | None = None  # None: the file does not say (new course → published, else kept)
    description_md: str = ""
    modules: list[ModuleData] = field(default_factory=list)
    source: str = ""  # course folder path shown in error messages
    # images in the folder's media/: name → file
    media: dict[str, Path] = field(default_factory=dict)

    def readdress(self, slug: str) -> None:
        """Address the content to course ``slug``; references to its own modules follow (a draft
        copy and its live course name the same modules under different course slugs)."""
        own = self.slug + "/"
        for module in self.modules:
            module.prerequisites = [
                f"{slug}/{p[len(own) :]}" if p.startswith(own) else p for p in module.prerequisites
            ]
        self.slug = slug

    def markdown_texts(self) -> list[str]:
        """Every Markdown text of the course (where images may be referenced)."""
        texts = [self.description_md]
        for module in self.modules:
            texts.append(module.intro_md)
            texts.extend(lesson.body_md for lesson in module.lessons)
            texts.extend(t for q in module.questions for t in (q.prompt_md, q.explanation_md))
        return texts
