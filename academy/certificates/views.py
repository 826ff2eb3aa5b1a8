"""Certificates: my list, download, public verification, bulk ZIP. Admin pages in admin_views."""

from __future__ import annotations

from operator import attrgetter

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.access import can_see_person, hr_scope, require, roles_required
from academy.auth.models import Unit
from academy.auth.units import unit_choices
from academy.catalog.services import course_choices
from academy.certificates import bulk, services
from academy.certificates.forms import BulkZipForm, VerifyUploadForm
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.core.once import submit_once
from academy.extensions import db, limiter
from academy.jobs import download_ready, own_job

bp = Blueprint("certificates", __name__, template_folder="templates")


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.get("/me/certificates")
@login_required
def my_certificates():
    certificates = services.list_user_certificates(current_user)
    return render_template("certificates/mine.html", certificates=certificates)


@bp.get("/certificates/<serial>.pdf")
@login_required
def download(serial: str):
    """Owner, HR over the owner's unit, admins; anyone else gets the same 404 as a wrong serial."""
    certificate = services.find_by_serial(serial)
    require(certificate is not None and can_see_person(current_user, certificate.user))
    data = services.pdf_bytes(certificate)
    if certificate.user_id != current_user.id:
        record_audit("certificate.download", certificate.serial, {"owner_id": certificate.user_id})
    db.session.commit()
    response = Response(data, mimetype="application/pdf")
    name = download_filename(certificate.serial, ext="pdf")
    response.headers["Content-Disposition"] = attachment_header(name)
    return response


@bp.get("/verify")
@limiter.limit(_verify_limit)
def verify_lookup():
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=code))
    return render_template("certificates/verify_lookup.html")


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: valid or revoked (never why), with what the paper shows and, for a revoked one, a
    link to its replacement; optionally check an uploaded PDF."""
    certificate = services.find_by_code(code)
    if certificate is None:
        return render_template("certificates/verify_missing.html"), 404
    form = VerifyUploadForm()
    genuine, status = None, 200
    if request.method == "POST":
        genuine, status = _check_upload(form, certificate)
    completed = (
        services.completion_time(certificate.user_id, certificate.course_id)
        or certificate.issued_at
    )
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        replacement=services.find_replacement(certificate),
        form=form,
        completed_at=completed,
        genuine=genuine,
    ), status


def _check_upload(form: VerifyUploadForm, certificate) -> tuple[bool | None, int]:
    if not form.validate_on_submit():
        return None, 400
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = form.document.data.read(limit + 1)
    if len(data) > limit:
        form.document.errors.append(_("Tệp lớn hơn %(mb)s MB.", mb=limit // (1024 * 1024)))
        return None, 413
    if not data.startswith(b"%PDF-"):
        form.document.errors.append(_("Tệp này không phải là PDF."))
        return None, 400
    return services.is_genuine_pdf(certificate, data), 200


@bp.route("/certificates/bulk", methods=["GET", "POST"])
@roles_required("hr")
@submit_once
def bulk_new():
    scope = hr_scope(current_user)
    form = BulkZipForm()
    # Published courses only: never a draft (an instructor's work in progress, not HR's to see).
    # An id posted outside these lists fails the form's choice check (400).
    every_unit = _("Tất cả đơn vị") if scope is None else None  # HR picks within its own unit
    form.unit_id.choices = unit_choices(scope, every_unit, blank_value=0, label=attrgetter("name"))
    form.course_id.choices = course_choices(
        _("Tất cả khoá học"), blank_value=0, published_only=True
    )
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else scope
        require(unit is None or scope is None or scope.contains(unit))
        job = bulk.request_bulk_zip(current_user, unit, form.course_id.data)
        db.session.commit()
        return redirect(url_for("certificates.bulk_status", job_id=job.id))
    return render_template("certificates/bulk_new.html", form=form), 400 if form.errors else 200


@bp.get("/certificates/bulk/<job_id>")
@roles_required("hr")
def bulk_status(job_id: str):
    job = own_job(job_id, current_user, bulk.JOB_KIND)
    return render_template("certificates/bulk_status.html", job=job, available=download_ready(job))


@bp.get("/certificates/bulk/<job_id>.json")
@roles_required("hr")
def bulk_progress(job_id: str):
    job = own_job(job_id, current_user, bulk.JOB_KIND)
    available = download_ready(job)
    return {
        "status": job.status,
        "progress": job.progress,
        "total": job.total,
        "error": bool(job.error),
        "download_url": url_for("certificates.bulk_download", job_id=job.id) if available else None,
    }


@bp.get("/certificates/bulk/<job_id>.zip")
@roles_required("hr")
def bulk_download(job_id: str):
    job = own_job(job_id, current_user, bulk.JOB_KIND)
    if not download_ready(job):
        flash(_("Liên kết tải đã hết hạn hoặc tệp chưa sẵn sàng."), "warning")
        return render_template("certificates/bulk_status.html", job=job, available=False), 410
    record_audit("certificate.bulk_download", job.id, dict(job.params))
    db.session.commit()
    name = download_filename("giay-chung-nhan", f"{job.created_at:%Y%m%d-%H%M}", ext="zip")
    return send_file(
        job.result_path, mimetype="application/zip", as_attachment=True, download_name=name
    )


# Register the admin routes and the Open Badges credential routes on bp.
from academy.certificates import admin_views, credential_views  # noqa: E402,F401
