"""Lesson history: a readable side-by-side diff between any two revisions, and restore.

The diff is plain data (rows of line numbers and text); the template escapes every line, so an
author's text can never become markup on the history page.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select

from academy.catalog.models import Lesson, LessonRevision
from academy.extensions import db


@dataclass
class DiffRow:
    kind: str  # equal | replace | delete | insert | skip
    old_no: int | None
    old: str
    new_no: int | None
    new: str


CONTEXT = 3


def revision_of(lesson: Lesson, number: int) -> LessonRevision | None:
    return db.session.scalar(select(LessonRevision).where(
        LessonRevision.lesson_id == lesson.id, LessonRevision.number == number))


def diff_rows(old_text: str, new_text: str, context: int = CONTEXT) -> list[DiffRow]:
    """Side-by-side rows for the changed parts of two texts, with ``context`` lines around them."""
    old, new = (old_text or "").splitlines(), (new_text or "").splitlines()
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    rows: list[DiffRow] = []
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append(DiffRow("skip", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows_for(tag, old, new, i1, i2, j1, j2))
    return rows


def _rows_for(tag, old, new, i1, i2, j1, j2):
    if tag == "equal":
        return [DiffRow("equal", i + 1, old[i], j + 1, new[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        has_old, has_new = i < i2, j < j2
        kind = "replace" if has_old and has_new else ("delete" if has_old else "insert")
        rows.append(DiffRow(kind, i + 1 if has_old else None, old[i] if has_old else "",
                            j + 1 if has_new else None, new[j] if has_new else ""))
    return rows
