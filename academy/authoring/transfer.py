"""Course ZIPs from the browser: the importer's own parser and merge, with the browser's rules.

An upload may only touch courses the uploader may edit; a published course receives the import
in its draft copy (learners keep the published version until the author publishes); a new course
arrives as a draft. All or nothing: any problem raises ``ContentErrors`` before the caller commits.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

from flask_babel import gettext as _
from sqlalchemy import select

from academy.auth.access import can_edit_course
from academy.authoring.drafts import draft_for_editing
from academy.catalog.models import Course
from academy.core.audit import record_audit
from academy.coursefiles.archive import archive_label, unpacked_zip
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import CourseData
from academy.coursefiles.errors import ContentError, ErrorList
from academy.coursefiles.importer import parse_courses
from academy.coursefiles.media import install_images
from academy.coursefiles.sync import apply_course, course_to_data, finish_courses
from academy.coursefiles.writer import course_files
from academy.extensions import db


def import_zip_upload(blob: bytes, filename: str, user) -> list[ChangeReport]:
    """Import an uploaded ZIP for ``user``. Raises ContentError(s) naming file and line.

    The upload's name is only quoted back (and, for a ZIP with course.md at its top, read as the
    course slug when it is one): it never names a folder. Every member is checked before anything
    is unpacked, into a private folder that is gone when this returns or raises."""
    shown = archive_label(filename)
    if not zipfile.is_zipfile(io.BytesIO(blob)):
        raise ContentError(shown, 0, _("Tệp tải lên không phải tệp ZIP."))
    with unpacked_zip(blob, filename or "") as root:
        courses = parse_courses(root, label=shown)
        items, applied, errors = [], [], ErrorList()
        for data in courses:
            try:
                item = _import_one(data, user)
            except ContentError as exc:
                errors.extend(exc)
                continue
            items.append(item)
            if item[1].has_changes:
                applied.append(item)
        errors.raise_if_any()
        finish_courses(applied)
        for data, report in items:  # the images, once the content is sure to be taken
            report.images = install_images(data.media)
    for data, report in items:
        record_audit(
            "authoring.course.import",
            f"course:{data.slug}",
            {"changes": report.lines()[:50]},
            actor=user,
        )
    return [report for _data, report in items]


def _import_one(data: CourseData, user) -> tuple[CourseData, ChangeReport]:
    """Merge one course of the upload, or nothing at all when it says what the course already says
    (no draft copy made, no lesson revision, "no change" reported)."""
    if _is_unchanged(data, user):
        return data, ChangeReport(slug=data.slug)
    target = _target_for(data, user)
    return target, apply_course(target, actor=user, with_prerequisites=False)


def _is_unchanged(data: CourseData, user) -> bool:
    """True when the course exists, may be edited by ``user``, and its draft (or, without one,
    the course itself) would export exactly the files uploaded."""
    live = db.session.scalar(select(Course).where(Course.slug == data.slug))
    if live is None or not can_edit_course(user, live):
        return False
    current = course_to_data(live.draft or live)
    current.readdress(live.slug)
    return course_files(_without_status(current)) == course_files(_without_status(data))


def _without_status(data: CourseData) -> CourseData:
    return replace(data, status=None)


def _target_for(data: CourseData, user) -> CourseData:
    """Point the data at what the browser may change: a new draft, a draft, or a draft copy."""
    where = f"{data.source or data.slug}/course.md"
    live = db.session.scalar(select(Course).where(Course.slug == data.slug))
    if live is None:
        data.status = "draft"
        return data
    if not can_edit_course(user, live):
        raise ContentError(
            where, 1, _("Khoá học “%(slug)s” đã có và bạn không có quyền sửa.", slug=data.slug)
        )
    data.status = None
    draft = draft_for_editing(live, user)
    if draft is not live:
        data.readdress(draft.slug)
    return data
