"""Import course folders (or a ZIP of them) into the database, all or nothing.

``import_courses`` parses every course first and stops with every problem listed if any file is
malformed: then nothing has been written. Database-side problems (unknown prerequisites, a
removed module that learners have studied) are raised as ``ContentErrors`` after flushing: the
caller rolls back, and commits only when the import returns.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from academy.catalog.models import Course
from academy.coursefiles.archive import unpacked_zip
from academy.coursefiles.changes import ChangeReport
from academy.coursefiles.coursedata import DRAFT_SUFFIX, CourseData
from academy.coursefiles.errors import ContentError, ErrorList, _
from academy.coursefiles.frontmatter import is_hidden
from academy.coursefiles.media import install_images
from academy.coursefiles.parser import parse_course_dir
from academy.coursefiles.sync import apply_course, finish_courses

MAX_SLUG = Course.__table__.c.slug.type.length  # modules and lessons keep slugs as long
MAX_COURSE_SLUG = MAX_SLUG - len(DRAFT_SUFFIX)  # so that the course's draft copy fits too


def import_courses(
    path, *, actor=None, progress: Callable[[list], Iterable] | None = None
) -> list[ChangeReport]:
    """Import a ``courses/`` root (each sub-folder with a course.md), one course folder, or a
    ``.zip`` of either. Returns one ``ChangeReport`` per course; raises ``ContentErrors``.

    ``progress`` may wrap the list of parsed courses (e.g. in a progress bar)."""
    path = Path(path)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ContentError(path.name, 0, _("Không phải thư mục khoá học hay tệp .zip."))
        with unpacked_zip(path, path.name) as root:
            return _import_dir(root, actor, progress, label=path.name)
    if not path.is_dir():
        raise ContentError(str(path), 0, _("Không tìm thấy thư mục hay tệp này."))
    return _import_dir(path, actor, progress)


def _import_dir(root: Path, actor, progress, label: str | None = None) -> list[ChangeReport]:
    courses = parse_courses(root, label=label)
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


def parse_courses(root: Path, *, label: str | None = None) -> list[CourseData]:
    """Parse every course under ``root``; raise every problem of every course together.

    ``label`` names ``root`` in messages (e.g. the ZIP it was unpacked from; default its name)."""
    errors = ErrorList()
    courses = []
    for folder in find_course_dirs(root, label=label):
        try:
            courses.append(parse_course_dir(folder))
        except ContentError as exc:
            errors.extend(exc)
    for course in courses:
        _check_slug_lengths(course, errors)
    errors.raise_if_any()
    return courses


def _check_slug_lengths(course: CourseData, errors: ErrorList) -> None:
    """Names longer than the database keeps them: a clear message, not a refused INSERT."""
    named = [(course.source, course.slug, MAX_COURSE_SLUG)]
    for module in course.modules:
        folder = f"{course.source}/{module.folder}"
        named.append((folder, module.slug, MAX_SLUG))
        named.extend(
            (f"{folder}/{lesson.position:02d}-{lesson.slug}.md", lesson.slug, MAX_SLUG)
            for lesson in module.lessons
        )
    for where, slug, limit in named:
        if len(slug) > limit:
            errors.add(where, 0, _("Mã “%(slug)s” dài quá %(n)s ký tự.", slug=slug, n=limit))


def find_course_dirs(root: Path, depth: int = 0, *, label: str | None = None) -> list[Path]:
    """``root`` itself if it holds course.md, else its sub-folders that do. A single wrapping
    folder (e.g. ``courses/`` inside a ZIP) is looked through."""
    if (root / "course.md").is_file():
        return [root]
    children = sorted(
        (p for p in root.iterdir() if p.is_dir() and not is_hidden(p.name)), key=lambda p: p.name
    )
    if len(children) == 1 and not (children[0] / "course.md").is_file() and depth < 2:
        return find_course_dirs(children[0], depth + 1, label=children[0].name)
    errors = ErrorList()
    for child in children:
        if not (child / "course.md").is_file():
            errors.add(
                f"{child.name}/course.md",
                0,
                _("Thư mục “%(name)s” không có course.md.", name=child.name),
            )
    if not children:
        errors.add(label or root.name, 0, _("Không tìm thấy khoá học nào (thư mục có course.md)."))
    errors.raise_if_any()
    return children
