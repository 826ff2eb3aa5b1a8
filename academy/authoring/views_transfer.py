"""Authoring routes for the round trip: export a course as a ZIP, import ZIPs."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from academy.auth.access import roles_required
from academy.authoring import services
from academy.authoring.forms import UploadForm
from academy.authoring.transfer import import_zip_upload
from academy.authoring.views import bp, load_course
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.coursefiles.errors import ContentError
from academy.coursefiles.exporter import export_course_zip
from academy.extensions import db


@bp.get("/authoring/courses/<int:course_id>/export.zip")
@roles_required("instructor")
def course_export(course_id: int):
    live = load_course(course_id)
    live = live.draft_of or live
    blob = export_course_zip(live)
    record_audit(
        "authoring.course.export", f"course:{live.id}", {"bytes": len(blob)}, actor=current_user
    )
    db.session.commit()
    disposition = attachment_header(download_filename(live.slug, ext="zip"))
    return Response(blob, mimetype="application/zip", headers={"Content-Disposition": disposition})


@bp.post("/authoring/import")
@roles_required("instructor")
def course_import():
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Chưa chọn tệp ZIP."), "danger")
        return redirect(url_for("authoring.index"), 303)
    upload = form.file.data
    try:
        reports = import_zip_upload(upload.read(), upload.filename or "", current_user)
    except ContentError as exc:
        db.session.rollback()
        return render_template(
            "authoring/index.html",
            courses=services.editable_courses(current_user),
            upload_form=UploadForm(formdata=None),
            errors=exc.errors,
        ), 400
    db.session.commit()
    for report in reports:
        flash(report.summary(), "success")
    return redirect(url_for("authoring.index"), 303)
