"""The year-end evaluation: HR (for its units) and admins choose a unit and a year, then download
the XLSX or the PDF. Every download is audited (``report.download``) before any data goes out; a
PDF for many people is laid out by a background job whose page the reader watches."""

from __future__ import annotations

import tempfile

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from academy.auth.access import hr_scope, roles_required
from academy.auth.models import Unit
from academy.auth.units import unit_choices, unit_full_name
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.database import db, utcnow
from academy.forms import Form, int_or_none
from academy.i18n import academy_zone
from academy.jobs import download_ready, own_job
from academy.training.evaluation import build_evaluation, count_people, people_select
from academy.training.evaluation_files import (
    JOB_KIND,
    XLSX_MIME,
    download_name,
    render_pdf,
    start_pdf_job,
    write_xlsx,
)
from academy.training.hours import year_hours
from academy.training.views import bp


class EvaluationForm(Form):
    """Read from the query string; no CSRF (nothing is written)."""

    class Meta:
        csrf = False

    unit = SelectField(
        _l("Đơn vị (gồm đơn vị cấp dưới)"), coerce=int_or_none, validators=[Optional()]
    )
    year = IntegerField(_l("Năm"), validators=[Optional(), NumberRange(2000, 2100)])


def _this_year() -> int:
    return utcnow().astimezone(academy_zone()).year


def _choice():
    """The form and the (unit, year) it names: a unit outside the reader's scope is a 404 (as a
    missing one), a year that is no year a 400."""
    scope = hr_scope(current_user)
    form = EvaluationForm(request.args)
    blank = scope.name if scope is not None else _("Toàn thành phố")
    form.unit.choices = unit_choices(scope, blank=blank)
    if not form.validate():
        abort(404 if form.unit.errors else 400)
    unit = db.session.get(Unit, form.unit.data) if form.unit.data else scope
    return form, unit, form.year.data or _this_year()


def _audit(fmt: str, unit: Unit | None, year: int, people: int, via: str = "web") -> None:
    record_audit(
        "report.download",
        target=f"evaluation.{fmt}",
        detail={"unit": unit.code if unit else None, "year": year, "people": people, "via": via},
    )
    db.session.commit()  # the audit lands before any data goes out


@bp.get("/evaluation")
@roles_required("hr")
def evaluation():
    form, unit, year = _choice()
    form.year.data = year
    hours = year_hours(people_select(unit), year) if request.args else {}
    people = count_people(unit) if request.args else 0
    met = sum(1 for found in hours.values() if found.met)
    total = sum(found.total for found in hours.values())
    return render_template(
        "training/evaluation.html",
        form=form,
        chosen=bool(request.args),
        args={"unit": unit.id if unit else "", "year": year},
        unit_name=unit_full_name(unit) if unit else _("Toàn thành phố"),
        year=year,
        people=people,
        met=met,
        average=total / people if people else 0,
        in_background=people > current_app.config["EVALUATION_PDF_SYNC_MAX_PEOPLE"],
    )


@bp.get("/evaluation.xlsx")
@roles_required("hr")
def evaluation_xlsx():
    _form, unit, year = _choice()
    result = build_evaluation(unit, year)
    _audit("xlsx", unit, year, len(result.people))
    # On disk, not in memory; send_file owns it and closes (so removes) it once the body is sent.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - a `with` would close it before sending
    write_xlsx(result, spool)
    spool.seek(0)
    return send_file(
        spool, mimetype=XLSX_MIME, as_attachment=True, download_name=download_name(result, "xlsx")
    )


@bp.get("/evaluation.pdf")
@roles_required("hr")
def evaluation_pdf():
    """A small scope downloads at once; a larger one (``EVALUATION_PDF_SYNC_MAX_PEOPLE``) is laid
    out by a background job while the reader watches its page."""
    _form, unit, year = _choice()
    people = count_people(unit)
    if people > current_app.config["EVALUATION_PDF_SYNC_MAX_PEOPLE"]:
        job = start_pdf_job(unit, year, utcnow(), current_user)
        _audit("pdf", unit, year, people, via="job")
        flash(_("Bản PDF lớn đang được tạo; trang này sẽ có liên kết tải khi xong."), "info")
        return redirect(url_for("training.evaluation_job", job_id=job.id))
    result = build_evaluation(unit, year)
    _audit("pdf", unit, year, len(result.people))
    return Response(
        render_pdf(result),
        mimetype="application/pdf",
        headers={"Content-Disposition": attachment_header(download_name(result, "pdf"))},
    )


@bp.get("/evaluation/jobs/<job_id>")
@roles_required("hr")
def evaluation_job(job_id: str):
    job = own_job(job_id, current_user, JOB_KIND)
    return render_template("training/evaluation_job.html", job=job, available=download_ready(job))


@bp.get("/evaluation/jobs/<job_id>/download")
@roles_required("hr")
def evaluation_job_download(job_id: str):
    job = own_job(job_id, current_user, JOB_KIND)
    if not download_ready(job):
        abort(404)
    record_audit(
        "report.download", target="evaluation.pdf", detail={"job": job.id, "via": "job file"}
    )
    db.session.commit()
    params = job.params or {}
    name = download_filename(
        "danh-gia-dao-tao",
        params.get("unit_code") or "toan-thanh-pho",
        params.get("year"),
        ext="pdf",
    )
    return send_file(
        job.result_path, mimetype="application/pdf", as_attachment=True, download_name=name
    )
