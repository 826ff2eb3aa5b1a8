"""A course ZIP uploaded in the browser (POST /authoring/import) is unpacked only inside a fresh
private folder, whatever the upload is called and whatever its members are named: nothing appears
beside that folder, nothing remains after the import, the answer is a redirect or a clear 400 (never
a 500) and an error page names archive members, never a server path. Members that would clash on
disk (a file and a folder of one name, duplicates, case variants) or have over-long names are
refused with a 400 naming the entry."""

from __future__ import annotations

import io
import stat
import tempfile
import unicodedata
import warnings
import zipfile
from contextlib import contextmanager
from html import escape
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from academy.catalog.models import Course, Lesson
from academy.coursefiles import archive as course_archive
from academy.coursefiles.errors import ContentError
from academy.coursefiles.importer import import_courses
from academy.database import db
from tests.authoring.helpers import login_client

SLUG = "du-lieu-phuong"
LESSON = f"{SLUG}/01-mo-dun-1/01-bai-1.md"
CHANGED = "Nội dung đã sửa qua ZIP"
SECRET = "bi-mat-may-chu"  # a folder beside ours in the temp dir: its name must never be shown

HOSTILE_NAMES = (
    "..zip",
    "...zip",
    "....zip",
    ".zip",
    "..",
    ".",
    "",
    " ",
    "../..zip",
    "..\\..zip",
    "a/../..zip",
    "\\\\server\\share\\..zip",
    "C:\\..zip",
    "/etc/passwd",
    "..\x00.zip",
    "\x00",
    "\x01\x1f\x7f.zip",
    "\t..zip",
    "..\r.zip",
    "khoá học.zip",
    "..\u202e.zip",
    "%2e%2e.zip",
    "a" * 300 + ".zip",
    "ộ" * 200 + ".zip",
    "du-lieu-phuong.zip",
)
NAME_CHARS = st.one_of(
    st.sampled_from("./\\:\x00\x01\x1b\x7f\t ~"), st.characters(exclude_categories=("Cs",))
)
UPLOAD_NAMES = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.builds(
        lambda text, ext: text + ext,
        st.text(NAME_CHARS, max_size=300),
        st.sampled_from(("", ".zip", ".ZIP")),
    ),
)


@pytest.fixture
def owner_course_blob(app, make_user, make_course):
    """An instructor's browser, their published course, and its export."""
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, slug=SLUG)
    browser = login_client(app, owner)
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    return browser, course, blob


# ---- building archives ------------------------------------------------------------------------


def _entries(blob: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _zip(entries) -> bytes:
    """A ZIP of (name or ZipInfo, data) pairs, in order; duplicates allowed."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as target:
        warnings.simplefilter("ignore")  # "Duplicate name": exactly what some tests want
        for name, data in entries:
            target.writestr(name, data)
    return buffer.getvalue()


def _changed(blob: bytes) -> bytes:
    """The export with one lesson edited (to see that an accepted import really landed)."""
    old, new = "Nội dung bài học".encode(), CHANGED.encode()
    return _zip(
        (name, data.replace(old, new) if name == LESSON else data) for name, data in _entries(blob)
    )


def _with(blob: bytes, *extra) -> bytes:
    return _zip([*_entries(blob), *extra])


def _flat(blob: bytes) -> bytes:
    """The course with course.md at the top of the archive (no course folder)."""
    return _zip((name.removeprefix(f"{SLUG}/"), data) for name, data in _entries(blob))


def _broken_quiz(blob: bytes) -> bytes:
    return _zip(
        (name, data.replace("- [x] Đáp án A".encode(), "- [x Đáp án A".encode(), 1))
        for name, data in _entries(blob)
    )


def _first_member(blob: bytes) -> zipfile.ZipInfo:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return archive.infolist()[0]


def _corrupt(blob: bytes) -> bytes:
    """The first member's compressed data damaged (its name and headers intact)."""
    info = _first_member(blob)
    data = bytearray(blob)
    data[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 2] ^= 0xFF
    return bytes(data)


def _patched(blob: bytes, name: str, *, flags: int = 0, method: int | None = None) -> bytes:
    """Set header fields zipfile will not write for us (the encryption flag, an unknown
    compression method) in the local and the central header of member ``name``."""
    data = bytearray(blob)
    encoded = name.encode()
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        local = archive.getinfo(name).header_offset
    central = next(
        i
        for i in range(len(data))
        if data[i : i + 4] == b"PK\x01\x02" and data[i + 46 : i + 46 + len(encoded)] == encoded
    )
    for flags_at, method_at in ((local + 6, local + 8), (central + 8, central + 10)):
        data[flags_at] |= flags
        if method is not None:
            data[method_at : method_at + 2] = method.to_bytes(2, "little")
    return bytes(data)


def _special(name: str, kind: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (kind | 0o644) << 16
    return info


# ---- watching the temp dir ----------------------------------------------------------------------


@contextmanager
def private_tempdir(base: Path):
    """Point ``tempfile`` at ``<fresh>/tmp`` (holding a folder of someone else's) and yield
    ``<fresh>``, the temp dir's parent, whose whole tree the test compares before and after."""
    outer = Path(tempfile.mkdtemp(dir=base))
    inner = outer / "tmp"
    (inner / SECRET).mkdir(parents=True)
    (inner / SECRET / "khoa.txt").write_text("bí mật")
    with mock.patch.object(tempfile, "tempdir", str(inner)):
        yield outer


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _upload(browser, blob: bytes, name: str):
    return browser.post(
        "/authoring/import",
        data={"file": (io.BytesIO(blob), name)},
        content_type="multipart/form-data",
    )


def upload_safely(browser, blob: bytes, name: str, base: Path, allowed=(303, 400)):
    """Upload and check the three promises: nothing left on disk beside or in the temp dir, an
    allowed answer (never a 500), no server path (nor the neighbour's folder) on the page."""
    with private_tempdir(base) as outer:
        before = _tree(outer)
        response = _upload(browser, blob, name)
        after = _tree(outer)
    page = response.get_data(as_text=True)
    assert after == before, (name, sorted(set(after) ^ set(before))[:10])
    assert response.status_code in allowed, (name, response.status_code, page[:300])
    for secret in (str(base), str(outer), SECRET, "academy-zip-", "academy-upload-"):
        assert secret not in page, (name, secret)
    return response


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(Course)),
        db.session.scalar(select(func.count()).select_from(Lesson)),
    )


# ---- hostile upload names ------------------------------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=(HealthCheck.function_scoped_fixture, HealthCheck.too_slow),
)
@given(name=UPLOAD_NAMES)
@example(name="...zip")
@example(name="..zip")
@example(name="..\x00.zip")
def test_no_upload_name_writes_outside_a_fresh_folder_or_shows_a_server_path(
    owner_course_blob, tmp_path, name
):
    browser, _course, blob = owner_course_blob
    hostile_archives = (
        _broken_quiz(blob),
        _with(blob, (f"{SLUG}/../../evil.md", b"x")),
        _corrupt(blob),
        b"khong phai zip",
        _flat(_broken_quiz(blob)),
    )
    for hostile in hostile_archives:
        counts = _counts()
        refused = upload_safely(browser, hostile, name, tmp_path)
        if refused.status_code == 400:
            assert "import-errors" in refused.get_data(as_text=True)
        db.session.expire_all()
        assert _counts() == counts
    upload_safely(browser, _changed(blob), name, tmp_path, allowed=(303,))
    upload_safely(browser, _flat(blob), name, tmp_path)


@pytest.mark.parametrize("name", ["...zip", "..\x00.zip", "ộ" * 200 + ".zip"])
def test_a_valid_course_under_a_hostile_name_is_imported_into_its_draft(
    owner_course_blob, tmp_path, name
):
    browser, course, blob = owner_course_blob
    upload_safely(browser, _changed(blob), name, tmp_path, allowed=(303,))
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft
    assert draft is not None and CHANGED in draft.modules[0].lessons[0].body_md


def test_a_refused_import_under_the_escaping_name_names_no_neighbour(owner_course_blob, tmp_path):
    """The old code unpacked "...zip" into the temp dir itself, then listed its other folders."""
    browser, _course, _blob = owner_course_blob
    no_course = _zip([("mot-thu-muc/ghi-chu.md", b"x"), ("thu-muc-khac/ghi-chu.md", b"y")])
    response = upload_safely(browser, no_course, "...zip", tmp_path, allowed=(400,))
    page = response.get_data(as_text=True)
    assert "mot-thu-muc/course.md" in page and "thu-muc-khac/course.md" in page


def test_a_flat_zip_takes_its_slug_from_a_valid_file_name_only(owner_course_blob, tmp_path):
    browser, course, blob = owner_course_blob
    upload_safely(browser, _flat(_changed(blob)), f"{SLUG}.zip", tmp_path, allowed=(303,))
    db.session.expire_all()
    assert CHANGED in db.session.get(Course, course.id).draft.modules[0].lessons[0].body_md
    counts = _counts()
    refused = upload_safely(browser, _flat(blob), "..zip", tmp_path, allowed=(400,))
    page = refused.get_data(as_text=True)
    assert "<code>course.md</code>" in page and "“.”" in page
    db.session.expire_all()
    assert _counts() == counts


def test_the_command_line_import_of_an_escaping_zip_name_stays_in_its_folder(app, tmp_path):
    archive = tmp_path / "...zip"
    archive.write_bytes(_zip([("mini/course.md", b"---\ntitle: [\n---\n")]))
    with private_tempdir(tmp_path) as outer:
        before = _tree(outer)
        with pytest.raises(ContentError) as caught:
            import_courses(archive)
        assert _tree(outer) == before
    assert str(tmp_path) not in str(caught.value) and "mini/course.md" in str(caught.value)


# ---- members that clash, or whose names are too long --------------------------------------------

QUIZ = f"{SLUG}/01-mo-dun-1/quiz.md"
UPPER_LESSON = f"{SLUG}/01-mo-dun-1/01-BAI-1.md"
NOTE = f"{SLUG}/ghi-chú.md"
UPPER_NOTE = f"{SLUG.upper()}/ghi-chu.md"
NOTE_NFD = unicodedata.normalize("NFD", NOTE)
CLASHES = [
    # (members placed before / after the export's, the entry the page names, words it says)
    ([], [(f"{LESSON}/phu.md", b"x")], LESSON, "vừa là tệp vừa là thư mục"),
    ([(f"{LESSON}/phu.md", b"x")], [], LESSON, "vừa là tệp vừa là thư mục"),
    ([], [(f"{QUIZ}/", b"")], QUIZ, "vừa là tệp vừa là thư mục"),
    ([], [(LESSON, "---\ntitle: Bản thứ hai\n---\nKhác.\n".encode())], LESSON, "hai mục cùng tên"),
    ([], [(UPPER_LESSON, b"x")], UPPER_LESSON, "chỉ khác nhau ở chữ hoa"),
    ([], [(UPPER_NOTE, b"x")], UPPER_NOTE, "chỉ khác nhau ở chữ hoa"),
    ([(NOTE, b"x")], [(NOTE_NFD, b"y")], NOTE_NFD, "cách gõ dấu"),
]
LONG = [
    f"{SLUG}/01-mo-dun-1/{'a' * 253}.md",  # 256 bytes in one part
    f"{SLUG}/01-mo-dun-1/{'ộ' * 86}.md",  # 86 characters, 261 bytes
    f"{SLUG}/{'b' * 300}/01-bai.md",
    f"{SLUG}/" + "/".join(["c" * 200] * 6) + "/x.md",  # every part short, the whole path 1.2 kB
]
REFUSED = [
    (_special(f"{SLUG}/01-mo-dun-1/02-lien-ket.md", stat.S_IFLNK), "liên kết hoặc tệp đặc biệt"),
    (_special(f"{SLUG}/01-mo-dun-1/02-ong.md", stat.S_IFIFO), "liên kết hoặc tệp đặc biệt"),
    (f"{SLUG}/01-mo-dun-1/\x01\x1b.md", "không an toàn"),
]


def _refused_naming(browser, course, blob, tmp_path, entry: str, words: str | None):
    counts = _counts()
    response = upload_safely(browser, blob, "khoa-hoc.zip", tmp_path, allowed=(400,))
    page = response.get_data(as_text=True)
    assert escape(course_archive.shown_name(entry), quote=False) in page
    if words:
        assert words in page
    db.session.expire_all()
    assert _counts() == counts and db.session.get(Course, course.id).draft is None
    return page


@pytest.mark.parametrize("before,after,entry,words", CLASHES)
def test_members_that_would_clash_on_disk_are_a_400_naming_the_entry(
    owner_course_blob, tmp_path, before, after, entry, words
):
    browser, course, blob = owner_course_blob
    archive = _zip([*before, *_entries(blob), *after])
    _refused_naming(browser, course, archive, tmp_path, entry, words)


@pytest.mark.parametrize("entry", LONG)
def test_an_over_long_member_name_is_a_400_naming_the_entry(owner_course_blob, tmp_path, entry):
    browser, course, blob = owner_course_blob
    page = _refused_naming(browser, course, _with(blob, (entry, b"x")), tmp_path, entry, "quá dài")
    assert "byte" in page


@pytest.mark.parametrize("member,words", REFUSED)
def test_links_special_files_and_unsafe_names_are_refused(
    owner_course_blob, tmp_path, member, words
):
    browser, course, blob = owner_course_blob
    entry = member.filename if isinstance(member, zipfile.ZipInfo) else member
    archive = _with(blob, (member, b"---\ntitle: x\n---\nx\n"))
    _refused_naming(browser, course, archive, tmp_path, entry, words)


@pytest.mark.parametrize(
    "patch,words", [({"flags": 0x1}, "mật khẩu"), ({"method": 99}, "kiểu nén")]
)
def test_encrypted_members_and_unknown_compression_are_refused(
    owner_course_blob, tmp_path, patch, words
):
    browser, course, blob = owner_course_blob
    archive = _patched(blob, LESSON, **patch)
    _refused_naming(browser, course, archive, tmp_path, LESSON, words)


def test_a_member_bigger_than_allowed_is_refused_naming_it(
    owner_course_blob, tmp_path, monkeypatch
):
    browser, course, blob = owner_course_blob
    monkeypatch.setattr(course_archive, "MAX_MEMBER_BYTES", 100)
    _refused_naming(browser, course, blob, tmp_path, QUIZ, "quá lớn")


def test_a_damaged_member_is_named(owner_course_blob, tmp_path):
    browser, course, blob = owner_course_blob
    first = _entries(blob)[0][0]
    _refused_naming(browser, course, _corrupt(blob), tmp_path, first, "bị hỏng")


def test_the_clash_is_explained_in_english_too(app, make_user, make_course, tmp_path):
    owner = make_user(roles=("instructor",))
    owner.locale = "en"
    db.session.commit()
    course = make_course(owner=owner, slug=SLUG)
    browser = login_client(app, owner)
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    clash = _with(blob, (f"{LESSON}/phu.md", b"x"))
    page = _refused_naming(browser, course, clash, tmp_path, LESSON, None)
    assert "is both a file and a folder" in page and "vừa là tệp" not in page
    long_name = f"{SLUG}/{'a' * 256}.md"
    too_long = _with(blob, (long_name, b"x"))
    page = _refused_naming(browser, course, too_long, tmp_path, long_name, None)
    assert "too long" in page and "quá dài" not in page


# ---- hostile member names ------------------------------------------------------------------------

MEMBER_CHARS = st.one_of(
    st.sampled_from("./\\:\x00\x01\x7f-aA"), st.characters(exclude_categories=("Cs",))
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=(HealthCheck.function_scoped_fixture, HealthCheck.too_slow),
)
@given(
    member=st.one_of(
        st.text(MEMBER_CHARS, min_size=1, max_size=80),
        st.text(MEMBER_CHARS, min_size=1, max_size=80).map(lambda s: f"{SLUG}/{s}"),
        st.text(MEMBER_CHARS, min_size=250, max_size=600),
    ).filter(lambda name: zipfile.ZipInfo(name).filename)  # a ZIP cannot hold an empty name
)
@example(member=f"{SLUG}/01-mo-dun-1")
@example(member=f"{SLUG}/../../../x")
def test_no_member_name_gives_a_500_or_writes_outside(owner_course_blob, tmp_path, member):
    browser, _course, blob = owner_course_blob
    counts = _counts()
    response = upload_safely(browser, _with(blob, (member, b"x")), "khoa-hoc.zip", tmp_path)
    db.session.expire_all()
    if response.status_code == 400:
        assert _counts() == counts


# ---- names longer than the database keeps -------------------------------------------------------


@pytest.mark.parametrize(
    "old,new",
    [
        (f"{SLUG}/", "k" * 114 + "/"),  # a course slug whose draft copy ("--draft") would not fit
        ("/01-mo-dun-1/", "/01-" + "m" * 121 + "/"),
        ("/01-bai-1.md", "/01-" + "b" * 121 + ".md"),
    ],
)
def test_a_slug_longer_than_the_database_keeps_is_a_400_naming_it(
    owner_course_blob, tmp_path, old, new
):
    browser, course, blob = owner_course_blob
    renamed = _zip((name.replace(old, new), data) for name, data in _entries(blob))
    page = _refused_naming(browser, course, renamed, tmp_path, new.strip("/"), "dài quá")
    assert "ký tự" in page
