"""Content that would cost a worker minutes, or echo megabytes back, is bounded end to end: the
preview and the history answer promptly, an over-long lesson and YAML aliases are refused with a
short, located message in the reader's language, and nothing is written."""

from __future__ import annotations

import io
import shutil
import time
import zipfile

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, Lesson
from academy.database import db
from academy.markdown import MAX_MARKDOWN_CHARS
from tests.authoring.helpers import add_lesson, add_module, create_course, login_client, save_lesson
from tests.coursefiles.helpers import MINI_COURSE

FIXTURE = MINI_COURSE
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture
def lesson(client, make_user, auth):
    auth.login(make_user(roles=("instructor",)))
    course = create_course(client)
    module = add_module(client, course)
    return course, add_lesson(client, course, module, body="Mở đầu\n\nNội dung ban đầu.")


def test_preview_of_a_hostile_text_at_the_cap_answers_with_the_text_escaped(
    client, make_user, auth
):
    auth.login(make_user(roles=("instructor",)))
    started = time.monotonic()
    response = client.post(
        "/authoring/preview", data={"body_md": ("<b\n" * MAX_MARKDOWN_CHARS)[:MAX_MARKDOWN_CHARS]}
    )
    assert time.monotonic() - started < 10  # unbounded: minutes
    assert response.status_code == 200
    assert response.json["html"].startswith("<p>&lt;b<br>")


@pytest.mark.parametrize(
    "locale,message",
    [
        ("vi", "Nội dung quá dài (tối đa 200000 ký tự)."),
        ("en", "The text is too long (at most 200000 characters)."),
    ],
)
def test_a_lesson_over_the_cap_is_refused_and_not_saved(client, make_user, auth, locale, message):
    author = make_user(roles=("instructor",))
    author.locale = locale
    db.session.commit()
    auth.login(author)
    course = create_course(client)
    lesson_id = add_lesson(client, course, add_module(client, course), body="Nội dung ban đầu.")
    response = save_lesson(client, course.id, lesson_id, "Bài 1", "x" * (MAX_MARKDOWN_CHARS + 1))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lesson, lesson_id).body_md == "Nội dung ban đầu."


def test_history_of_two_hostile_revisions_answers_with_the_cut_off_message(client, lesson):
    course, lesson_id = lesson
    head = "## Mở đầu\n\n"
    assert (
        save_lesson(client, course.id, lesson_id, "Bài 1", head + "a\nb\nc\n" * 5000).status_code
        == 303
    )
    assert (
        save_lesson(client, course.id, lesson_id, "Bài 1", head + "c\nb\na\n" * 5000).status_code
        == 303
    )
    started = time.monotonic()
    page = client.get(f"/authoring/courses/{course.id}/lessons/{lesson_id}/history?a=2&b=3")
    assert time.monotonic() - started < 10  # unbounded: minutes
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert (
        "Phần thay đổi quá dài để so sánh từng dòng (15000 dòng ở bản cũ, 15000 dòng ở bản mới)."
        in text
    )
    assert text.count('class="diff-equal"') <= 6  # only the context around the cut-off


def test_history_of_an_ordinary_edit_still_shows_the_changed_lines(client, lesson):
    course, lesson_id = lesson
    save_lesson(client, course.id, lesson_id, "Bài 1", "Mở đầu\n\nNội dung đã sửa.")
    text = client.get(f"/authoring/courses/{course.id}/lessons/{lesson_id}/history").get_data(
        as_text=True
    )
    assert "<del>Nội dung ban đầu.</del>" in text and "<ins>Nội dung đã sửa.</ins>" in text
    assert "quá dài" not in text


def _zip_with(course_md: str) -> bytes:
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        for path in FIXTURE.rglob("*.md"):
            name = f"mini-course/{path.relative_to(FIXTURE)}"
            archive.writestr(
                name, course_md if path.name == "course.md" else path.read_text(encoding="utf-8")
            )
    return blob.getvalue()


ALIASED = "---\ntitle: Khoá học\n" + LAUGHS + "track: *i\nlevel: basic\nhours: 2\n---\nMô tả.\n"


def test_yaml_aliases_in_an_uploaded_course_are_refused_with_file_and_line(app, make_user):
    browser = login_client(app, make_user(roles=("instructor",)))
    before = db.session.scalar(select(func.count()).select_from(Course))
    started = time.monotonic()
    response = browser.post(
        "/authoring/import",
        data={"file": (io.BytesIO(_zip_with(ALIASED)), "k.zip")},
        content_type="multipart/form-data",
    )
    assert time.monotonic() - started < 10
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<code>mini-course/course.md:3" in page
    assert "neo (&amp;) hay bí danh (*)" in page
    assert page.count("lol") <= 1 and len(page) < 50_000
    assert db.session.scalar(select(func.count()).select_from(Course)) == before


def test_yaml_aliases_are_refused_by_the_import_command_in_a_few_lines(app, runner, tmp_path):
    folder = tmp_path / "mini-course"
    shutil.copytree(FIXTURE, folder)
    (folder / "course.md").write_text(ALIASED, encoding="utf-8")
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code == 1
    assert (
        "mini-course/course.md:3: Phần đầu YAML không được dùng neo (&) hay bí danh (*)."
        in result.output
    )
    assert len(result.output) < 1000


def test_a_long_value_is_not_echoed_back_in_an_error(app, runner, tmp_path):
    folder = tmp_path / "mini-course"
    shutil.copytree(FIXTURE, folder)
    text = (FIXTURE / "course.md").read_text(encoding="utf-8")
    (folder / "course.md").write_text(
        text.replace("track: data", "track: " + "x" * 50_000), encoding="utf-8"
    )
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code == 1 and "course.md:4:" in result.output
    assert "x" * 80 not in result.output and len(result.output) < 1000
