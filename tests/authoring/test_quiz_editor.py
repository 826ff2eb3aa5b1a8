"""The quiz editor: questions from a form, and the whole quiz as quiz.md (importer's checks)."""

from __future__ import annotations

import pytest

from academy.catalog.models import Course
from academy.database import db
from academy.learning.models import AttemptAnswer, QuizAttempt
from tests.authoring.helpers import add_module, add_question, create_course, question_form


@pytest.fixture
def module(client, make_user, auth):
    auth.login(make_user(roles=("instructor",)))
    course = create_course(client)
    return add_module(client, course)


def _quiz(module):
    db.session.expire_all()
    course = db.session.get(Course, module.course_id)
    return next(m for m in course.modules if m.id == module.id)


def test_form_questions_infer_kind_and_validate(client, module):
    assert (
        add_question(
            client,
            module.course,
            module,
            "Có nên công khai dữ liệu cá nhân?",
            [("Đúng", False), ("Sai", True)],
        ).status_code
        == 303
    )
    assert (
        add_question(
            client,
            module.course,
            module,
            "Chọn các nguồn dữ liệu hành chính",
            [("Hồ sơ một cửa", True), ("Sổ hộ tịch", True), ("Tin đồn", False)],
        ).status_code
        == 303
    )
    kinds = [q.kind for q in _quiz(module).active_questions]
    assert kinds == ["true_false", "multiple"]
    no_right = add_question(
        client, module.course, module, "Câu thiếu đáp án", [("A", False), ("B", False)]
    )
    assert no_right.status_code == 400 and "chưa có đáp án đúng" in no_right.get_data(as_text=True)
    no_why = add_question(
        client,
        module.course,
        module,
        "Câu thiếu giải thích",
        [("A", True), ("B", False)],
        explanation="",
    )
    assert no_why.status_code == 400 and "giải thích" in no_why.get_data(as_text=True)
    assert len(_quiz(module).active_questions) == 2


def test_edit_and_delete_questions(client, module):
    add_question(client, module.course, module, "Câu gốc", [("A", True), ("B", False)])
    question = _quiz(module).active_questions[0]
    base = f"/authoring/courses/{module.course_id}/modules/{module.id}/quiz"
    form = client.get(f"{base}/{question.id}").get_data(as_text=True)
    assert "Câu gốc" in form
    client.post(
        f"{base}/{question.id}",
        data=question_form("Câu đã sửa", [("A", False), ("B", True), ("C", False)]),
    )
    edited = _quiz(module).active_questions[0]
    assert edited.prompt_md == "Câu đã sửa" and [c.is_correct for c in edited.choices] == [
        False,
        True,
        False,
    ]
    client.post(f"{base}/{edited.id}/delete")
    assert _quiz(module).active_questions == []


def test_quiz_text_round_trip_and_line_numbered_errors(client, module):
    base = f"/authoring/courses/{module.course_id}/modules/{module.id}/quiz/text"
    text = (
        "## Dữ liệu mở là gì?\n- [x] Dữ liệu được công bố để dùng lại\n- [ ] Dữ liệu mật\n"
        "> Dữ liệu mở được công bố theo giấy phép cho phép dùng lại.\n\n"
        "## Chỉ số nào đo kết quả?\n- [ ] Số cuộc họp\n- [x] Tỷ lệ hồ sơ đúng hạn\n"
        "> Kết quả, không phải hoạt động.\n"
    )
    assert client.post(base, data={"text": text}).status_code == 303
    assert [q.prompt_md for q in _quiz(module).active_questions] == [
        "Dữ liệu mở là gì?",
        "Chỉ số nào đo kết quả?",
    ]
    assert "## Dữ liệu mở là gì?\n- [x] Dữ liệu được công bố" in client.get(base).get_data(
        as_text=True
    )
    broken = text.replace("- [ ] Số cuộc họp", "- [] Số cuộc họp")
    response = client.post(base, data={"text": broken})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "dòng 7" in page
    assert len(_quiz(module).active_questions) == 2  # nothing changed


def test_published_quiz_is_read_only_and_draft_edit_keeps_answered_rows(client, module, make_user):
    add_question(
        client, module.course, module, "Câu đã có người trả lời", [("A", True), ("B", False)]
    )
    client.post(
        f"/authoring/courses/{module.course_id}/modules/{module.id}/lessons/new",
        data={"title": "Bài", "body_md": "Nội dung"},
    )
    assert client.post(f"/authoring/courses/{module.course_id}/publish").status_code == 303
    question = _quiz(module).active_questions[0]
    learner = make_user()
    db.session.add(
        QuizAttempt(
            user_id=learner.id,
            module_id=module.id,
            token="tok",
            question_ids=[question.id],
            score=1.0,
            answers=[
                AttemptAnswer(
                    question_id=question.id, choice_ids=[question.choices[0].id], is_correct=True
                )
            ],
        )
    )
    db.session.commit()
    base = f"/authoring/courses/{module.course_id}/modules/{module.id}/quiz"
    assert (
        client.post(
            f"{base}/new", data=question_form("Thêm", [("A", True), ("B", False)])
        ).status_code
        == 303
    )
    assert len(_quiz(module).active_questions) == 1  # refused on the live course (redirected)
    draft_id = int(
        client.post(f"/authoring/courses/{module.course_id}/draft")
        .headers["Location"]
        .split("/")[-1]
    )
    draft_module = db.session.get(Course, draft_id).modules[0]
    draft_q = draft_module.active_questions[0]
    client.post(
        f"/authoring/courses/{draft_id}/modules/{draft_module.id}/quiz/{draft_q.id}",
        data=question_form("Câu đã sửa", [("A", False), ("B", True)]),
    )
    client.post(f"/authoring/courses/{draft_id}/publish")
    db.session.expire_all()
    old = db.session.get(type(question), question.id)
    assert (
        not old.is_active
        and old.prompt_md == "Câu đã có người trả lời"
        and old.choices[0].is_correct
    )
    assert [q.prompt_md for q in _quiz(module).active_questions] == ["Câu đã sửa"]
