"""Merging a module's quiz into the database without rewriting what learners answered.

A question nobody has answered is edited or deleted in place. One that has answers
(``AttemptAnswer`` rows) is retired (``is_active=False``) and, if changed, a new row takes its
place, so every past attempt is still graded against what the learner was shown.
"""

from __future__ import annotations

from sqlalchemy import select

from academy.catalog.models import Choice, Module, Question
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import ChoiceData, QuestionData
from academy.coursefiles.errors import _
from academy.extensions import db
from academy.learning.models import AttemptAnswer
from academy.markdown import render_inline, render_markdown


def render_prompt(prompt_md: str) -> str:
    """The heading line inline; scenario lines (if any) as their own paragraph(s)."""
    first, _sep, rest = prompt_md.partition("\n")
    if not rest.strip():
        return render_inline(first)
    return render_markdown(f"{first}\n\n{rest}")


def question_to_data(question: Question) -> QuestionData:
    return QuestionData(
        kind=question.kind,
        prompt_md=question.prompt_md,
        explanation_md=question.explanation_md,
        choices=[ChoiceData(c.text, c.is_correct, bool(c.is_pinned)) for c in question.choices],
    )


def answered_question_ids(questions: list[Question]) -> set[int]:
    ids = [q.id for q in questions if q.id is not None]
    if not ids:
        return set()
    query = select(AttemptAnswer.question_id).where(AttemptAnswer.question_id.in_(ids)).distinct()
    return set(db.session.scalars(query))


def sync_questions(
    module: Module, wanted: list[QuestionData], report: ChangeReport, label: str
) -> None:
    """Make the module's active questions equal ``wanted`` (in order)."""
    current = [q for q in module.questions if q.is_active]
    answered = answered_question_ids(current)
    plan = _match_unchanged(current, wanted)
    leftovers = [q for q in current if q not in plan]
    moved = False
    for index, data in enumerate(wanted):
        position, old = index + 1, plan[index]
        if old is not None:
            moved |= old.position != position
            old.position = position
        elif leftovers:
            _replace(module, leftovers.pop(0), data, position, answered, report, label)
        else:
            module.questions.append(_new_question(data, position))
            report.add(_("Học phần %(m)s: thêm câu hỏi %(n)s", m=label, n=position), "question")
    for old in leftovers:
        _drop(module, old, answered)
        report.remove(_("Học phần %(m)s: bỏ câu hỏi “%(p)s”", m=label, p=_short(old.prompt_md)))
    if moved:
        report.change(_("Học phần %(m)s: sắp xếp lại câu hỏi", m=label))


def _match_unchanged(current: list[Question], wanted: list[QuestionData]) -> list:
    """For each wanted question, an identical active one (each used once), else None."""
    pool = [(q, question_to_data(q)) for q in current]
    plan = []
    for data in wanted:
        hit = next((item for item in pool if item[1].same_content(data)), None)
        if hit is not None:
            pool.remove(hit)
        plan.append(hit[0] if hit else None)
    return plan


def _replace(
    module: Module,
    old: Question,
    data: QuestionData,
    position: int,
    answered: set[int],
    report: ChangeReport,
    label: str,
) -> None:
    if old.id in answered:
        old.is_active = False
        module.questions.append(_new_question(data, position))
        report.change(
            _(
                "Học phần %(m)s: câu hỏi %(n)s đã có người trả lời nên được lưu trữ; thêm bản mới",
                m=label,
                n=position,
            )
        )
        return
    old.position = position
    _fill(old, data)
    report.change(_("Học phần %(m)s: sửa câu hỏi %(n)s", m=label, n=position))


def _drop(module: Module, old: Question, answered: set[int]) -> None:
    if old.id in answered:
        old.is_active = False
    else:
        module.questions.remove(old)


def _new_question(data: QuestionData, position: int) -> Question:
    question = Question(position=position, is_active=True)
    _fill(question, data)
    return question


def _fill(question: Question, data: QuestionData) -> None:
    question.kind = data.kind
    question.prompt_md = data.prompt_md
    question.prompt_html = render_prompt(data.prompt_md)
    question.explanation_md = data.explanation_md
    question.explanation_html = render_markdown(data.explanation_md)
    question.choices = [
        Choice(position=i, text=c.text, is_correct=c.is_correct, is_pinned=c.is_pinned)
        for i, c in enumerate(data.choices, start=1)
    ]


def _short(text: str, size: int = 60) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= size else first[: size - 1] + "…"
