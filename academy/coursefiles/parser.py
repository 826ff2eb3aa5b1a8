"""Read a ``courses/<slug>/`` folder into plain ``CourseData``, reporting every problem at once.

Layout (see DESIGN.md, "Content format")::

    <course-slug>/course.md                     front matter + description
    <course-slug>/NN-<module>/module.md         front matter + introduction
    <course-slug>/NN-<module>/NN-<lesson>.md    front matter (title) + Markdown body
    <course-slug>/NN-<module>/quiz.md           questions (see ``quizformat``)
    <course-slug>/media/<name>                  images the Markdown shows as /media/<name>

Hidden files (``.git``, ``.DS_Store``…) are ignored; any other unexpected file or folder is an
error, so a misnamed lesson is never skipped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app

from academy.catalog.models import COURSE_STATUSES, LEVELS, REVIEW_POLICIES, TRACKS
from academy.coursefiles.coursedata import CourseData, LessonData, ModuleData
from academy.coursefiles.errors import ContentError, ErrorList, _
from academy.coursefiles.frontmatter import (
    SLUG_RE,
    FieldReader,
    is_hidden,
    read_text,
    split_front_matter,
)
from academy.coursefiles.media import FOLDER as MEDIA_FOLDER
from academy.coursefiles.media import NAME_RE as IMAGE_NAME_RE
from academy.coursefiles.media import sniff_image
from academy.coursefiles.quizformat import parse_quiz

NUMBERED_RE = re.compile(r"^(\d{2})-(.+)$")
PREREQUISITE_RE = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)/([a-z0-9]+(?:-[a-z0-9]+)*)$")
PERCENT_RE = re.compile(r"^\s*([0-9]{1,3}(?:[.,][0-9]{1,2})?)\s*%\s*$")
COURSE_KEYS = (
    "title",
    "summary",
    "track",
    "level",
    "hours",
    "pass_threshold",
    "review_policy",
    "attempt_wait_minutes",
    "status",
)
MODULE_KEYS = ("title", "summary", "minutes", "prerequisites", "quiz_draw", "quiz_time_limit")
MAX_WAIT_MINUTES = 7 * 24 * 60
MAX_TIME_LIMIT = 600
LESSON_KEYS = ("title",)


def parse_course_dir(path, *, display_root=None) -> CourseData:
    """Parse one course folder. Raises ``ContentErrors`` listing every problem found.

    Paths in messages are shown relative to ``display_root`` (default: the folder's parent, so
    they read ``<course-slug>/01-module/quiz.md``).
    """
    root = Path(path)
    base = Path(display_root) if display_root is not None else root.parent
    errors = ErrorList()
    shown = lambda p: Path(p).relative_to(base).as_posix()  # noqa: E731
    if not SLUG_RE.match(root.name):
        errors.add(
            shown(root),
            0,
            _(
                "Tên thư mục khoá học “%(name)s” không hợp lệ: chỉ dùng chữ "
                "thường không dấu, chữ số và dấu gạch ngang.",
                name=root.name,
            ),
        )
    course = _parse_course_md(root, shown, errors)
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if is_hidden(entry.name) or entry.name == "course.md":
            continue
        if entry.is_dir() and not entry.is_symlink() and NUMBERED_RE.match(entry.name):
            module = _parse_module_dir(entry, root.name, shown, errors)
            if module is not None:
                course.modules.append(module)
        elif entry.name == MEDIA_FOLDER and entry.is_dir() and not entry.is_symlink():
            _collect_media(entry, course, shown, errors)
        else:
            errors.add(
                shown(entry),
                0,
                _(
                    "Không nhận dạng được “%(name)s”: trong thư mục khoá học "
                    "chỉ có course.md, thư mục media/ và các thư mục học "
                    "phần dạng NN-ten-hoc-phan.",
                    name=entry.name,
                ),
            )
    _check_unique(course.modules, shown(root), _("học phần"), errors)
    if not course.modules and not errors.items:
        errors.add(shown(root / "course.md"), 1, _("Khoá học chưa có học phần nào."))
    errors.raise_if_any()
    return course


def _collect_media(folder: Path, course: CourseData, shown, errors: ErrorList) -> None:
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if is_hidden(entry.name):
            continue
        problem = _image_problem(entry)
        if problem:
            errors.add(shown(entry), 0, problem)
        else:
            course.media[entry.name] = entry


def _image_problem(path: Path) -> str | None:
    """Why a file in a course's media/ folder cannot be taken, or None."""
    match = IMAGE_NAME_RE.match(path.name)
    if not match or not path.is_file() or path.is_symlink():
        return _(
            "Tên ảnh không hợp lệ: thư mục media/ chỉ chứa ảnh do hệ thống đặt tên "
            "(32 chữ số hex, đuôi png, jpg, gif hoặc webp)."
        )
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if path.stat().st_size > limit:
        return _("Ảnh vượt quá dung lượng cho phép (%(mb)s MB).", mb=round(limit / 1048576, 1))
    with open(path, "rb") as handle:
        if sniff_image(handle.read(16)) != match.group(1):
            return _("Nội dung tệp không phải ảnh %(kind)s.", kind=match.group(1).upper())
    return None


def _parse_course_md(root: Path, shown, errors: ErrorList) -> CourseData:
    course = CourseData(slug=root.name, title="", source=shown(root))
    path = root / "course.md"
    if not path.is_file():
        errors.add(shown(root), 0, _("Thiếu tệp course.md."))
        return course
    fm, body, lines = split_front_matter(read_text(path, shown(path), errors), shown(path), errors)
    if fm is None:
        return course
    fields = FieldReader(fm, lines, shown(path), errors, COURSE_KEYS)
    course.title = fields.text("title", required=True)
    course.summary = fields.text("summary")
    course.track = fields.choice("track", TRACKS, required=True) or course.track
    course.level = fields.choice("level", LEVELS, required=True) or course.level
    course.hours = fields.integer("hours", 1, 1000, required=True) or course.hours
    course.pass_threshold = _pass_threshold(fields)
    course.review_policy = fields.choice("review_policy", REVIEW_POLICIES) or "settled"
    course.attempt_wait_minutes = fields.integer("attempt_wait_minutes", 0, MAX_WAIT_MINUTES) or 0
    course.status = fields.choice("status", COURSE_STATUSES)
    course.description_md = body
    return course


def _pass_threshold(fields: FieldReader) -> float:
    """``pass_threshold: 0.7`` (a share, as files always had it) or ``pass_threshold: 70%``."""
    value = fields.data.get("pass_threshold")
    match = PERCENT_RE.match(value) if isinstance(value, str) else None
    if match and 0 < (percent := float(match.group(1).replace(",", "."))) <= 100:
        return round(percent / 100, 4)
    threshold = fields.number("pass_threshold", 0.0, 1.0, default=0.7)
    return threshold if threshold is not None else 0.7


def _parse_module_dir(
    folder: Path, course_slug: str, shown, errors: ErrorList
) -> ModuleData | None:
    position, slug = _numbered(folder.name, shown(folder), errors)
    module = ModuleData(
        slug=slug or folder.name,
        position=position or 0,
        title="",
        source=shown(folder / "module.md"),
    )
    _parse_module_md(folder / "module.md", module, course_slug, shown, errors)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if is_hidden(entry.name) or entry.name in ("module.md", "quiz.md"):
            continue
        if entry.is_file() and not entry.is_symlink() and entry.suffix == ".md":
            lesson = _parse_lesson(entry, shown, errors)
            if lesson is not None:
                module.lessons.append(lesson)
        else:
            errors.add(
                shown(entry),
                0,
                _(
                    "Không nhận dạng được “%(name)s”: trong thư mục học phần "
                    "chỉ có module.md, quiz.md và các bài học "
                    "NN-ten-bai.md.",
                    name=entry.name,
                ),
            )
    _check_unique(module.lessons, shown(folder), _("bài học"), errors)
    quiz = folder / "quiz.md"
    if quiz.is_file():
        text = read_text(quiz, shown(quiz), errors)
        try:
            module.questions = parse_quiz(text, shown(quiz))
        except ContentError as exc:
            errors.extend(exc)
            return module if position else None
    if module.quiz_draw and module.quiz_draw > len(module.questions):
        errors.add(
            module.source,
            module.quiz_draw_line,
            _(
                "“quiz_draw” là %(draw)s nhưng quiz.md chỉ có %(n)s câu hỏi.",
                draw=module.quiz_draw,
                n=len(module.questions),
            ),
        )
    return module if position else None


def _parse_module_md(path: Path, module: ModuleData, course_slug: str, shown, errors) -> None:
    if not path.is_file():
        errors.add(shown(path.parent), 0, _("Thiếu tệp module.md."))
        return
    fm, body, lines = split_front_matter(read_text(path, shown(path), errors), shown(path), errors)
    if fm is None:
        return
    fields = FieldReader(fm, lines, shown(path), errors, MODULE_KEYS)
    module.title = fields.text("title", required=True)
    module.summary = fields.text("summary")
    module.minutes = fields.integer("minutes", 1, 6000, required=True) or module.minutes
    module.prerequisites = fields.string_list("prerequisites")
    module.prerequisites_line = fields.line_of("prerequisites")
    module.quiz_draw = fields.integer("quiz_draw", 1, 1000)
    module.quiz_draw_line = fields.line_of("quiz_draw")
    module.quiz_time_limit = fields.integer("quiz_time_limit", 1, MAX_TIME_LIMIT)
    module.intro_md = body
    own = f"{course_slug}/{module.slug}"
    for item in module.prerequisites:
        if not PREREQUISITE_RE.match(item):
            errors.add(
                shown(path),
                module.prerequisites_line,
                _(
                    "Điều kiện tiên quyết “%(item)s” không đúng dạng ma-khoa-hoc/ma-hoc-phan "
                    "(mã học phần không có tiền tố NN-).",
                    item=item,
                ),
            )
        elif item == own:
            errors.add(
                shown(path),
                module.prerequisites_line,
                _("Học phần không thể là điều kiện tiên quyết của chính nó."),
            )
    if len(set(module.prerequisites)) != len(module.prerequisites):
        errors.add(
            shown(path),
            module.prerequisites_line,
            _("Danh sách điều kiện tiên quyết có mục bị lặp."),
        )


def _parse_lesson(path: Path, shown, errors: ErrorList) -> LessonData | None:
    position, slug = _numbered(path.stem, shown(path), errors)
    if slug == "quiz":
        errors.add(
            shown(path), 0, _("Mã bài học không được là “quiz” (trùng với đường dẫn bài kiểm tra).")
        )
        return None
    fm, body, lines = split_front_matter(read_text(path, shown(path), errors), shown(path), errors)
    if fm is None or not position:
        return None
    fields = FieldReader(fm, lines, shown(path), errors, LESSON_KEYS)
    title = fields.text("title", required=True)
    if not body.strip():
        errors.add(shown(path), 1, _("Bài học chưa có nội dung."))
    return LessonData(slug=slug, position=position, title=title, body_md=body)


def _numbered(name: str, where: str, errors: ErrorList) -> tuple[int | None, str | None]:
    match = NUMBERED_RE.match(name)
    if not match or not SLUG_RE.match(match.group(2)) or match.group(1) == "00":
        errors.add(
            where,
            0,
            _(
                "Tên “%(name)s” không hợp lệ: cần dạng NN-ma-khong-dau (NN từ 01 "
                "đến 99; mã chỉ gồm chữ thường không dấu, chữ số, dấu gạch "
                "ngang).",
                name=name,
            ),
        )
        return None, None
    return int(match.group(1)), match.group(2)


def _check_unique(items, where: str, noun: str, errors: ErrorList) -> None:
    for attr, label in (("position", _("số thứ tự")), ("slug", _("mã"))):
        values = [getattr(item, attr) for item in items]
        for value in sorted({v for v in values if values.count(v) > 1}, key=str):
            errors.add(
                where,
                0,
                _("Hai %(noun)s trùng %(label)s “%(value)s”.", noun=noun, label=label, value=value),
            )
