"""Lesson history: a readable side-by-side diff between any two revisions, and restore.

The diff is plain data (rows of line numbers and text); the template escapes every line, so an
author's text can never become markup on the history page.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from academy.catalog.models import Lesson, LessonRevision
from academy.extensions import db


@dataclass
class DiffRow:
    kind: str  # equal | replace | delete | insert | skip | too_long (old_no/new_no: lines left out)
    old_no: int | None
    old: str
    new_no: int | None
    new: str


CONTEXT = 3
# SequenceMatcher's cost grows with the pairs of equal lines between the two texts times their
# length (cubic for hostile texts such as "a b c…" against "c b a…"). Blank lines are junk to it
# (they never anchor a match), and a changed part whose estimate exceeds this is not compared
# line by line: the page says it is too long to compare. ~0.2 s at worst.
MAX_DIFF_WORK = 5_000_000


def revision_of(lesson: Lesson, number: int) -> LessonRevision | None:
    return db.session.scalar(
        select(LessonRevision).where(
            LessonRevision.lesson_id == lesson.id, LessonRevision.number == number
        )
    )


def diff_rows(old_text: str, new_text: str, context: int = CONTEXT) -> list[DiffRow]:
    """Side-by-side rows for the changed parts of two texts, with ``context`` lines around them.

    The lines both texts begin and end with are set aside first; when the part between is still
    too large to compare in bounded time, it becomes one ``too_long`` row (``old_no``/``new_no``
    count its lines) between the context lines, and the page says so."""
    old, new = (old_text or "").splitlines(), (new_text or "").splitlines()
    head, tail = _common_ends(old, new)
    old_mid, new_mid = old[head : len(old) - tail], new[head : len(new) - tail]
    if _work(old_mid, new_mid) > MAX_DIFF_WORK:
        return _too_long(old, new, head, tail, context)
    matcher = difflib.SequenceMatcher(_is_blank, old_mid, new_mid, autojunk=False)
    rows: list[DiffRow] = []
    for group in _shifted(matcher.get_opcodes(), head, old, new, tail, context):
        if rows:
            rows.append(DiffRow("skip", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            rows.extend(_rows_for(tag, old, new, i1, i2, j1, j2))
    return rows


def _common_ends(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many lines the two texts share at their start, and then at their end."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return head, tail


def _is_blank(line: str) -> bool:
    return not line.strip()


def _work(old: list[str], new: list[str]) -> int:
    """An upper estimate of SequenceMatcher's effort: equal non-blank line pairs × lines."""
    counts = Counter(line for line in new if not _is_blank(line))
    pairs = sum(counts[line] for line in old if line in counts)
    return pairs * (len(old) + len(new))


def _shifted(opcodes, head, old, new, tail, context):
    """The middle's opcodes placed back between the common ends, grouped with context."""
    codes = [("equal", 0, head, 0, head)]
    codes += [(tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in opcodes]
    codes.append(("equal", len(old) - tail, len(old), len(new) - tail, len(new)))
    merged: list[tuple] = []
    for tag, i1, i2, j1, j2 in codes:
        if i1 == i2 and j1 == j2:
            continue
        if merged and tag == merged[-1][0] == "equal":
            i1, j1 = merged.pop()[1::2]
        merged.append((tag, i1, i2, j1, j2))
    grouper = difflib.SequenceMatcher()
    grouper.opcodes = merged  # get_grouped_opcodes() reads only these
    return grouper.get_grouped_opcodes(context)


def _too_long(old, new, head, tail, context) -> list[DiffRow]:
    rows = _rows_for("equal", old, new, max(0, head - context), head, max(0, head - context), head)
    rows.append(DiffRow("too_long", len(old) - head - tail, "", len(new) - head - tail, ""))
    i, j = len(old) - tail, len(new) - tail
    return rows + _rows_for(
        "equal", old, new, i, min(len(old), i + context), j, min(len(new), j + context)
    )


def _rows_for(tag, old, new, i1, i2, j1, j2):
    if tag == "equal":
        return [
            DiffRow("equal", i + 1, old[i], j + 1, new[j])
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
        ]
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        has_old, has_new = i < i2, j < j2
        kind = "replace" if has_old and has_new else ("delete" if has_old else "insert")
        rows.append(
            DiffRow(
                kind,
                i + 1 if has_old else None,
                old[i] if has_old else "",
                j + 1 if has_new else None,
                new[j] if has_new else "",
            )
        )
    return rows
