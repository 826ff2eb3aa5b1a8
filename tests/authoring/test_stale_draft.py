"""A browser draft made before the course was updated from git is not published over that update
without the author being warned and confirming."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from academy.catalog.models import Course, Lesson
from academy.coursefiles.exporter import export_course
from academy.database import db
from tests.authoring.helpers import save_lesson


def start_draft(client, course) -> int:
    assert client.post(f"/authoring/courses/{course.id}/draft").status_code == 303
    return db.session.scalar(select(Course.id).where(Course.draft_of_id == course.id))


def draft_lesson_id(draft_id: int) -> int:
    return db.session.get(Course, draft_id).modules[0].lessons[0].id


@pytest.fixture
def instructor(make_user, auth):
    user = make_user(roles=("instructor",))
    auth.login(user)
    return user


def test_publishing_a_draft_older_than_a_git_import_needs_confirmation(
    client, runner, instructor, make_course, tmp_path
):
    course = make_course(owner=instructor, slug="du-lieu-mo")
    first = course.modules[0].lessons[0]
    draft_id = start_draft(client, course)
    save_lesson(
        client, draft_id, draft_lesson_id(draft_id), first.title, "Bản nháp trên trình duyệt"
    )

    folder = export_course(course, tmp_path)  # meanwhile, someone updates the course from git
    lesson_file = next((folder / "01-mo-dun-1").glob("01-*.md"))
    lesson_file.write_text(
        lesson_file.read_text(encoding="utf-8") + "\nĐoạn mới từ git.\n", encoding="utf-8"
    )
    result = runner.invoke(args=["courses", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "bản nháp" in result.output

    page = client.get(f"/authoring/courses/{draft_id}").get_data(as_text=True)
    assert "đã được cập nhật lên phiên bản 2" in page and "Vẫn xuất bản bản nháp này" in page

    refused = client.post(f"/authoring/courses/{draft_id}/publish", follow_redirects=True)
    assert "đã được cập nhật lên phiên bản 2" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert "Đoạn mới từ git." in db.session.get(Lesson, first.id).body_md  # nothing overwritten

    confirmed = client.post(f"/authoring/courses/{draft_id}/publish", data={"overwrite": "1"})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Lesson, first.id).body_md == "Bản nháp trên trình duyệt"
    assert db.session.get(Course, course.id).version == 3


def test_a_draft_of_the_current_version_publishes_without_a_warning(
    client, instructor, make_course
):
    course = make_course(owner=instructor, slug="du-lieu-mo-2")
    first = course.modules[0].lessons[0]
    draft_id = start_draft(client, course)
    save_lesson(client, draft_id, draft_lesson_id(draft_id), first.title, "Nội dung mới")
    assert "Vẫn xuất bản" not in client.get(f"/authoring/courses/{draft_id}").get_data(as_text=True)
    assert client.post(f"/authoring/courses/{draft_id}/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(Lesson, first.id).body_md == "Nội dung mới"
