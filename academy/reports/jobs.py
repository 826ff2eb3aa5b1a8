"""Large XLSX reports run as background jobs (academy.jobs): the file lands in instance/exports/."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update

from academy.auth.models import Unit
from academy.extensions import db
from academy.jobs import Job, enqueue, export_file, offer_download, report_progress
from academy.reports.exporters import write_xlsx
from academy.reports.queries import ReportFilters
from academy.reports.services import count_rows, stream_rows

EXPORT_FUNC = "academy.reports.jobs:export_completion"
JOB_KIND = "report.completion"


def filters_to_params(filters: ReportFilters, fmt: str) -> dict:
    return {
        "format": fmt,
        "scope_id": getattr(filters.scope, "id", None),
        "unit_id": getattr(filters.unit, "id", None),
        "course_id": filters.course_id,
        "status": filters.status,
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
        now=datetime.fromisoformat(params["now"]),
        date_from=date.fromisoformat(params["from"]) if params.get("from") else None,
        date_to=date.fromisoformat(params["to"]) if params.get("to") else None,
    )


def start_export(filters: ReportFilters, fmt: str, user) -> Job:
    """Queue the export; the caller commits (the job starts after the commit)."""
    return enqueue(
        EXPORT_FUNC, kind=JOB_KIND, params=filters_to_params(filters, fmt), user_id=user.id
    )


def export_completion(job_id: str) -> None:
    """The job: write the report to a file, then record where it is and when it expires."""
    job = db.session.get(Job, job_id)
    filters = params_to_filters(job.params)
    total = count_rows(filters)
    report_progress(job_id, 0, total)
    path = export_file(f"{job_id}.xlsx")
    write_xlsx(_with_progress(stream_rows(filters), job_id, total), path)
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
            with db.engine.begin() as connection:
                connection.execute(
                    update(Job).where(Job.id == job_id).values(progress=count, total=total)
                )
