"""The quiz editor: questions and choices from a form, or the whole quiz as quiz.md text.

Both paths go through the importer's own parser (``parse_quiz``), so the browser accepts exactly
what ``flask courses import`` accepts. A question learners have answered is never edited in
place: it is retired and a new row takes its place (see ``Question``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from academy.catalog.models import Module, Question
from academy.core.audit import record_audit
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import ChoiceData, QuestionData
from academy.coursefiles.errors import ContentError
from academy.coursefiles.frontmatter import normalise
from academy.coursefiles.quizformat import infer_kind, parse_quiz
from academy.coursefiles.sync_questions import question_to_data, sync_questions
from academy.coursefiles.writer import format_quiz
from academy.extensions import db


def quiz_text(module: Module) -> str:
    questions = module.active_questions
    return format_quiz([question_to_data(q) for q in questions]) if questions else ""


def build_question(
    kind: str | None, prompt_md: str, explanation_md: str, choices: list[tuple[str, bool, bool]]
) -> QuestionData:
    """Validate one question from the form exactly as quiz.md would be. ``choices`` are (text,
    is correct, is pinned); ``kind`` is the author's choice of type (None: inferred as quiz.md
    does). Raises ContentError."""
    rows = [(text or "").strip() for text, _ok, _pin in choices]
    if kind == "true_false" and not any(rows):  # the author only ticked the right one
        choices = [
            (label, ok, pin)
            for label, (_t, ok, pin) in zip((_("Đúng"), _("Sai")), choices[:2], strict=False)
        ]
    cleaned = [
        ChoiceData(text.strip(), bool(ok), bool(pin))
        for text, ok, pin in choices
        if (text or "").strip()
    ]
    data = QuestionData(
        kind=_checked_kind(kind, cleaned),
        prompt_md=_text(prompt_md),
        explanation_md=_text(explanation_md),
        choices=cleaned,
    )
    parsed = parse_quiz(format_quiz([data]), "quiz.md")
    if len(parsed) != 1 or not parsed[0].same_content(data):
        raise ContentError("quiz.md", 1, _not_representable())
    return parsed[0]


def _text(markdown: str | None) -> str:
    return (markdown or "").replace("\r\n", "\n").strip()


def _checked_kind(kind: str | None, choices: list[ChoiceData]) -> str:
    """The stored kind for the selected type, or ContentError when the choices do not fit it."""
    inferred = infer_kind(choices)
    if kind == "true_false" and inferred != "true_false":
        raise ContentError(
            "quiz.md",
            1,
            _(
                "Câu Đúng/Sai có đúng hai phương án “Đúng” và “Sai” (để trống cả hai ô để điền tự "
                "động) và một đáp án được đánh dấu."
            ),
        )
    if kind == "single" and sum(c.is_correct for c in choices) > 1:
        raise ContentError(
            "quiz.md",
            1,
            _(
                "Loại “Một đáp án đúng” chỉ có một phương án được đánh dấu đúng; nếu có nhiều đáp "
                "án đúng, hãy chọn loại “Nhiều đáp án đúng”."
            ),
        )
    if kind == "multiple":
        return "multiple"
    return inferred  # "single" with the choices Đúng/Sai is a true/false question


def _not_representable() -> str:
    return _(
        "Câu hỏi không lưu được dạng quiz.md: dòng đầu là câu hỏi; phương án chỉ một dòng, "
        "không bắt đầu bằng “## ”, “- [” hay “> ”."
    )


def _sync(module: Module, wanted: list[QuestionData], action: str, actor) -> None:
    """Every quiz write goes through the importer's merge, which retires answered questions."""
    report = ChangeReport(slug=module.course.slug)
    sync_questions(module, wanted, report, module.slug)
    db.session.flush()
    record_audit(action, f"module:{module.id}", {"changes": report.lines()[:20]}, actor=actor)


def _current(module: Module) -> list[Question]:
    return sorted(module.active_questions, key=lambda q: (q.position, q.id))


def add_question(module: Module, data: QuestionData, actor) -> None:
    wanted = [question_to_data(q) for q in _current(module)] + [data]
    _sync(module, wanted, "authoring.question.create", actor)


def update_question(question: Question, data: QuestionData, actor) -> None:
    """Edit in place if nobody answered it yet; otherwise it is retired and a new row takes its
    place."""
    wanted = [data if q is question else question_to_data(q) for q in _current(question.module)]
    _sync(question.module, wanted, "authoring.question.update", actor)


def remove_question(question: Question, actor) -> None:
    wanted = [question_to_data(q) for q in _current(question.module) if q is not question]
    _sync(question.module, wanted, "authoring.question.delete", actor)


def replace_quiz(module: Module, text: str, actor, path: str = "quiz.md") -> int:
    """Replace the module's quiz with quiz.md ``text``. Raises ContentErrors (with lines) before
    anything changes. Returns the question count."""
    parsed = parse_quiz(text, path) if text.strip() else []
    _sync(module, parsed, "authoring.quiz.replace", actor)
    return len(parsed)


def short_prompt(question: Question, size: int = 120) -> str:
    first = question.prompt_md.split("\n", 1)[0]
    return first if len(first) <= size else first[: size - 1] + "…"


@dataclass
class ErrorLine:
    """One line of quiz.md text with the problems found on it."""

    number: int
    text: str
    messages: list[str] = field(default_factory=list)


def error_listing(text: str, errors: list) -> tuple[list[ErrorLine], list[str], int]:
    """(the lines with problems, in order, each with its messages; problems without a line; the
    number of lines) — so the editor shows each message beside its line number."""
    lines = normalise(text).split("\n")
    by_line: dict[int, ErrorLine] = {}
    general = []
    for error in errors:
        number = getattr(error, "line", 0)
        if 1 <= number <= len(lines):
            row = by_line.setdefault(number, ErrorLine(number, lines[number - 1]))
            row.messages.append(error.message)
        else:
            general.append(getattr(error, "message", str(error)))
    return [by_line[n] for n in sorted(by_line)], general, len(lines)
