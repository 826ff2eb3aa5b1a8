"""The completion report as PDF (WeasyPrint): a per-unit summary, then the detail.

WeasyPrint lays out the whole document in memory, so the detail is capped
(``REPORT_PDF_MAX_ROWS``, default 2,000) with a note that points to CSV/XLSX for the full list.
Resources come only from the package's static folder: the fetcher refuses every other URL.
"""

from __future__ import annotations

from flask import render_template

from academy.pdf import STATIC_SCHEME, make_fetcher
from academy.reports.exporters import COLUMNS, RowFormatter


def _summary_dicts(summary_rows) -> list[dict]:
    return [
        {
            "unit": r.unit_name,
            "code": r.unit_code,
            "rows": int(r.rows),
            "completed": int(r.completed or 0),
            "overdue": int(r.overdue or 0),
            "progress": round(float(r.progress or 0)),
            "score": round(float(r.score), 1) if r.score is not None else None,
        }
        for r in summary_rows
    ]


def render_pdf(
    summary_rows, detail_rows, total_rows: int, filters_text: str, generated_at, limit: int
) -> bytes:
    """Build the PDF from plain data (never ORM objects); ``detail_rows`` holds at most ``limit``
    rows."""
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only when a PDF is asked for

    detail = RowFormatter().batch(list(detail_rows))
    html = render_template(
        "reports/completion_pdf.html",
        summary=_summary_dicts(summary_rows),
        detail=detail,
        headers=[str(label) for _key, label in COLUMNS],
        total_rows=total_rows,
        truncated=total_rows > len(detail),
        limit=limit,
        filters_text=filters_text,
        generated_at=generated_at,
        static_prefix=STATIC_SCHEME,
    )
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=make_fetcher()).write_pdf()
