"""A person's transcript, as a page and as a PDF: HR for the people in its units (admins for
everyone), and every signed-in person for themselves. Routes on the reports blueprint."""

from __future__ import annotations

from flask import Response, render_template, url_for
from flask_login import current_user, login_required

from academy.auth.access import can_see_person, hr_scope, require, roles_required
from academy.auth.models import User
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.extensions import db
from academy.i18n import academy_zone
from academy.reports.exporters import STATUS_LABELS
from academy.reports.transcript import (
    Transcript,
    build_transcript,
    local_day,
    local_time,
    render_pdf,
)
from academy.reports.views import bp


def _person(user_id: int) -> User:
    """Someone this HR officer may see: in their unit or below (anyone, for admins), active or
    deactivated; anyone else is the same 404 as a missing person."""
    hr_scope(current_user)  # HR or admin, else 403
    person = db.session.get(User, user_id)
    require(person is not None and can_see_person(current_user, person))
    return person


def _audit(action: str, transcript: Transcript) -> None:
    """Another person's transcript seen or downloaded: recorded before any of it goes out."""
    person = transcript.person
    if person.id == current_user.id:
        return
    record_audit(
        action,
        target=f"user:{person.id}",
        detail={
            "employee_code": person.employee_code,
            "unit": transcript.unit.code if transcript.unit else None,
        },
    )
    db.session.commit()


def _page(transcript: Transcript, pdf_url: str):
    return render_template(
        "reports/transcript.html",
        t=transcript,
        day=local_day,
        generated_at=local_time(transcript.now),
        pdf_url=pdf_url,
        statuses=STATUS_LABELS,
        is_self=transcript.person.id == current_user.id,
    )


def _pdf(transcript: Transcript) -> Response:
    person = transcript.person
    name = download_filename(
        "ho-so-hoc-tap",
        person.employee_code or f"id{person.id}",
        person.full_name,
        transcript.now.astimezone(academy_zone()).strftime("%Y%m%d"),
        ext="pdf",
    )
    return Response(
        render_pdf(transcript),
        mimetype="application/pdf",
        headers={"Content-Disposition": attachment_header(name)},
    )


@bp.get("/reports/people/<int:user_id>/transcript")
@roles_required("hr")
def transcript(user_id: int):
    result = build_transcript(_person(user_id))
    _audit("transcript.view", result)
    return _page(result, url_for("reports.transcript_pdf", user_id=user_id))


@bp.get("/reports/people/<int:user_id>/transcript.pdf")
@roles_required("hr")
def transcript_pdf(user_id: int):
    result = build_transcript(_person(user_id))
    _audit("transcript.download", result)
    return _pdf(result)


@bp.get("/me/transcript")
@login_required
def my_transcript():
    return _page(
        build_transcript(current_user._get_current_object()), url_for("reports.my_transcript_pdf")
    )


@bp.get("/me/transcript.pdf")
@login_required
def my_transcript_pdf():
    return _pdf(build_transcript(current_user._get_current_object()))
