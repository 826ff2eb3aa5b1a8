"""The completion report as PDF (WeasyPrint): a per-unit summary, then the detail.

WeasyPrint lays out the whole document in memory, so the detail is capped
(``REPORT_PDF_MAX_ROWS``, default 2,000) with a note that points to CSV/XLSX for the full list.
Resources come only from the package's static folder: the fetcher refuses every other URL.
"""

from __future__ import annotations

from flask import render_template

from academy.pdf import STATIC_SCHEME, make_fetcher
from academy.reports.exporters import COLUMNS, RowFormatter

# The detail's columns: the unit by code and full path (which ends with its name); the period and
# "as at" are stated once in the header instead of on every row.
DETAIL_KEYS = (
    "unit_code",
    "unit_path",
    "employee_code",
    "full_name",
    "position",
    "course_title",
    "source",
    "enrolled_at",
    "due_at",
    "progress",
    "score",
    "completed_at",
    "status",
    "certificate_serial",
)
_KEYS = [key for key, _label in COLUMNS]
_DETAIL_AT = [_KEYS.index(key) for key in DETAIL_KEYS]


def _summary_dicts(summary_rows, units: dict) -> list[dict]:
    return [
        {
            "unit": r.unit_name,
            "path": units[r.unit_id].full_name if r.unit_id in units else r.unit_name,
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
    summary_rows,
    detail_rows,
    total_rows: int,
    filters_text: str,
    generated_at,
    limit: int,
    *,
    period_text: str,
    units: dict,
) -> bytes:
    """Build the PDF from plain data (never ORM objects); ``detail_rows`` holds at most ``limit``
    rows; ``units`` is ``academy.auth.units.unit_directory()``, ``period_text`` the period rule."""
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only when a PDF is asked for

    rows = RowFormatter(units=units).batch(list(detail_rows))
    detail = [[row[at] for at in _DETAIL_AT] for row in rows]
    labels = dict(COLUMNS)
    html = render_template(
        "reports/completion_pdf.html",
        summary=_summary_dicts(summary_rows, units),
        detail=detail,
        headers=[str(labels[key]) for key in DETAIL_KEYS],
        period_text=period_text,
        total_rows=total_rows,
        truncated=total_rows > len(detail),
        limit=limit,
        filters_text=filters_text,
        generated_at=generated_at,
        static_prefix=STATIC_SCHEME,
    )
    return HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=make_fetcher()).write_pdf()
