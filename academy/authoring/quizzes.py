"""The quiz editor: questions and choices from a form, or the whole quiz as quiz.md text.

Both paths go through the importer's own parser (``parse_quiz``), so the browser accepts exactly
what ``flask courses import`` accepts. A question learners have answered is never edited in
place: it is retired and a new row takes its place (see ``Question``).
"""
from __future__ import annotations

from flask_babel import gettext as _

from academy.admin.services import record_audit
from academy.authoring.changes import ChangeReport
from academy.authoring.coursedata import ChoiceData, ContentError, QuestionData
from academy.authoring.quizformat import infer_kind, parse_quiz
from academy.authoring.sync_questions import question_to_data, sync_questions
from academy.authoring.writer import format_quiz
from academy.catalog.models import Module, Question
from academy.extensions import db


def quiz_text(module: Module) -> str:
    questions = module.active_questions
    return format_quiz([question_to_data(q) for q in questions]) if questions else ""


def build_question(prompt_md: str, explanation_md: str, choices: list[tuple[str, bool]]) -> QuestionData:
    """Validate one question from the form exactly as quiz.md would be. Raises ContentError."""
    cleaned = [ChoiceData(text.strip(), bool(ok)) for text, ok in choices if (text or "").strip()]
    data = QuestionData(kind=infer_kind(cleaned), prompt_md=(prompt_md or "").replace("\r\n", "\n").strip(),
                        explanation_md=(explanation_md or "").replace("\r\n", "\n").strip(), choices=cleaned)
    parsed = parse_quiz(format_quiz([data]), "quiz.md")
    if len(parsed) != 1 or not parsed[0].same_content(data):
        raise ContentError("quiz.md", 1, _not_representable())
    return parsed[0]


def _not_representable() -> str:
    return _("Câu hỏi không lưu được dạng quiz.md: dòng đầu là câu hỏi; phương án chỉ một dòng, "
             "không bắt đầu bằng “## ”, “- [” hay “> ”.")


def _sync(module: Module, wanted: list[QuestionData], action: str, actor) -> None:
    """Every quiz write goes through the importer's merge, which retires answered questions."""
    report = ChangeReport(slug=module.course.slug)
    sync_questions(module, wanted, report, module.slug)
    db.session.flush()
    record_audit(action, f"module:{module.id}", {"changes": report.lines()[:20]}, actor=actor)


def _current(module: Module) -> list[Question]:
    return sorted(module.active_questions, key=lambda q: (q.position, q.id))


def add_question(module: Module, data: QuestionData, actor) -> None:
    _sync(module, [question_to_data(q) for q in _current(module)] + [data], "authoring.question.create", actor)


def update_question(question: Question, data: QuestionData, actor) -> None:
    """Edit in place if nobody answered it yet; otherwise it is retired and a new row replaces it."""
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
