"""Authoring rough edges: deleting and publishing ask first (without script), an image can be
uploaded while writing a new lesson, and re-importing an unchanged course ZIP changes nothing."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, Lesson, LessonRevision, Module, Question
from academy.database import db
from tests.authoring.helpers import (
    PNG_1PX,
    add_lesson,
    add_module,
    add_question,
    create_course,
    login_client,
)


@pytest.fixture
def draft(client, make_user, auth):
    """A draft course with one module, one lesson and one question."""
    auth.login(make_user(roles=("instructor",)))
    course = create_course(client)
    module = add_module(client, course)
    lesson_id = add_lesson(client, course, module)
    add_question(
        client,
        course,
        module,
        "Dữ liệu mở là gì?",
        [("Dữ liệu công khai", True), ("Dữ liệu mật", False)],
    )
    db.session.expire_all()
    question = db.session.get(Module, module.id).active_questions[0]
    return course, module, lesson_id, question.id


def _confirm_form(page: str, action: str) -> bool:
    """The page asks "Bạn chắc chắn…?" and has a POST form to ``action``."""
    return (
        "Bạn chắc chắn" in page
        and re.search(rf'<form method="post" action="{re.escape(action)}"', page) is not None
    )


def test_deleting_asks_first_and_only_the_post_deletes(client, draft):
    course, module, lesson_id, question_id = draft
    course_page = client.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    base = f"/authoring/courses/{course.id}"
    targets = [
        (f"{base}/lessons/{lesson_id}/delete", Lesson, lesson_id),
        (f"{base}/modules/{module.id}/quiz/{question_id}/delete", Question, question_id),
        (f"{base}/modules/{module.id}/delete", Module, module.id),
    ]
    for url, model, row_id in targets:
        if model is not Question:  # the course page links to the question, not a POST button
            assert f'href="{url}"' in course_page
        assert f'<form method="post" action="{url}"' not in course_page
        asked = client.get(url)
        assert asked.status_code == 200 and _confirm_form(asked.get_data(as_text=True), url)
        db.session.expire_all()
        assert db.session.get(model, row_id) is not None  # a GET deletes nothing
        assert client.post(url).status_code == 303
        db.session.expire_all()
        assert db.session.get(model, row_id) is None


def test_publishing_asks_first_and_lists_what_stops_it(client, draft):
    course, module, lesson_id, _question_id = draft
    url = f"/authoring/courses/{course.id}/publish"
    assert f'href="{url}"' in client.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    asked = client.get(url)
    assert asked.status_code == 200 and _confirm_form(asked.get_data(as_text=True), url)
    assert db.session.get(Course, course.id).status == "draft"
    done = client.post(url, follow_redirects=True)
    assert "Đã xuất bản phiên bản 1" in done.get_data(as_text=True)

    empty = create_course(client, title="Khoá học trống")
    page = client.get(f"/authoring/courses/{empty.id}/publish").get_data(as_text=True)
    assert "Chưa xuất bản được vì" in page and "Khoá học chưa có học phần nào." in page
    assert "Bạn chắc chắn" not in page
    assert not re.search(r'<button[^>]*type="submit">Xuất bản</button>', page)


def test_an_image_is_uploaded_while_writing_a_new_lesson(client, draft):
    course, module, _lesson_id, _question_id = draft
    url = f"/authoring/courses/{course.id}/modules/{module.id}/lessons/new"
    assert 'enctype="multipart/form-data"' in client.get(url).get_data(as_text=True)
    lessons = db.session.scalar(select(func.count(Lesson.id)))
    sent = client.post(
        url,
        content_type="multipart/form-data",
        data={
            "title": "Bài có hình",
            "body_md": "Đoạn mở đầu đã gõ.",
            "action": "upload",
            "image_alt": "Sơ đồ dữ liệu",
            "image": (io.BytesIO(PNG_1PX), "so-do.png"),
        },
    )
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200
    inserted = re.search(r"!\[Sơ đồ dữ liệu\]\((/media/[0-9a-f]{32}\.png)\)", page)
    assert inserted and 'value="Bài có hình"' in page
    assert "Đoạn mở đầu đã gõ.\n\n![Sơ đồ dữ liệu]" in page  # typed text kept, image after it
    assert client.get(inserted.group(1)).data == PNG_1PX
    assert db.session.scalar(select(func.count(Lesson.id))) == lessons  # nothing saved yet

    body = f"Đoạn mở đầu đã gõ.\n\n![Sơ đồ dữ liệu]({inserted.group(1)})"
    saved = client.post(url, data={"title": "Bài có hình", "body_md": body, "action": "save"})
    assert saved.status_code == 303
    lesson = db.session.scalars(select(Lesson).where(Lesson.title == "Bài có hình")).one()
    assert f'src="{inserted.group(1)}"' in lesson.body_html


def test_an_upload_that_is_no_image_keeps_the_typed_lesson(client, draft):
    course, module, _lesson_id, _question_id = draft
    url = f"/authoring/courses/{course.id}/modules/{module.id}/lessons/new"
    sent = client.post(
        url,
        content_type="multipart/form-data",
        data={
            "title": "Bài mới",
            "body_md": "Nội dung đang gõ",
            "action": "upload",
            "image": (io.BytesIO(b"<svg onload=alert(1)>"), "anh.png"),
        },
    )
    page = sent.get_data(as_text=True)
    assert sent.status_code == 400 and "Chỉ nhận ảnh PNG, JPEG, GIF hoặc WebP." in page
    assert "Nội dung đang gõ" in page and 'value="Bài mới"' in page


def _upload(browser, blob):
    return browser.post(
        "/authoring/import",
        data={"file": (io.BytesIO(blob), "khoa-hoc.zip")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _edited(blob: bytes, suffix: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(
                info, data.replace(old, new) if info.filename.endswith(suffix) else data
            )
    return out.getvalue()


def _revisions() -> int:
    return db.session.scalar(select(func.count(LessonRevision.id)))


def test_reimporting_an_unchanged_zip_reports_no_change_and_keeps_every_revision(
    app, make_user, make_course
):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, slug="du-lieu-mo")
    browser = login_client(app, owner)
    with db.session.no_autoflush:  # a body saved with a trailing newline, as the browser may
        course.modules[0].lessons[0].body_md += "\n"
    db.session.commit()
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    before = _revisions()
    for _ in range(2):
        page = _upload(browser, blob).get_data(as_text=True)
        assert "du-lieu-mo: không có thay đổi" in page
        db.session.expire_all()
        assert _revisions() == before
        live = db.session.get(Course, course.id)
        assert live.draft is None and live.version == 1  # no draft copy appears either

    changed = _edited(blob, "course.md", b"pass_threshold: 0.7", b"pass_threshold: 0.8")
    page = _upload(browser, changed).get_data(as_text=True)
    assert re.search(r"du-lieu-mo(--draft)?: 0 thêm, 1 sửa, 0 xoá", page)
    db.session.expire_all()
    draft = db.session.get(Course, course.id).draft
    assert draft.pass_threshold == 0.8 and _revisions() == before
    again = _upload(browser, changed).get_data(as_text=True)  # the draft already says so
    assert "du-lieu-mo: không có thay đổi" in again and _revisions() == before
