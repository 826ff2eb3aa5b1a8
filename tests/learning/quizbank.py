"""Helpers for quiz tests: a module with a larger question bank; a quiz page read as shown."""

from __future__ import annotations

import re
from contextlib import contextmanager

from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from academy.catalog.models import Choice, Question
from academy.database import db
from academy.learning import quiz_tokens
from academy.markdown import render_inline, render_markdown

PINNED = "Tất cả các phương án trên"


def fill_bank(module, questions=8, choices=4, pinned_last=False) -> list[Question]:
    """Retire the module's questions and give it ``questions`` new ones, each with ``choices``
    choices (the first right; the last pinned when asked) and an explanation of its own."""
    for old in module.questions:
        old.is_active = False
    bank = []
    for k in range(1, questions + 1):
        question = Question(
            position=10 + k,
            kind="single",
            prompt_md=f"Câu ngân hàng {k}?",
            prompt_html=render_inline(f"Câu ngân hàng {k}?"),
            explanation_md=f"Lời giải riêng của câu {k}.",
            explanation_html=render_markdown(f"Lời giải riêng của câu {k}."),
        )
        for j in range(1, choices + 1):
            pinned = pinned_last and j == choices
            question.choices.append(
                Choice(
                    position=j,
                    is_correct=j == 1,
                    is_pinned=pinned,
                    text=PINNED if pinned else f"Phương án {k}.{j}",
                )
            )
        module.questions.append(question)
        bank.append(question)
    db.session.commit()
    return bank


def shown(html: str) -> list[tuple[int, list[int]]]:
    """[(question id, [choice ids in the order shown])] of a quiz page."""
    order: dict[int, list[int]] = {}
    for qid, cid in re.findall(r'name="q-(\d+)" id="q\d+-c\d+" value="(\d+)"', html):
        order.setdefault(int(qid), []).append(int(cid))
    return list(order.items())


def checked(html: str) -> set[int]:
    """Choice ids the page shows as already chosen."""
    return {int(cid) for cid in re.findall(r'value="(\d+)" checked', html)}


def answers(page: list[tuple[int, list[int]]], right=True, skip=()) -> dict[str, str]:
    """Form fields answering every shown question (but the numbers in ``skip``) rightly or not."""
    data = {}
    for number, (qid, _choices) in enumerate(page, start=1):
        if number in skip:
            continue
        question = db.session.get(Question, qid)
        pick = next(c for c in question.choices if c.is_correct == right)
        data[f"q-{qid}"] = str(pick.id)
    return data


@contextmanager
def issued_ago(monkeypatch, seconds: int):
    """Quiz forms opened inside this block carry a ticket issued ``seconds`` ago (only the quiz
    tickets' clock moves: the session cookie is signed as usual)."""

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - seconds

    def serializer(kind):
        return URLSafeTimedSerializer(current_app.secret_key, salt=kind, signer=Backdated)

    with monkeypatch.context() as patch:
        patch.setattr(quiz_tokens, "_serializer", serializer)
        yield
