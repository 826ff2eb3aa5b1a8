"""Course ZIPs, unpacked safely: every member is checked before anything is written, and the
members are written into a fresh private folder that is removed afterwards, however it ends.

No server path is ever named after anything the client chose: the folder is ``<mkdtemp>/zip``,
and inside it only archive-relative member names that passed the checks (no absolute path,
drive letter, ``..`` or control character; no name part over 255 bytes; no link or special file,
no encryption, a known compression; no two members clashing as file and folder, as duplicates or
as spellings that differ only in case or Unicode form; bounded count and sizes). A problem names
the member as the archive spells it, never a server path.
"""

from __future__ import annotations

import io
import lzma
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from academy.coursefiles.errors import ContentError, ErrorList, _
from academy.coursefiles.frontmatter import SLUG_RE, is_hidden

MAX_ZIP_MEMBERS = 5000
MAX_ZIP_BYTES = 100 * 1024 * 1024  # uncompressed, all members together
MAX_MEMBER_BYTES = 4 * 1024 * 1024
MAX_PART_BYTES = 255  # one part of a member's path (the file systems' NAME_MAX)
MAX_NAME_BYTES = 1024  # a member's whole path
MAX_SHOWN = 300  # characters of a member name quoted back in a message
FOLDER = "zip"  # the fixed name of the folder a ZIP is unpacked into
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# What a damaged member raises while it is read (bz2 reports bad data as OSError).
DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


@dataclass(frozen=True)
class Member:
    """One checked archive member: its entry and its path parts inside the archive."""

    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


@contextmanager
def unpacked_zip(source: bytes | Path, filename: str) -> Iterator[Path]:
    """Check every member of the ZIP ``source`` (its bytes or a file path), then unpack it into a
    fresh private folder and yield that folder; the folder is removed when the block ends.

    ``filename`` is the archive's name as the user knows it: it is quoted in messages and, when
    course.md lies at the top of the archive, gives the course slug (only if it is a valid slug).
    Raises ContentError(s) naming the members: refused names, types, sizes and clashes before
    anything is written; a member found damaged while it is read, after (the folder goes too)."""
    label = archive_label(filename)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise ContentError(label, 0, _("Tệp ZIP bị hỏng.")) from exc
    with archive:
        members = check_members(archive.infolist(), label)
        prefix = _flat_course_prefix(members, filename)
        with tempfile.TemporaryDirectory(prefix="academy-zip-") as tmp:
            root = Path(tmp) / FOLDER
            root.mkdir()
            _write_members(archive, members, root, prefix)
            yield root


def check_members(infos: list[zipfile.ZipInfo], label: str) -> list[Member]:
    """Every member checked (names, types, sizes, count, clashes); the files to write, in order.
    Raises ``ContentErrors`` listing every refused member."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ContentError(label, 0, _("Tệp ZIP có quá nhiều tệp."))
    errors = ErrorList()
    members = []
    for info in infos:
        problem = _member_problem(info)
        if problem:
            errors.add(shown_name(info.filename), 0, problem)
        else:
            members.append(_member(info))
    errors.raise_if_any()
    _check_clashes(members, errors)
    if sum(m.info.file_size for m in members if not m.is_dir) > MAX_ZIP_BYTES:
        errors.add(
            label,
            0,
            _("Tệp ZIP quá lớn khi giải nén (tối đa %(mb)s MB).", mb=MAX_ZIP_BYTES // 2**20),
        )
    errors.raise_if_any()
    return [m for m in members if not m.is_dir]


def archive_label(filename: str) -> str:
    """How messages name an archive the client named ``filename``: its last part, made quotable."""
    return shown_name(PurePosixPath((filename or "").replace("\\", "/")).name or "khoa-hoc.zip")


def shown_name(name: str) -> str:
    """A client-given name as it may be quoted back: control characters escaped, length capped."""
    text = "".join(
        ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in name
    )
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs")


def _member(info: zipfile.ZipInfo) -> Member:
    mode = info.external_attr >> 16
    parts = PurePosixPath(info.filename.replace("\\", "/")).parts
    return Member(info, parts, info.is_dir() or stat.S_ISDIR(mode))


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why this member may not be unpacked, or None."""
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    shown = shown_name(info.filename)
    if (
        not parts
        or name.startswith("/")
        or ":" in parts[0]
        or ".." in parts
        or any(_is_control(ch) for ch in name)
    ):
        return _("Tệp ZIP chứa đường dẫn không an toàn: “%(name)s”.", name=shown)
    if any(len(part.encode("utf-8")) > MAX_PART_BYTES for part in parts):
        return _(
            "Tên “%(name)s” trong tệp ZIP quá dài: mỗi phần của đường dẫn tối đa %(limit)s byte.",
            name=shown,
            limit=MAX_PART_BYTES,
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return _(
            "Đường dẫn “%(name)s” trong tệp ZIP quá dài (tối đa %(limit)s byte).",
            name=shown,
            limit=MAX_NAME_BYTES,
        )
    if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return _("Tệp ZIP chứa liên kết hoặc tệp đặc biệt: “%(name)s”.", name=shown)
    if info.flag_bits & 0x1:
        return _(
            "Mục “%(name)s” trong tệp ZIP được đặt mật khẩu; hãy nén lại không mật khẩu.",
            name=shown,
        )
    if info.compress_type not in COMPRESSIONS:
        return _("Mục “%(name)s” trong tệp ZIP dùng kiểu nén không được hỗ trợ.", name=shown)
    if info.file_size > MAX_MEMBER_BYTES:
        return _("Tệp ZIP quá lớn khi giải nén (“%(name)s”).", name=shown)
    return None


def _check_clashes(members: list[Member], errors: ErrorList) -> None:
    """Two members that would land on one path: duplicates, a file that is also a folder, or
    spellings that differ only in case or Unicode form (one file on many file systems)."""
    spelling: dict[tuple[str, ...], tuple[str, ...]] = {}  # comparison key → first spelling
    files: dict[tuple[str, ...], Member] = {}
    folders: dict[tuple[str, ...], Member] = {}  # a folder → a member inside it (or itself)
    for member in members:
        for depth in range(1, len(member.parts) + 1):
            parts = member.parts[:depth]
            key = tuple(unicodedata.normalize("NFC", p).casefold() for p in parts)
            first = spelling.setdefault(key, parts)
            if first != parts:
                errors.add(
                    shown_name(member.info.filename),
                    0,
                    _(
                        "Trong tệp ZIP, “%(name)s” và “%(other)s” chỉ khác nhau ở chữ hoa, chữ "
                        "thường hoặc cách gõ dấu.",
                        name=shown_name("/".join(parts)),
                        other=shown_name("/".join(first)),
                    ),
                )
                break
            if depth < len(member.parts) or member.is_dir:
                folders.setdefault(key, member)
            elif key in files:
                shown = shown_name(member.info.filename)
                errors.add(shown, 0, _("Tệp ZIP có hai mục cùng tên “%(name)s”.", name=shown))
            else:
                files[key] = member
    for key, member in files.items():
        if key in folders:
            errors.add(
                shown_name(member.info.filename),
                0,
                _(
                    "Trong tệp ZIP, “%(name)s” vừa là tệp vừa là thư mục (chứa “%(other)s”).",
                    name=shown_name(member.info.filename),
                    other=shown_name(folders[key].info.filename),
                ),
            )


def _flat_course_prefix(members: list[Member], filename: str) -> tuple[str, ...]:
    """``()`` when the courses sit in folders; when course.md lies at the top of the archive, the
    course folder to put them in, named by the archive's file name if that is a valid slug."""
    if not any(m.parts == ("course.md",) for m in members):
        return ()
    stem = PurePosixPath(filename.replace("\\", "/")).name
    stem = stem[:-4] if stem.lower().endswith(".zip") else stem
    if SLUG_RE.match(stem) and len(stem) <= MAX_PART_BYTES:  # ASCII: one byte a character
        return (stem,)
    raise ContentError(
        "course.md",
        0,
        _(
            "course.md nằm ngay ở gốc tệp ZIP nên mã khoá học được lấy từ tên tệp, nhưng "
            "“%(name)s” không phải mã hợp lệ (chữ thường không dấu, chữ số, dấu gạch ngang). Hãy "
            "đổi tên tệp, hoặc đặt khoá học trong một thư mục mang mã khoá học như tệp xuất ra.",
            name=shown_name(stem),
        ),
    )


def _write_members(
    archive: zipfile.ZipFile, members: list[Member], root: Path, prefix: tuple[str, ...]
) -> None:
    """Write the checked files under ``root`` (hidden ones are skipped: the parser ignores them)."""
    total = 0
    for member in members:
        if any(is_hidden(part) for part in member.parts):
            continue
        target = root.joinpath(*prefix, *member.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        total += _copy_member(archive, member, target, MAX_ZIP_BYTES - total)


def _copy_member(archive: zipfile.ZipFile, member: Member, target: Path, budget: int) -> int:
    """Copy one member, counting the bytes as they come (the header is not trusted)."""
    limit = min(MAX_MEMBER_BYTES, budget)
    written = 0
    with open(target, "xb") as out:
        for chunk in _chunks(archive, member):
            written += len(chunk)
            if written > limit:
                raise ContentError(
                    shown_name(member.info.filename),
                    0,
                    _(
                        "Tệp ZIP quá lớn khi giải nén (“%(name)s”).",
                        name=shown_name(member.info.filename),
                    ),
                )
            out.write(chunk)
    return written


def _chunks(archive: zipfile.ZipFile, member: Member) -> Iterator[bytes]:
    try:
        with archive.open(member.info) as source:
            while chunk := source.read(64 * 1024):
                yield chunk
    except DAMAGED as exc:
        raise ContentError(
            shown_name(member.info.filename),
            0,
            _("Tệp ZIP bị hỏng ở “%(name)s”.", name=shown_name(member.info.filename)),
        ) from exc
