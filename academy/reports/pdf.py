"""The completion report as PDF (WeasyPrint): a per-unit summary, then the detail.

WeasyPrint lays out the whole document in memory, so the detail is capped
(``REPORT_PDF_MAX_ROWS``, default 2,000) with a note that points to CSV/XLSX for the full list.
Resources come only from the package's static folder: the fetcher refuses every other URL.
"""
from __future__ import annotations

import mimetypes
import os

from flask import current_app, render_template

from academy.reports.exporters import COLUMNS, RowFormatter

STATIC_PREFIX = "academy-static:/"
DEFAULT_MAX_ROWS = 2000


def static_only_fetcher():
    """A WeasyPrint URL fetcher serving files under the app's static folder and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = os.path.realpath(current_app.static_folder)

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(STATIC_PREFIX):
                raise ValueError(f"refused: {url[:80]}")
            path = os.path.realpath(os.path.join(root, url[len(STATIC_PREFIX):].split("?")[0]))
            if not path.startswith(root + os.sep) or not os.path.isfile(path):
                raise ValueError(f"refused: {url[:80]}")
            with open(path, "rb") as handle:
                body = handle.read()
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return StaticOnlyFetcher(allowed_protocols=("academy-static",))


def _summary_dicts(summary_rows) -> list[dict]:
    return [{"unit": r.unit_name, "code": r.unit_code, "rows": int(r.rows), "completed": int(r.completed or 0),
             "overdue": int(r.overdue or 0), "progress": round(float(r.progress or 0)),
             "score": round(float(r.score), 1) if r.score is not None else None} for r in summary_rows]


def render_pdf(summary_rows, detail_rows, total_rows: int, filters_text: str, generated_at, limit: int) -> bytes:
    """Build the PDF from plain data (never ORM objects); ``detail_rows`` holds at most ``limit`` rows."""
    from weasyprint import HTML

    formatter = RowFormatter()
    detail = [formatter.values(row) for row in detail_rows]
    html = render_template(
        "reports/completion_pdf.html", summary=_summary_dicts(summary_rows), detail=detail,
        headers=[str(label) for _key, label in COLUMNS], total_rows=total_rows,
        truncated=total_rows > len(detail), limit=limit, filters_text=filters_text,
        generated_at=generated_at, static_prefix=STATIC_PREFIX)
    return HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=static_only_fetcher()).write_pdf()
