"""Large reports run as background jobs (academy.jobs): the file lands in instance/exports/.

A large XLSX completion report (``REPORT_XLSX_SYNC_MAX_ROWS``) and a large PDF one
(``REPORT_PDF_SYNC_MAX_ROWS``) are one kind of job, ``report.completion``, told apart by the format
in their parameters. The XLSX job counts rows as it writes them; the PDF job counts the pages
WeasyPrint has laid out. ``my_jobs`` lists a person's jobs, these and their certificate ZIPs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from academy.auth.models import Unit
from academy.certificates.bulk import JOB_KIND as CERTIFICATES_ZIP_KIND
from academy.extensions import db
from academy.jobs import (
    Job,
    download_ready,
    enqueue,
    export_file,
    offer_download,
    report_progress,
)
from academy.reports.exporters import write_xlsx
from academy.reports.queries import ReportFilters
from academy.reports.services import count_rows, pdf_bytes, report_heading, stream_rows
from academy.training.evaluation_files import JOB_KIND as EVALUATION_KIND

log = logging.getLogger(__name__)

EXPORT_FUNC = "academy.reports.jobs:export_completion"
PDF_FUNC = "academy.reports.jobs:export_completion_pdf"
JOB_KIND = "report.completion"
JOB_FORMATS = ("xlsx", "pdf")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def filters_to_params(filters: ReportFilters, fmt: str) -> dict:
    return {
        "format": fmt,
        "scope_id": getattr(filters.scope, "id", None),
        "unit_id": getattr(filters.unit, "id", None),
        "course_id": filters.course_id,
        "status": filters.status,
        "kind": filters.kind,
        "now": filters.now.isoformat(),
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
    }


def params_to_filters(params: dict) -> ReportFilters:
    def unit(key):
        return db.session.get(Unit, params[key]) if params.get(key) else None

    return ReportFilters(
        scope=unit("scope_id"),
        unit=unit("unit_id"),
        course_id=params.get("course_id"),
        status=params.get("status"),
        kind=params.get("kind"),
        now=datetime.fromisoformat(params["now"]),
        date_from=date.fromisoformat(params["from"]) if params.get("from") else None,
        date_to=date.fromisoformat(params["to"]) if params.get("to") else None,
    )


def start_export(filters: ReportFilters, fmt: str, user) -> Job:
    """Queue the ``fmt`` ("xlsx" or "pdf") export; the caller commits (the job starts after the
    commit)."""
    func = PDF_FUNC if fmt == "pdf" else EXPORT_FUNC
    return enqueue(func, kind=JOB_KIND, params=filters_to_params(filters, fmt), user_id=user.id)


def job_format(job: Job) -> str:
    """The format a report job writes: "xlsx" or "pdf" (jobs from before PDF jobs are XLSX)."""
    fmt = (job.params or {}).get("format")
    return fmt if fmt in JOB_FORMATS else "xlsx"


def export_completion(job_id: str) -> None:
    """The job: write the report to a file, then record where it is and when it expires."""
    job = db.session.get(Job, job_id)
    filters = params_to_filters(job.params)
    total = count_rows(filters)
    report_progress(job_id, 0, total)
    path = export_file(f"{job_id}.xlsx")
    rows = _with_progress(stream_rows(filters), job_id, total)
    write_xlsx(rows, path, heading=report_heading(filters))
    job = db.session.get(Job, job_id)
    job.progress = total
    offer_download(job, path)
    db.session.commit()


def _with_progress(rows, job_id: str, total: int, every: int = 20_000):
    """Pass rows through, storing progress on a separate connection: committing the session
    would close the server-side cursor the rows stream from."""
    for count, row in enumerate(rows, start=1):
        yield row
        if count % every == 0:
            _store_progress(job_id, count, total)


def export_completion_pdf(job_id: str) -> None:
    """The job: lay out the PDF report, storing how many pages are done as WeasyPrint goes, then
    write the file (whole or not at all) and record where it is and when it expires."""
    job = db.session.get(Job, job_id)
    filters = params_to_filters(job.params)
    report_progress(job_id, 0, 0)  # how many pages there will be is known once they are laid out
    pages = _PageProgress(job_id)
    with pages_laid_out(pages.heard, pages.laid_out):
        data = pdf_bytes(filters)
    path = export_file(f"{job_id}.pdf")
    partial = path + ".part"
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, path)
    job = db.session.get(Job, job_id)
    job.progress = job.total = pages.count
    offer_download(job, path)
    db.session.commit()


def _store_progress(job_id: str, done: int, total: int) -> None:
    """Progress on a connection of its own: the job's session is left as it is."""
    with db.engine.begin() as connection:
        connection.execute(update(Job).where(Job.id == job_id).values(progress=done, total=total))


class _PageProgress:
    """Pages laid out so far for one PDF job, stored at most once every ``every`` seconds; once
    all are, ``total`` becomes their number too (the job page then says the file is being
    written)."""

    def __init__(self, job_id: str, every: float = 1.0):
        self.job_id, self.every = job_id, every
        self.count, self.stored_at = 0, 0.0

    def heard(self, pages: int) -> None:
        self.count = pages
        now = time.monotonic()
        if now - self.stored_at < self.every:
            return
        self.stored_at = now
        self._store(pages, 0)

    def laid_out(self) -> None:
        self._store(self.count, self.count)

    def _store(self, done: int, total: int) -> None:
        try:
            _store_progress(self.job_id, done, total)
        except SQLAlchemyError:  # a progress figure is not worth failing the report for
            log.warning("could not store the progress of job %s", self.job_id, exc_info=True)


# ---- pages laid out by WeasyPrint ---------------------------------------------------------------
# WeasyPrint logs "Step 5 - Creating layout - Page N" on its "weasyprint.progress" logger for each
# page it lays out ("… - Repagination #K" when it starts over to fix page counters), then
# "Step 6 - Creating PDF" once every page is laid out. A filter
# on that logger hears these lines from the threads that asked, and lets no line through that the
# logger's own level would not have let through.

PROGRESS_LOGGER = logging.getLogger("weasyprint.progress")
LAYOUT_PAGE = "Step 5 - Creating layout - Page"
LAYOUT_AGAIN = "Step 5 - Creating layout - Repagination"
WRITING = "Step 6 - Creating PDF"


class _LayoutListener(logging.Filter):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()
        self.listeners: dict[int, _Pass] = {}
        self.level_before = logging.NOTSET

    def filter(self, record: logging.LogRecord) -> bool:
        listener = self.listeners.get(record.thread)
        if listener is None:  # someone else's document: as if we were not here
            threshold = self.level_before or PROGRESS_LOGGER.parent.getEffectiveLevel()
            return record.levelno >= threshold
        message = str(record.msg)
        if message.startswith(LAYOUT_AGAIN):
            listener.pages = 0
        elif message.startswith(LAYOUT_PAGE) and record.args:
            listener.page(int(record.args[0]))
        elif message.startswith(WRITING) and listener.done is not None:
            listener.done()
        return False


@dataclass
class _Pass:
    callback: Callable[[int], None]
    done: Callable[[], None] | None = None
    pages: int = 0  # pages of the current layout pass

    def page(self, number: int) -> None:
        if number > self.pages:
            self.pages = number
            self.callback(number)


_LISTENER = _LayoutListener()


@contextmanager
def pages_laid_out(callback, done=None):
    """Inside the block, ``callback(n)`` hears that WeasyPrint has laid out ``n`` pages of a
    document made on this thread (once per page; again from 1 if it lays the document out anew),
    and ``done()`` that every page is laid out and the PDF is being written."""
    ident = threading.get_ident()
    with _LISTENER.lock:
        if not _LISTENER.listeners:
            _LISTENER.level_before = PROGRESS_LOGGER.level
            PROGRESS_LOGGER.addFilter(_LISTENER)
            PROGRESS_LOGGER.setLevel(logging.INFO)
        _LISTENER.listeners[ident] = _Pass(callback, done)
    try:
        yield
    finally:
        with _LISTENER.lock:
            _LISTENER.listeners.pop(ident, None)
            if not _LISTENER.listeners:
                PROGRESS_LOGGER.removeFilter(_LISTENER)
                PROGRESS_LOGGER.setLevel(_LISTENER.level_before)


# ---- "my report jobs" -------------------------------------------------------------------------

MY_JOB_KINDS = (JOB_KIND, CERTIFICATES_ZIP_KIND, EVALUATION_KIND)
KIND_LABELS = {
    (JOB_KIND, "xlsx"): _l("Báo cáo hoàn thành (XLSX)"),
    (JOB_KIND, "pdf"): _l("Báo cáo hoàn thành (PDF)"),
    (CERTIFICATES_ZIP_KIND, None): _l("Giấy chứng nhận hàng loạt (ZIP)"),
    (EVALUATION_KIND, None): _l("Đánh giá đào tạo cuối năm (PDF)"),
}
# each kind's own page and download (the completion report's are the default)
JOB_ENDPOINTS = {
    CERTIFICATES_ZIP_KIND: ("certificates.bulk_status", "certificates.bulk_download"),
    EVALUATION_KIND: ("training.evaluation_job", "training.evaluation_job_download"),
}
STATUS_LABELS = {
    "queued": _l("Đang chờ"),
    "running": _l("Đang tạo"),
    "finished": _l("Đã xong"),
    "failed": _l("Không tạo được"),
    "expired": _l("Đã hết hạn"),
}


@dataclass
class JobRow:
    """One line of "my report jobs", in the words the page shows."""

    job: Job
    label: str
    fmt: str | None
    status: str  # a key of STATUS_LABELS
    size: int | None  # bytes of the file while it can be downloaded

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def endpoints(self) -> tuple[str, str]:
        """The job's page and its download link."""
        return JOB_ENDPOINTS.get(
            self.job.kind, ("reports.export_job", "reports.export_job_download")
        )

    @property
    def unit_of_progress(self) -> str:
        """What the progress counts: pages of a PDF, rows of a spreadsheet, certificates, people
        (a year-end evaluation)."""
        if self.job.kind == CERTIFICATES_ZIP_KIND:
            return "certificates"
        if self.job.kind == EVALUATION_KIND:
            return "people"
        return "pages" if self.fmt == "pdf" else "rows"


def describe_job(job: Job) -> JobRow:
    fmt = job_format(job) if job.kind == JOB_KIND else None
    ready = download_ready(job)
    status = job.status if job.status in STATUS_LABELS else "queued"
    if status == "finished" and not ready:
        status = "expired"
    size = _file_size(job.result_path) if ready else None
    return JobRow(job=job, label=str(KIND_LABELS[job.kind, fmt]), fmt=fmt, status=status, size=size)


def my_jobs(user, page: int = 1, per_page: int = 20):
    """A page of the report jobs and certificate ZIPs ``user`` started, newest first."""
    stmt = (
        select(Job)
        .where(Job.created_by_id == user.id, Job.kind.in_(MY_JOB_KINDS))
        .order_by(Job.created_at.desc(), Job.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _file_size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def readable_size(size: int | None) -> str:
    """``1234567`` → "1,2 MB" (in the reader's language); "—" for no file."""
    if size is None:
        return "—"
    value, units = float(size), ["B", "KB", "MB", "GB"]
    while value >= 1024 and len(units) > 1:
        value, units = value / 1024, units[1:]
    return f"{format_decimal(round(value, 1), '#,##0.#')} {units[0]}"
