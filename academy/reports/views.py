"""Reports: the completion report (browser, CSV, XLSX, PDF), the live dashboard, assignments."""

from __future__ import annotations

import tempfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from academy.auth.access import hr_scope, roles_required
from academy.auth.units import unit_choices, unit_directory
from academy.catalog.services import course_choices
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.extensions import db
from academy.i18n import academy_zone
from academy.jobs import download_ready, own_job
from academy.reports import services
from academy.reports.dashboard import cached_dashboard_data
from academy.reports.exporters import (
    COLUMNS,
    SEPARATORS,
    SOURCE_LABELS,
    STATUS_LABELS,
    csv_chunks,
    write_xlsx,
)
from academy.reports.forms import ReportFilterForm
from academy.reports.jobs import JOB_KIND, MIMETYPES, job_format, start_export

bp = Blueprint("reports", __name__, template_folder="templates")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filter_form(scope):
    form = ReportFilterForm(request.args, meta={"csrf": False})
    form.unit.choices = unit_choices(scope, blank=_("Tất cả đơn vị trong phạm vi"))
    form.course.choices = course_choices(blank=_("Tất cả khoá học"))
    return form


def _download_filters():
    """The reader's filters for a download (400 if invalid)."""
    scope = hr_scope(current_user)
    form = _filter_form(scope)
    if request.args and not form.validate():
        abort(400)
    return services.filters_from_form(form, scope)


def _audit_download(fmt: str, filters, via: str = "web") -> None:
    services.record_download(fmt, filters, via=via)
    db.session.commit()  # the audit lands before any data goes out


def _attachment(fmt: str, filters) -> dict:
    return {"Content-Disposition": attachment_header(services.download_name(fmt, filters))}


@bp.get("/dashboard")
@roles_required("hr")
def dashboard():
    """Mandatory courses unless ``?courses=all`` asks for every course (voluntary ones too)."""
    scope = hr_scope(current_user)
    all_courses = request.args.get("courses") == "all"
    return render_template(
        "reports/dashboard.html",
        data=cached_dashboard_data(scope, all_courses),
        scope=scope,
        all_courses=all_courses,
    )


@bp.get("/dashboard/data.json")
@roles_required("hr")
def dashboard_json():
    all_courses = request.args.get("courses") == "all"
    return jsonify(cached_dashboard_data(hr_scope(current_user), all_courses))


@bp.get("/reports/completion")
@roles_required("hr")
def completion():
    scope = hr_scope(current_user)
    form = _filter_form(scope)
    if request.args and not form.validate():
        return render_template(
            "reports/completion.html",
            form=form,
            rows=[],
            totals=None,
            page=None,
            args={},
            columns=COLUMNS,
        ), 400
    filters = services.filters_from_form(form, scope)
    rows, totals, page = services.report_page(
        filters, form.sort_key, form.descending, request.args.get("page", 1, type=int)
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "reports/completion.html",
        form=form,
        rows=rows,
        totals=totals,
        page=page,
        args=args,
        columns=COLUMNS,
        statuses=STATUS_LABELS,
        sources=SOURCE_LABELS,
        units=unit_directory(),
        period_text=services.period_statement(filters),
    )


@bp.get("/reports/completion.csv")
@roles_required("hr")
def completion_csv():
    separator = SEPARATORS.get(request.args.get("sep", "comma")) or abort(400)
    filters = _download_filters()
    _audit_download("csv", filters)
    heading = services.report_heading(filters)
    body = stream_with_context(
        csv_chunks(services.stream_rows(filters), separator, heading=heading)
    )
    return Response(body, mimetype="text/csv", headers=_attachment("csv", filters))


@bp.get("/reports/completion.xlsx")
@roles_required("hr")
def completion_xlsx():
    filters = _download_filters()
    if services.count_rows(filters) > current_app.config["REPORT_XLSX_SYNC_MAX_ROWS"]:
        return _export_in_background(filters)
    _audit_download("xlsx", filters)
    # On disk, not in memory; send_file owns it and closes (so removes) it once the body is sent.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - a `with` would close it before sending
    write_xlsx(services.stream_rows(filters), spool, heading=services.report_heading(filters))
    spool.seek(0)
    return send_file(
        spool,
        mimetype=XLSX_MIME,
        as_attachment=True,
        download_name=services.download_name("xlsx", filters),
    )


@bp.get("/reports/completion.pdf")
@roles_required("hr")
def completion_pdf():
    """A small report downloads at once; a larger one (``REPORT_PDF_SYNC_MAX_ROWS``) is laid out
    by a background job while the reader watches its page."""
    filters = _download_filters()
    if services.count_rows(filters) > current_app.config["REPORT_PDF_SYNC_MAX_ROWS"]:
        return _export_in_background(filters, "pdf")
    _audit_download("pdf", filters)
    return Response(
        services.pdf_bytes(filters), mimetype="application/pdf", headers=_attachment("pdf", filters)
    )


def _export_in_background(filters, fmt: str = "xlsx"):
    job = start_export(filters, fmt, current_user)
    _audit_download(fmt, filters, via="job")
    flash(_("Báo cáo lớn đang được tạo; trang này sẽ có liên kết tải khi xong."), "info")
    return redirect(url_for("reports.export_job", job_id=job.id))


@bp.get("/reports/jobs/<job_id>")
@roles_required("hr")
def export_job(job_id: str):
    job = own_job(job_id, current_user, JOB_KIND)
    return render_template(
        "reports/job.html", job=job, fmt=job_format(job), available=download_ready(job)
    )


@bp.get("/reports/jobs/<job_id>/download")
@roles_required("hr")
def export_job_download(job_id: str):
    job = own_job(job_id, current_user, JOB_KIND)
    if not download_ready(job):
        abort(404)
    fmt = job_format(job)
    record_audit(
        "report.download", target=f"completion.{fmt}", detail={"job": job.id, "via": "job file"}
    )
    db.session.commit()
    requested = job.created_at.astimezone(academy_zone())
    return send_file(
        job.result_path,
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=download_filename("bao-cao-hoan-thanh", f"{requested:%Y%m%d-%H%M}", ext=fmt),
    )


from academy.reports import (  # noqa: E402,F401 - routes on the same blueprint
    assignment_views,
    attempt_views,
    job_views,
    matrix_views,
    transcript_views,
    warning_views,
)
