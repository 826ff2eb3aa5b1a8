"""Bulk ZIP of certificates for a unit subtree and/or a course, built as a background job.

The ZIP holds one PDF per certificate and a list, ``danh-sach.csv``: each certificate's serial,
holder, unit (code and full path, so cells of one name in different wards differ), course and
dates, and the PDF's file name."""

from __future__ import annotations

import csv
import io
import os
import zipfile

from flask_babel import gettext as _
from sqlalchemy import select

from academy.auth.models import Unit, User
from academy.auth.units import unit_directory
from academy.catalog.models import Course
from academy.certificates.models import Certificate
from academy.certificates.services import local_date, pdf_bytes
from academy.core.cells import neutralise
from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.jobs import Job, enqueue, export_file, offer_download, report_progress

JOB_KIND = "certificates.zip"
PROGRESS_EVERY = 20
MANIFEST_NAME = "danh-sach.csv"
MANIFEST_BATCH = 2000


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
        entry = zipfile.ZipInfo(MANIFEST_NAME, date_time=_zip_time())
        entry.compress_type = zipfile.ZIP_DEFLATED  # text, unlike the PDFs, compresses well
        with archive.open(entry, "w") as manifest:
            write_manifest(manifest, ids)
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


def _zip_time():
    return tuple(utcnow().astimezone(academy_zone()).timetuple())[:6]


def manifest_headers() -> list[str]:
    return [
        _("Số hiệu"),
        _("Họ và tên"),
        _("Mã cán bộ"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Đơn vị (đầy đủ)"),
        _("Khoá học"),
        _("Ngày cấp"),
        _("Tệp"),
    ]


def write_manifest(target, ids: list[int]) -> None:
    """The ZIP's list as UTF-8 CSV (with a BOM, for Excel) into the binary file ``target``: one row
    per certificate in ``ids``, in that order. Units come from one directory read, never a query
    per row; every text cell is formula-safe."""
    units = unit_directory()
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(manifest_headers())
    for start in range(0, len(ids), MANIFEST_BATCH):
        batch = ids[start : start + MANIFEST_BATCH]
        rows = db.session.execute(
            select(
                Certificate.id,
                Certificate.serial,
                Certificate.issued_at,
                User.full_name,
                User.employee_code,
                User.unit_id,
                Course.title,
            )
            .join(User, User.id == Certificate.user_id)
            .join(Course, Course.id == Certificate.course_id)
            .where(Certificate.id.in_(batch))
        ).all()
        by_id = {row.id: row for row in rows}
        for certificate_id in batch:
            row = by_id.get(certificate_id)
            if row is None:  # deleted since the list was read
                continue
            unit = units.get(row.unit_id)
            cells = [
                row.serial,
                row.full_name,
                row.employee_code or "",
                unit.code if unit else "",
                unit.name if unit else "",
                unit.full_name if unit else "",
                row.title,
                local_date(row.issued_at).isoformat(),
                f"{row.serial}.pdf",
            ]
            writer.writerow([neutralise(cell) for cell in cells])
    text.flush()
    text.detach()  # the ZIP entry stays open for the archive to close
