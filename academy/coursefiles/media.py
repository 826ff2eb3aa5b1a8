"""Lesson images and course folders: where the installation keeps them, how they are recognised,
and how they travel in a folder's ``media/`` on export and import (and so through git).

An image is stored as ``instance/media/<32 hex>.<ext>``; Markdown shows it as ``/media/<name>``.
The name is random per upload, so the same name is the same image on every installation.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from flask import current_app

NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|gif|webp)$")
REFERENCE_RE = re.compile(r"/media/([0-9a-f]{32}\.(?:png|jpg|gif|webp))\b")
FOLDER = "media"  # a course folder's images: courses/<slug>/media/<name>


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
    """The installation's image store."""
    return os.path.join(current_app.instance_path, "media")


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
    names = sorted(
        name for name in referenced_images(texts) if os.path.isfile(os.path.join(media_dir(), name))
    )
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
