"""Training a cadre did elsewhere, recorded by HR with the document that proves it.

The rules, as HR reads them: a record needs a title, 0.5 to 200 hours, a completion date that is
not in the future, and one document (a PDF, JPEG or PNG of at most ``UPLOAD_MAX_BYTES``), judged by
its content, not its name: a PDF must start as a PDF does, an image must open as a PNG or JPEG
picture. The document is kept as ``instance/external/<random>.<ext>`` with its original name for
display; the person and HR who may see the person may download it. A refused record writes
nothing: neither the row nor the file.
"""

from __future__ import annotations

import io
import os
import re
import uuid
import warnings
from datetime import date

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _

from academy.core.audit import record_audit
from academy.coursefiles.media import sniff_image
from academy.errors import BadRequest
from academy.extensions import db
from academy.training.models import ExternalTraining

try:  # Pillow comes with WeasyPrint; without it an image is judged by its signature alone
    from PIL import Image
except ImportError:  # pragma: no cover - Pillow is installed with WeasyPrint
    Image = None

MIN_HOURS, MAX_HOURS = 0.5, 200.0
FOLDER = "external"
MIME_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
STORED_RE = re.compile(r"^external/[0-9a-f]{32}\.(pdf|jpg|png)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ExternalTrainingRefused(BadRequest):
    """A record that cannot be kept; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str = "document"):
        super().__init__(message)
        self.message, self.field = message, field


def sniff_document(data: bytes) -> str | None:
    """The extension for a PDF, PNG or JPEG, judged by the content (images must also open)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    ext = sniff_image(data[:16])
    if ext not in ("png", "jpg"):
        return None
    if Image is None:
        return ext
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as picture:
                kind = picture.format
                picture.verify()
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of errors on a broken image
        return None
    return ext if kind == {"png": "PNG", "jpg": "JPEG"}[ext] else None


def display_name(filename: str | None, ext: str) -> str:
    """The uploaded file's own name, without folders or control characters (for display)."""
    name = _CONTROL.sub("", os.path.basename((filename or "").replace("\\", "/"))).strip()
    return name[-300:] or f"tai-lieu.{ext}"


def _check(title: str, hours: float, completed_on: date, today: date) -> None:
    if not title.strip():
        raise ExternalTrainingRefused(_("Hãy nhập tên khoá đào tạo."), "title")
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise ExternalTrainingRefused(
            _(
                "Số giờ phải từ %(min)s đến %(max)s.",
                min=format_decimal(MIN_HOURS),
                max=int(MAX_HOURS),
            ),
            "hours",
        )
    if completed_on > today:
        raise ExternalTrainingRefused(_("Ngày hoàn thành không thể ở tương lai."), "completed_on")


def _read_document(upload) -> tuple[bytes, str]:
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    data = upload.stream.read(limit + 1) if upload is not None else b""
    if not data:
        raise ExternalTrainingRefused(_("Tệp tải lên trống."))
    if len(data) > limit:
        raise ExternalTrainingRefused(
            _("Tệp vượt quá dung lượng cho phép (%(mb)s MB).", mb=round(limit / 1048576, 1))
        )
    ext = sniff_document(data)
    if ext is None:
        raise ExternalTrainingRefused(_("Chỉ nhận tệp PDF, ảnh JPEG hoặc PNG hợp lệ."))
    return data, ext


def record_external_training(
    person, actor, *, title, provider, hours, completed_on, upload, today: date
) -> ExternalTraining:
    """Check and keep one external training of ``person`` with its document (flushed, audited).
    Raises ``ExternalTrainingRefused`` before writing anything."""
    hours = float(hours)
    _check(title, hours, completed_on, today)
    data, ext = _read_document(upload)
    relative = f"{FOLDER}/{uuid.uuid4().hex}.{ext}"
    record = ExternalTraining(
        user_id=person.id,
        title=title.strip(),
        provider=(provider or "").strip(),
        hours=round(hours, 2),
        completed_on=completed_on,
        document_name=display_name(getattr(upload, "filename", ""), ext),
        document_path=relative,
        recorded_by_id=actor.id,
    )
    _write(relative, data)
    try:
        db.session.add(record)
        db.session.flush()
        record_audit(
            "training.external.record",
            target=f"user:{person.id}",
            detail={
                "external_training": record.id,
                "title": record.title,
                "hours": record.hours,
                "completed_on": completed_on.isoformat(),
                "document": record.document_name,
                "bytes": len(data),
            },
            actor=actor,
        )
        db.session.flush()
    except Exception:
        discard_document(relative)
        raise
    return record


def _write(relative: str, data: bytes) -> None:
    target = os.path.join(current_app.instance_path, relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temp = f"{target}.part"
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, target)


def discard_document(relative: str) -> None:
    """Remove a stored document whose record was not kept."""
    path = document_file(relative)
    if path is not None:
        os.remove(path)


def document_file(relative: str | None) -> str | None:
    """The stored document's path on disk, or None (no document, or a name not made here)."""
    if not relative or not STORED_RE.match(relative):
        return None
    path = os.path.join(current_app.instance_path, relative)
    return path if os.path.isfile(path) else None
