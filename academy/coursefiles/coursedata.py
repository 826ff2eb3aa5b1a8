"""Plain course content, independent of files and of the database.

The parser turns a ``courses/<slug>/`` folder into these; the writer turns them back into files;
``sync.apply_course`` merges them into the database and ``sync.course_to_data`` reads them out.
The browser authoring UI builds and reads the same objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import has_request_context
from flask_babel import gettext


def _(text: str, **values) -> str:
    """gettext in a request (the reader's language); outside one (CLI, jobs) the Vietnamese
    source text, because the app's locale selector needs a request."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


@dataclass
class ChoiceData:
    text: str
    is_correct: bool = False


@dataclass
class QuestionData:
    kind: str  # single | multiple | true_false
    prompt_md: str  # first line = the "## " heading; further lines = scenario text
    explanation_md: str
    choices: list[ChoiceData] = field(default_factory=list)
    line: int = 0  # where the question starts in quiz.md (0 = not from a file)

    def same_content(self, other: QuestionData) -> bool:
        return (self.kind, self.prompt_md, self.explanation_md,
                [(c.text, c.is_correct) for c in self.choices]) == (
            other.kind, other.prompt_md, other.explanation_md,
            [(c.text, c.is_correct) for c in other.choices])


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
    lessons: list[LessonData] = field(default_factory=list)
    questions: list[QuestionData] = field(default_factory=list)
    source: str = ""  # module.md path shown in error messages ("" = not from a file)
    prerequisites_line: int = 0

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
    status: str | None = None  # None: the file does not say (new course → published, else kept)
    description_md: str = ""
    modules: list[ModuleData] = field(default_factory=list)
    source: str = ""  # course folder path shown in error messages
    media: dict[str, Path] = field(default_factory=dict)  # images in the folder's media/: name → file

    def readdress(self, slug: str) -> None:
        """Address the content to course ``slug``; references to its own modules follow (a draft
        copy and its live course name the same modules under different course slugs)."""
        own = self.slug + "/"
        for module in self.modules:
            module.prerequisites = [f"{slug}/{p[len(own):]}" if p.startswith(own) else p
                                    for p in module.prerequisites]
        self.slug = slug

    def markdown_texts(self) -> list[str]:
        """Every Markdown text of the course (where images may be referenced)."""
        texts = [self.description_md]
        for module in self.modules:
            texts.append(module.intro_md)
            texts.extend(lesson.body_md for lesson in module.lessons)
            texts.extend(t for q in module.questions for t in (q.prompt_md, q.explanation_md))
        return texts


class ContentError(Exception):
    """One problem in course content, located by file and line ("path:line: message").

    ``errors`` lists every problem (just this one here; several in ``ContentErrors``), so callers
    can always write ``except ContentError as exc: for err in exc.errors: ...``.
    """

    def __init__(self, path: str, line: int, message: str):
        super().__init__(path, line, message)
        self.path, self.line, self.message = str(path), int(line or 0), str(message)

    @property
    def errors(self) -> list[ContentError]:
        return [self]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentErrors(ContentError):
    """Every problem found in one go, so an author can fix them all at once."""

    def __init__(self, errors: list[ContentError]):
        flat = [e for err in errors for e in err.errors]
        first = flat[0] if flat else ContentError("", 0, "")
        super().__init__(first.path, first.line, first.message)
        self._errors = flat

    @property
    def errors(self) -> list[ContentError]:
        return list(self._errors)

    def __str__(self) -> str:
        return "\n".join(ContentError.__str__(e) for e in self._errors)


class ErrorList:
    """Collects problems while parsing; ``raise_if_any`` raises them together."""

    def __init__(self):
        self.items: list[ContentError] = []

    def add(self, path, line, message) -> None:
        self.items.append(ContentError(path, line, message))

    def extend(self, exc: ContentError) -> None:
        self.items.extend(exc.errors)

    def raise_if_any(self) -> None:
        if self.items:
            raise ContentErrors(self.items)
