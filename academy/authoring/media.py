"""Images for lessons from the browser: type checked by magic bytes (not by name or header), size
capped, stored under ``instance/media/`` with a random name, served with headers that stop sniffing.

Where they are stored, and how they travel with a course folder: ``academy.coursefiles.media``."""

from __future__ import annotations

import os
import secrets

from flask import Response, current_app, url_for
from flask_babel import gettext as _

from academy.core.audit import record_audit
from academy.coursefiles.media import NAME_RE, media_dir, sniff_image

MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


class MediaError(ValueError):
    """An upload that is refused; the message is for the user."""


def store_image(stream, actor, course) -> str:
    """Check and store an uploaded image; returns its file name. Raises MediaError."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise MediaError(_("Tệp tải lên trống."))
    if len(data) > limit:
        raise MediaError(
            _("Ảnh vượt quá dung lượng cho phép (%(mb)s MB).", mb=round(limit / 1048576, 1))
        )
    ext = sniff_image(data[:16])
    if ext is None:
        raise MediaError(_("Chỉ nhận ảnh PNG, JPEG, GIF hoặc WebP."))
    name = f"{secrets.token_hex(16)}.{ext}"
    os.makedirs(media_dir(), exist_ok=True)
    temp = os.path.join(media_dir(), f".{name}.part")
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, os.path.join(media_dir(), name))
    record_audit(
        "authoring.media.upload",
        f"media:{name}",
        {"course": course.slug, "bytes": len(data)},
        actor=actor,
    )
    return name


def image_markdown(name: str, alt: str | None) -> str:
    """The Markdown that shows a stored image: ``![alt](/media/<name>)``."""
    text = (alt or "").replace("[", "").replace("]", "").strip() or _("Hình minh hoạ")
    return f"![{text}]({url_for('authoring.media_file', name=name)})"


def media_response(name: str):
    """The stored image, inline, with its true type and a policy that forbids any active content."""
    match = NAME_RE.match(name)
    if not match:
        return None
    path = os.path.join(media_dir(), name)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        response = Response(handle.read(), mimetype=MIME_TYPES[match.group(1)])
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response
