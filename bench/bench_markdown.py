"""Hostile Markdown: the worst time of render_markdown() for each shape measured quadratic in
Python-Markdown, at sizes up to the lesson cap, beside an ordinary lesson of the same size; and the
lesson history diff between two hostile revisions, at the cap and just under its cut-off."""

from __future__ import annotations

import time
from pathlib import Path

from academy.authoring.revisions import MAX_DIFF_WORK, _work, diff_rows
from academy.markdown import MAX_MARKDOWN_CHARS, render_markdown

COURSES = Path(__file__).resolve().parents[1] / "courses"
# Each repeated to the size: ~20 KB of the worst took 3–9 s in Python-Markdown before the bounds.
SHAPES = [
    "[",
    "[a](",
    "[a](b) ",
    "[^1](",
    "<b",
    "<b\n",
    "<div>",
    "<a href=",
    "*[](\n]\\",
    "**a ",
    "> ",
]


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    sizes = (
        [MAX_MARKDOWN_CHARS // 10, MAX_MARKDOWN_CHARS]
        if quick
        else [
            MAX_MARKDOWN_CHARS // 100,
            MAX_MARKDOWN_CHARS // 10,
            MAX_MARKDOWN_CHARS // 2,
            MAX_MARKDOWN_CHARS,
        ]
    )
    render_markdown("khởi động")  # the first call starts the renderer's child process
    rows = [_render_row("ordinary lesson", _ordinary(size), size) for size in sizes[-1:]]
    for shape in SHAPES:
        worst = max((_timed(render_markdown, _repeat(shape, size)), size) for size in sizes)
        rows.append(
            _row(
                "render_markdown",
                f"render {shape!r} × n",
                worst[0],
                f"worst of {len(sizes)} sizes, at {worst[1]:,} chars",
            )
        )
    return rows + _diff_rows(sizes[-1])


def _diff_rows(size: int) -> list[dict]:
    rows = []
    for name, old, new in [
        ("a b c… vs c b a… at the cap", _lines("abc", size), _lines("cba", size)),
        ("rewrite, blank lines between", _paragraphs("l", size), _paragraphs("m", size)),
        ("a b c… just under the cut-off", *_under_cut_off()),
        (
            "ordinary edit at the cap",
            _ordinary(size),
            _ordinary(size).replace("dữ liệu", "số liệu", 50),
        ),
    ]:
        rows.append(
            _row(
                "revision diff",
                name,
                _timed(diff_rows, old, new),
                f"{len(old):,} + {len(new):,} chars, {len(diff_rows(old, new)):,} rows",
            )
        )
    return rows


def _render_row(figure: str, text: str, size: int) -> dict:
    return _row(
        "render_markdown", figure, _timed(render_markdown, text), f"{size:,} chars of courses/"
    )


def _row(benchmark: str, figure: str, seconds: float, note: str) -> dict:
    return {
        "benchmark": benchmark,
        "figure": figure,
        "value": round(seconds, 3),
        "unit": "s",
        "note": note,
    }


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _ordinary(size: int) -> str:
    texts = [
        p.read_text(encoding="utf-8").split("---", 2)[-1]
        for p in sorted(COURSES.rglob("[0-9]*-*.md"))
    ]
    return _repeat("\n\n".join(texts), size)


def _lines(letters: str, size: int) -> str:
    return _repeat("".join(f"{c}\n" for c in letters), size)


def _paragraphs(prefix: str, size: int) -> str:
    return _repeat("".join(f"{prefix}{i}\n\n" for i in range(size // 4)), size)


def _under_cut_off() -> tuple[str, str]:
    lines = 10
    while (
        _work(["abc"[i % 3] for i in range(lines + 10)], ["cba"[i % 3] for i in range(lines + 10)])
        <= MAX_DIFF_WORK
    ):
        lines += 10
    return "\n".join("abc"[i % 3] for i in range(lines)), "\n".join(
        "cba"[i % 3] for i in range(lines)
    )


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("markdown")
