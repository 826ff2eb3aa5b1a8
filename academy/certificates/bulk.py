"""Bulk ZIP of certificates for a unit subtree and/or a course, built as a background job."""

from __future__ import annotations

import os
import zipfile

from sqlalchemy import select

from academy.auth.models import Unit, User
from academy.certificates.models import Certificate
from academy.certificates.services import pdf_bytes
from academy.database import db
from academy.jobs import Job, enqueue, export_file, offer_download, report_progress

JOB_KIND = "certificates.zip"
PROGRESS_EVERY = 20


def request_bulk_zip(user, unit: Unit | None, course_id: int | None) -> Job:
    """Queue a ZIP build for ``user`` (the caller has checked ``unit`` is within their scope)."""
    params = {"unit_id": unit.id if unit else None, "course_id": course_id or None}
    return enqueue(
        "academy.certificates.bulk:build_zip", kind=JOB_KIND, params=params, user_id=user.id
    )


def certificates_query(unit_id: int | None, course_id: int | None):
    """Live certificates of people in the unit's subtree and/or of the course."""
    stmt = (
        select(Certificate.id).where(Certificate.revoked_at.is_(None)).order_by(Certificate.serial)
    )
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        stmt = stmt.join(User, User.id == Certificate.user_id).where(
            User.unit_id.in_(unit.subtree_ids_select())
        )
    if course_id:
        stmt = stmt.where(Certificate.course_id == course_id)
    return stmt


def build_zip(job_id: str) -> None:
    """The job: write every matching PDF into instance/exports/<job>.zip, reporting progress."""
    job = db.session.get(Job, job_id)
    ids = list(
        db.session.scalars(
            certificates_query(job.params.get("unit_id"), job.params.get("course_id"))
        )
    )
    report_progress(job_id, 0, len(ids))
    final = export_file(f"certificates-{job_id}.zip")
    partial = final + ".part"
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, certificate_id in enumerate(ids, start=1):
            certificate = db.session.get(Certificate, certificate_id)
            archive.writestr(f"{certificate.serial}.pdf", pdf_bytes(certificate))
            db.session.commit()  # keeps a PDF rendered for an older row; frees the identity map
            db.session.expunge_all()
            if done % PROGRESS_EVERY == 0 or done == len(ids):
                report_progress(job_id, done, len(ids))
    os.replace(partial, final)  # PDFs are already compressed: stored, and never seen half-written
    offer_download(db.session.get(Job, job_id), final)
    db.session.commit()
