"""An instructor's whole journey through HTTP: create, write with an image and a quiz, preview,
publish, edit as a draft, publish version 2, diff, restore version 1 — while a learner who opened
the quiz under version 1 is graded on what they were shown."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from academy.catalog.models import Course, Lesson, Module
from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.models import QuizAttempt
from tests.authoring.helpers import (
    PNG_1PX,
    add_lesson,
    add_module,
    add_question,
    create_course,
    location_id,
    login_client,
    question_form,
    save_lesson,
)
from tests.conftest import PASSWORD, csrf_token_from

V1_BODY = "## Dữ liệu là gì\n\nDữ liệu là **bằng chứng** cho quyết định.\n\nDòng giữ nguyên."
V2_BODY = "## Dữ liệu là gì\n\nDữ liệu là **tài sản** của cơ quan.\n\nDòng giữ nguyên."


@pytest.fixture
def instructor(make_user, auth):
    user = make_user(email="giangvien@hvs.gov.vn", full_name="Lê Thị Giảng", roles=("instructor",))
    auth.login(user)
    return user


def _write_course(client):
    course = create_course(client)
    assert course.status == "draft" and course.version == 1
    module = add_module(client, course)
    lesson_id = add_lesson(client, course, module, body="Bản thảo đầu")
    upload = client.post(
        f"/authoring/courses/{course.id}/media",
        data={"file": (__import__("io").BytesIO(PNG_1PX), "so-do.png"), "alt": "Sơ đồ"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201
    image_md = upload.json["markdown"]
    assert re.fullmatch(r"!\[Sơ đồ\]\(/media/[0-9a-f]{32}\.png\)", image_md)
    assert (
        save_lesson(
            client, course.id, lesson_id, "Bài 1: Dữ liệu là gì", V1_BODY + "\n\n" + image_md
        ).status_code
        == 303
    )
    for prompt, choices in (
        ("Dữ liệu là gì?", [("Bằng chứng", True), ("Tin đồn", False)]),
        ("Ai sở hữu dữ liệu?", [("Cơ quan", True), ("Không ai", False), ("Nhà thầu", False)]),
    ):
        assert add_question(client, course, module, prompt, choices).status_code == 303
    return course, module, lesson_id, image_md


def test_instructor_journey_and_learner_graded_on_what_they_saw(app, client, instructor, make_user):
    course, module, lesson_id, image_md = _write_course(client)

    preview = client.post(
        "/authoring/preview", data={"body_md": "Xin **chào** <script>x()</script>"}
    )
    assert preview.status_code == 200 and "<strong>chào</strong>" in preview.json["html"]
    assert "<script" not in preview.json["html"]
    page = client.get(f"/authoring/courses/{course.id}/lessons/{lesson_id}/preview").get_data(
        as_text=True
    )
    assert "<strong>bằng chứng</strong>" in page and image_md.split("(")[1].rstrip(")") in page
    image = client.get(image_md.split("(")[1].rstrip(")"))
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG_1PX

    assert client.post(f"/authoring/courses/{course.id}/publish").status_code == 303
    db.session.expire_all()
    live = db.session.get(Course, course.id)
    assert live.status == "published" and live.version == 1

    # A learner opens the quiz under version 1 and keeps it open.
    learner = make_user(full_name="Phạm Văn Học")
    browser = login_client(app, learner)
    assert browser.post(f"/courses/{live.slug}/enrol").status_code in (302, 303)
    quiz_page = browser.get(f"/courses/{live.slug}/{module.slug}/quiz").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', quiz_page).group(1)
    v1_questions = sorted(live.modules[0].active_questions, key=lambda q: q.position)
    v1_answers = {
        f"q-{q.id}": str(next(c.id for c in q.choices if c.is_correct)) for q in v1_questions
    }

    # The instructor edits the published course as a draft: lesson text and the first question.
    draft_id = location_id(client.post(f"/authoring/courses/{course.id}/draft"))
    assert draft_id != course.id
    draft = db.session.get(Course, draft_id)
    assert draft.status == "draft" and draft.draft_of_id == course.id
    draft_lesson = draft.modules[0].lessons[0]
    assert (
        save_lesson(
            client, draft_id, draft_lesson.id, "Bài 1: Dữ liệu là gì", V2_BODY + "\n\n" + image_md
        ).status_code
        == 303
    )
    first = sorted(draft.modules[0].active_questions, key=lambda q: q.position)[0]
    edited = client.post(
        f"/authoring/courses/{draft_id}/modules/{draft.modules[0].id}/quiz/{first.id}",
        data=question_form("Dữ liệu là gì?", [("Bằng chứng", False), ("Tin đồn", True)]),
    )
    assert edited.status_code == 303
    # Learners still see version 1 while the draft exists.
    lesson_page = browser.get(
        f"/courses/{live.slug}/{module.slug}/{live.modules[0].lessons[0].slug}"
    )
    assert "bằng chứng" in lesson_page.get_data(as_text=True)
    assert browser.get(f"/courses/{draft.slug}").status_code == 404

    assert client.post(f"/authoring/courses/{draft_id}/publish").status_code == 303
    db.session.expire_all()
    live = db.session.get(Course, course.id)
    assert live.version == 2 and live.draft is None and db.session.get(Course, draft_id) is None
    assert "tài sản" in db.session.get(Lesson, lesson_id).body_html

    # The learner submits the form opened under version 1: graded on the questions they saw.
    result = browser.post(
        f"/courses/{live.slug}/{module.slug}/quiz", data={"token": token, **v1_answers}
    )
    assert result.status_code in (302, 303)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == learner.id))
    shown = [int(q) for q in dict.fromkeys(re.findall(r'name="q-(\d+)"', quiz_page))]
    assert sorted(shown) == sorted(q.id for q in v1_questions)  # drawn in a random order
    assert attempt.score == 1.0 and attempt.question_ids == shown
    assert not db.session.get(type(v1_questions[0]), v1_questions[0].id).is_active

    # History: a readable diff between version 1 content and version 2, then restore.
    lesson = db.session.get(Lesson, lesson_id)
    numbers = [r.number for r in lesson.revisions]
    assert numbers == [1, 2, 3]
    history = client.get(f"/authoring/courses/{course.id}/lessons/{lesson_id}/history?a=2&b=3")
    text = history.get_data(as_text=True)
    assert history.status_code == 200
    assert "<del>Dữ liệu là **bằng chứng** cho quyết định.</del>" in text
    assert "<ins>Dữ liệu là **tài sản** của cơ quan.</ins>" in text
    assert "Lê Thị Giảng" in text

    restored = client.post(f"/authoring/courses/{course.id}/lessons/{lesson_id}/restore/2")
    draft_id = location_id(restored)
    assert client.post(f"/authoring/courses/{draft_id}/publish").status_code == 303
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.body_md == V1_BODY + "\n\n" + image_md and "bằng chứng" in lesson.body_html
    assert db.session.get(Course, course.id).version == 3
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "authoring.course.create",
        "authoring.lesson.save",
        "authoring.course.publish",
        "authoring.draft.create",
        "authoring.media.upload",
    } <= actions


def test_reorder_modules_and_lessons(client, instructor):
    course = create_course(client)
    first, second = add_module(client, course, "Thứ nhất"), add_module(client, course, "Thứ hai")
    client.post(
        f"/authoring/courses/{course.id}/modules/{second.id}/move", data={"direction": "up"}
    )
    db.session.expire_all()
    assert [m.title for m in db.session.get(Course, course.id).modules] == ["Thứ hai", "Thứ nhất"]
    a = add_lesson(client, course, first, "Bài A")
    add_lesson(client, course, first, "Bài B")
    client.post(f"/authoring/courses/{course.id}/lessons/{a}/move", data={"direction": "down"})
    db.session.expire_all()
    module = next(m for m in db.session.get(Course, course.id).modules if m.id == first.id)
    assert [lesson.title for lesson in module.lessons] == ["Bài B", "Bài A"]


def test_delete_lesson_and_module_closes_the_gaps(client, instructor):
    course = create_course(client)
    first = add_module(client, course, "Thứ nhất")
    add_module(client, course, "Thứ hai")
    a = add_lesson(client, course, first, "Bài A")
    add_lesson(client, course, first, "Bài B")
    assert client.post(f"/authoring/courses/{course.id}/lessons/{a}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(Lesson, a) is None
    assert [
        (lesson.title, lesson.position) for lesson in db.session.get(Module, first.id).lessons
    ] == [("Bài B", 1)]
    assert (
        client.post(f"/authoring/courses/{course.id}/modules/{first.id}/delete").status_code == 303
    )
    db.session.expire_all()
    modules = db.session.get(Course, course.id).modules
    assert [(m.title, m.position) for m in modules] == [("Thứ hai", 1)]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"authoring.lesson.delete", "authoring.module.delete"} <= actions


def test_publish_refuses_incomplete_course(client, instructor):
    course = create_course(client)
    add_module(client, course)
    page = client.post(f"/authoring/courses/{course.id}/publish", follow_redirects=True)
    assert "chưa có bài học" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == "draft"


def test_published_course_is_not_edited_in_place(client, instructor, make_course):
    course = make_course(owner=instructor)
    lesson = course.modules[0].lessons[0]
    response = save_lesson(client, course.id, lesson.id, "Đổi tên", "Nội dung mới")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).title != "Đổi tên"


def test_editor_posts_need_the_csrf_token(csrf_app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, status="draft")
    browser = csrf_app.test_client()
    login_page = browser.get("/login").get_data(as_text=True)
    browser.post(
        "/login",
        data={
            "email": owner.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login_page),
        },
    )
    lesson = course.modules[0].lessons[0]
    editor = browser.get(f"/authoring/courses/{course.id}/lessons/{lesson.id}").get_data(
        as_text=True
    )
    token = csrf_token_from(editor)
    assert 'data-preview-url="/authoring/preview"' in editor
    assert browser.post("/authoring/preview", data={"body_md": "**x**"}).status_code == 400
    ok = browser.post(
        "/authoring/preview", data={"body_md": "**x**"}, headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 200 and ok.json["html"] == "<p><strong>x</strong></p>"
    assert save_lesson(browser, course.id, lesson.id, "Không token", "x").status_code == 400


def test_every_form_page_renders_in_vietnamese(client, instructor):
    course = create_course(client)
    module = add_module(client, course)
    for path, words in (
        ("/authoring/courses/new", "Tạo khoá học mới"),
        (f"/authoring/courses/{course.id}/modules/new", "Thêm học phần"),
        (f"/authoring/courses/{course.id}/modules/{module.id}/lessons/new", "Bài học mới"),
        (f"/authoring/courses/{course.id}/modules/{module.id}/quiz/new", "Thêm câu hỏi"),
        (f"/authoring/courses/{course.id}/modules/{module.id}/quiz", "Bài kiểm tra"),
        ("/authoring/", "Khoá học tôi soạn"),
    ):
        page = client.get(path)
        assert page.status_code == 200 and words in page.get_data(as_text=True), path
    assert client.post("/authoring/courses/new", data={"title": ""}).status_code == 400
    lesson_id = add_lesson(client, course, module)
    assert (
        client.get(f"/authoring/courses/{course.id}/lessons/{lesson_id}/history?a=99").status_code
        == 404
    )
