"""Import course folders (or a ZIP of them) into the database, all or nothing.

``import_courses`` parses every course first and stops with every problem listed if any file is
malformed: then nothing has been written. Database-side problems (unknown prerequisites, a
removed module that learners have studied) are raised as ``ContentErrors`` after flushing: the
caller rolls back, and commits only when the import returns.
"""
from __future__ import annotations

import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from academy.authoring.changes import ChangeReport
from academy.authoring.coursedata import _, ContentError, CourseData, ErrorList
from academy.authoring.frontmatter import is_hidden
from academy.authoring.media import install_images
from academy.authoring.parser import parse_course_dir
from academy.authoring.sync import apply_course, finish_courses

MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 100 * 1024 * 1024  # uncompressed, all members together
MAX_MEMBER_BYTES = 4 * 1024 * 1024


def import_courses(path, *, actor=None, progress: Callable[[list], Iterable] | None = None
                   ) -> list[ChangeReport]:
    """Import a ``courses/`` root (each sub-folder with a course.md), one course folder, or a
    ``.zip`` of either. Returns one ``ChangeReport`` per course; raises ``ContentErrors``.

    ``progress`` may wrap the list of parsed courses (e.g. in a progress bar)."""
    path = Path(path)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ContentError(path.name, 0, _("Không phải thư mục khoá học hay tệp .zip."))
        with tempfile.TemporaryDirectory(prefix="academy-import-") as tmp:
            root = Path(tmp) / path.stem
            extract_zip(path, root)
            return _import_dir(root, actor, progress)
    if not path.is_dir():
        raise ContentError(str(path), 0, _("Không tìm thấy thư mục hay tệp này."))
    return _import_dir(path, actor, progress)


def _import_dir(root: Path, actor, progress) -> list[ChangeReport]:
    courses = parse_courses(root)
    items: list[tuple[CourseData, ChangeReport]] = []
    errors = ErrorList()
    for data in (progress or list)(courses):
        try:
            items.append((data, apply_course(data, actor=actor, with_prerequisites=False)))
        except ContentError as exc:
            errors.extend(exc)
    errors.raise_if_any()
    finish_courses(items)
    for data, report in items:
        report.images = install_images(data.media)
    return [report for _data, report in items]


def parse_courses(root: Path) -> list[CourseData]:
    """Parse every course under ``root``; raise every problem of every course together."""
    errors = ErrorList()
    courses = []
    for folder in find_course_dirs(root):
        try:
            courses.append(parse_course_dir(folder))
        except ContentError as exc:
            errors.extend(exc)
    errors.raise_if_any()
    return courses


def find_course_dirs(root: Path, depth: int = 0) -> list[Path]:
    """``root`` itself if it holds course.md, else its sub-folders that do. A single wrapping
    folder (e.g. ``courses/`` inside a ZIP) is looked through."""
    if (root / "course.md").is_file():
        return [root]
    children = sorted((p for p in root.iterdir() if p.is_dir() and not is_hidden(p.name)),
                      key=lambda p: p.name)
    if len(children) == 1 and not (children[0] / "course.md").is_file() and depth < 2:
        return find_course_dirs(children[0], depth + 1)
    errors = ErrorList()
    for child in children:
        if not (child / "course.md").is_file():
            errors.add(f"{child.name}/course.md", 0, _("Thư mục “%(name)s” không có course.md.",
                                                       name=child.name))
    if not children:
        errors.add(root.name, 0, _("Không tìm thấy khoá học nào (thư mục có course.md)."))
    errors.raise_if_any()
    return children


def extract_zip(archive: Path, dest: Path) -> None:
    """Extract safely: no absolute paths, no ``..``, no links, bounded sizes (counted while
    reading, not trusted from the header). Raises ``ContentError`` and writes nothing on a
    dangerous archive."""
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ContentError(archive.name, 0, _("Tệp ZIP có quá nhiều tệp."))
        targets = [(_safe_target(archive.name, m), m) for m in members]
        total = 0
        for parts, member in targets:
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            total += _copy_member(zf, member, target, archive.name, MAX_ZIP_BYTES - total)


def _safe_target(archive_name: str, member: zipfile.ZipInfo) -> tuple[str, ...]:
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    mode = member.external_attr >> 16
    unsafe = (name.startswith("/") or (parts and ":" in parts[0]) or ".." in parts
              or not parts or stat.S_ISLNK(mode))
    if unsafe:
        raise ContentError(archive_name, 0, _("Tệp ZIP chứa đường dẫn không an toàn: “%(name)s”.",
                                              name=member.filename))
    return parts


def _copy_member(zf: zipfile.ZipFile, member, target: Path, archive_name: str,
                 budget: int) -> int:
    limit = min(MAX_MEMBER_BYTES, budget)
    written = 0
    with zf.open(member) as source, open(target, "wb") as out:
        while chunk := source.read(64 * 1024):
            written += len(chunk)
            if written > limit:
                raise ContentError(archive_name, 0, _("Tệp ZIP quá lớn khi giải nén (“%(name)s”).",
                                                      name=member.filename))
            out.write(chunk)
    return written
