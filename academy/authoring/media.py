"""Images for lessons: type checked by magic bytes (not by name or header), size capped,
stored under ``instance/media/`` with a random name, served with headers that stop sniffing."""
from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

from flask import Response, current_app
from flask_babel import gettext as _

from academy.admin.services import record_audit

MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")
REFERENCE_RE = re.compile(r"/media/([0-9a-f]{32}\.(?:png|jpg|gif|webp))\b")
FOLDER = "media"  # a course folder's images: courses/<slug>/media/<name>


class MediaError(ValueError):
    """An upload that is refused; the message is for the user."""


def sniff_image(head: bytes) -> str | None:
    """The file extension for PNG, JPEG, GIF or WebP content, judged by its signature."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def media_dir() -> str:
    return os.path.join(current_app.instance_path, "media")


def store_image(stream, actor, course) -> str:
    """Check and store an uploaded image; returns its file name. Raises MediaError."""
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if not data:
        raise MediaError(_("Tệp tải lên trống."))
    if len(data) > limit:
        raise MediaError(_("Ảnh vượt quá dung lượng cho phép (%(mb)s MB).", mb=round(limit / 1048576, 1)))
    ext = sniff_image(data[:16])
    if ext is None:
        raise MediaError(_("Chỉ nhận ảnh PNG, JPEG, GIF hoặc WebP."))
    name = f"{secrets.token_hex(16)}.{ext}"
    os.makedirs(media_dir(), exist_ok=True)
    temp = os.path.join(media_dir(), f".{name}.part")
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, os.path.join(media_dir(), name))
    record_audit("authoring.media.upload", f"media:{name}", {"course": course.slug, "bytes": len(data)},
                 actor=actor)
    return name


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


# ---- images travelling with a course folder (export, import, git) ----------------------------

def referenced_images(texts) -> set[str]:
    """Names of stored images that Markdown texts show (``![…](/media/<name>)``)."""
    return {name for text in texts if text for name in REFERENCE_RE.findall(text)}


def install_images(files: dict[str, Path]) -> int:
    """Copy checked images into the instance's media folder; names already there are kept
    (a name is random per upload, so the same name is the same image). Returns how many were new."""
    os.makedirs(media_dir(), exist_ok=True)
    added = 0
    for name, source in sorted(files.items()):
        target = os.path.join(media_dir(), name)
        if os.path.exists(target):
            continue
        temp = os.path.join(media_dir(), f".{name}.part")
        shutil.copyfile(source, temp)
        os.replace(temp, target)
        added += 1
    return added


def export_images(texts, folder: Path) -> list[str]:
    """Put the stored images that ``texts`` show into ``folder/media/`` (and only those)."""
    names = sorted(name for name in referenced_images(texts)
                   if os.path.isfile(os.path.join(media_dir(), name)))
    target = folder / FOLDER
    if target.is_dir():
        for old in target.iterdir():
            if old.is_file() and NAME_RE.match(old.name) and old.name not in names:
                old.unlink()
    if names:
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(os.path.join(media_dir(), name), target / name)
    return names
