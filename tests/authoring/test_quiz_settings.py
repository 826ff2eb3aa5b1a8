"""Quiz settings as an instructor sets them in the browser: the pass mark as a percentage, the
review policy, the wait between attempts, per module the questions drawn and the time limit; and
in the quiz editor the question type, pinned choices and quiz.md errors beside their lines."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from academy.catalog.models import Course, Module
from academy.database import db
from tests.authoring.helpers import (
    add_lesson,
    add_module,
    add_question,
    create_course,
    location_id,
    question_form,
)

COURSE_FIELDS = {
    "title": "Dữ liệu mở",
    "summary": "",
    "description_md": "",
    "track": "data",
    "level": "basic",
    "hours": "4",
    "review_policy": "settled",
    "attempt_wait_minutes": "0",
}


@pytest.fixture
def instructor(client, make_user, auth):
    auth.login(make_user(roles=("instructor",)))


@pytest.fixture
def course(client, instructor):
    return create_course(client)


def _module(module_id: int) -> Module:
    db.session.expire_all()
    return db.session.get(Module, module_id)


def _quiz_base(course, module) -> str:
    return f"/authoring/courses/{course.id}/modules/{module.id}/quiz"


@pytest.mark.parametrize(
    "typed,share,shown",
    [
        ("70", 0.7, "70%"),
        ("70 %", 0.7, "70%"),
        ("70,5", 0.705, "70,5%"),
        ("85.5%", 0.855, "85,5%"),
    ],
)
def test_pass_mark_is_typed_and_shown_as_a_percentage(client, instructor, typed, share, shown):
    response = client.post(
        "/authoring/courses/new", data={**COURSE_FIELDS, "pass_threshold": typed}
    )
    course = db.session.get(Course, location_id(response))
    assert course.pass_threshold == pytest.approx(share)
    page = client.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    assert re.search(r"Điểm đạt</dt>\s*<dd[^>]*>" + re.escape(shown) + "<", page)
    form = client.get(f"/authoring/courses/{course.id}/settings").get_data(as_text=True)
    assert "Điểm đạt (%)" in form and f'value="{shown[:-1]}"' in form


@pytest.mark.parametrize("typed", ["bảy mươi", "5", "150", "70 %%"])
def test_a_pass_mark_that_is_no_percentage_is_refused_with_a_message(client, instructor, typed):
    response = client.post(
        "/authoring/courses/new", data={**COURSE_FIELDS, "pass_threshold": typed}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nhập điểm đạt dạng phần trăm" in page or "từ 10% đến 100%" in page
    assert db.session.query(Course).count() == 0


def test_review_policy_and_wait_are_saved_and_shown(client, course):
    response = client.post(
        f"/authoring/courses/{course.id}/settings",
        data={
            **COURSE_FIELDS,
            "title": course.title,
            "pass_threshold": "80",
            "review_policy": "never",
            "attempt_wait_minutes": "15",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert (course.pass_threshold, course.review_policy, course.attempt_wait_minutes) == (
        0.8,
        "never",
        15,
    )
    page = client.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    assert "Không bao giờ" in page and "15 phút" in page and "80%" in page


def test_draw_count_larger_than_the_pool_is_refused_on_save_and_on_publish(client, course):
    module = add_module(client, course)
    add_lesson(client, course, module)
    for n in (1, 2):
        add_question(client, course, module, f"Câu hỏi {n}?", [("Có", True), ("Không", False)])
    edit = f"/authoring/courses/{course.id}/modules/{module.id}"
    fields = {"title": module.title, "summary": "", "intro_md": "", "minutes": "30"}
    refused = client.post(edit, data={**fields, "quiz_draw": "3"})
    assert refused.status_code == 400
    assert "rút 3 câu mỗi lần nhưng chỉ có 2 câu hỏi" in refused.get_data(as_text=True)
    assert _module(module.id).quiz_draw is None
    assert (
        client.post(edit, data={**fields, "quiz_draw": "2", "quiz_time_limit": "20"}).status_code
        == 303
    )
    assert (_module(module.id).quiz_draw, _module(module.id).quiz_time_limit) == (2, 20)

    only_one = "## Câu hỏi 1?\n- [x] Có\n- [ ] Không\n> Vì vậy.\n"
    client.post(f"{_quiz_base(course, module)}/text", data={"text": only_one})
    quiz_page = client.get(_quiz_base(course, module)).get_data(as_text=True)
    assert "rút 2 câu mỗi lần nhưng chỉ có 1 câu hỏi" in quiz_page
    published = client.post(f"/authoring/courses/{course.id}/publish", follow_redirects=True)
    assert "rút 2 câu mỗi lần nhưng chỉ có 1 câu hỏi" in published.get_data(as_text=True)
    assert db.session.get(Course, course.id).status == "draft"

    assert (
        client.post(edit, data={**fields, "quiz_draw": "", "quiz_time_limit": ""}).status_code
        == 303
    )
    assert (_module(module.id).quiz_draw, _module(module.id).quiz_time_limit) == (None, None)


def test_a_new_module_cannot_draw_questions_it_does_not_have(client, course):
    response = client.post(
        f"/authoring/courses/{course.id}/modules/new",
        data={"title": "Học phần mới", "minutes": "30", "quiz_draw": "5"},
    )
    assert response.status_code == 400
    assert "chỉ có 0 câu hỏi" in response.get_data(as_text=True)


def test_pinned_choice_round_trips_through_the_form_quiz_md_and_the_zip(client, course):
    module = add_module(client, course)
    data = question_form(
        "Nguồn nào là dữ liệu hành chính?",
        [("Hồ sơ một cửa", True), ("Tin đồn", False), ("Cả hai phương án trên", False)],
    )
    data["choices-2-is_pinned"] = "y"
    assert client.post(f"{_quiz_base(course, module)}/new", data=data).status_code == 303
    [question] = _module(module.id).active_questions
    assert [c.is_pinned for c in question.choices] == [False, False, True]

    text = client.get(f"{_quiz_base(course, module)}/text").get_data(as_text=True)
    assert "- [ ] Cả hai phương án trên {ghim}" in text
    edit = client.get(f"{_quiz_base(course, module)}/{question.id}").get_data(as_text=True)
    assert _is_checked(edit, "choices-2-is_pinned") and not _is_checked(edit, "choices-0-is_pinned")
    assert "Giữ nguyên vị trí" in edit

    moved = (
        "## Nguồn nào là dữ liệu hành chính?\n- [x] Hồ sơ một cửa {ghim}\n- [ ] Tin đồn\n"
        "- [ ] Cả hai phương án trên\n> Giải thích đáp án.\n"
    )
    assert (
        client.post(f"{_quiz_base(course, module)}/text", data={"text": moved}).status_code == 303
    )
    [question] = _module(module.id).active_questions
    assert [c.is_pinned for c in question.choices] == [True, False, False]
    archive = client.get(f"/authoring/courses/{course.id}/export.zip").data
    assert "- [x] Hồ sơ một cửa {ghim}".encode() in _zip_member(archive, "quiz.md")


def _is_checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    return re.search(r"\schecked[\s>]", tag) is not None


def _zip_member(blob: bytes, suffix: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return next(archive.read(n) for n in archive.namelist() if n.endswith(suffix))


def test_type_selector_sets_the_kind_of_a_question(client, course):
    module = add_module(client, course)
    base = _quiz_base(course, module)
    multiple = {
        **question_form("Việc nào cần làm?", [("Ẩn danh", True), ("Bỏ qua", False)]),
        "kind": "multiple",
    }
    assert client.post(f"{base}/new", data=multiple).status_code == 303
    [question] = _module(module.id).active_questions
    assert question.kind == "multiple"
    assert "## Việc nào cần làm? {chọn nhiều}" in client.get(f"{base}/text").get_data(as_text=True)
    edit = client.get(f"{base}/{question.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="multiple">|<option value="multiple" selected', edit)

    assert (
        client.post(f"{base}/{question.id}", data={**multiple, "kind": "single"}).status_code == 303
    )
    assert _module(module.id).active_questions[0].kind == "single"

    two_right = {**question_form("Chọn một", [("A", True), ("B", True)]), "kind": "single"}
    refused = client.post(f"{base}/new", data=two_right)
    assert refused.status_code == 400 and "Nhiều đáp án đúng" in refused.get_data(as_text=True)

    true_false = {
        **question_form("Dữ liệu mở cần giấy phép?", [("", False), ("", True)]),
        "kind": "true_false",
    }
    assert client.post(f"{base}/new", data=true_false).status_code == 303
    added = _module(module.id).active_questions[-1]
    assert added.kind == "true_false"
    assert [(c.text, c.is_correct) for c in added.choices] == [("Đúng", False), ("Sai", True)]


def test_quiz_md_errors_are_shown_beside_their_line_numbers(client, course):
    module = add_module(client, course)
    text = (
        "## Câu hỏi đầu?\n- [x] Có\n- [ ] Không\n> Vì vậy.\n\n"
        "## Câu hỏi hai?\n- [x]thiếu dấu cách\n- [ ] Không\n> Giải thích.\n"
    )
    response = client.post(f"{_quiz_base(course, module)}/text", data={"text": text})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    row = re.search(r'<li class="quiz-error-line" id="quiz-error-line-7">(.*?)</li>', page, re.S)
    assert row, page[:3000]
    assert re.search(r'<span class="quiz-line-number"[^>]*>7</span>', row.group(1))
    assert "- [x]thiếu dấu cách" in row.group(1) and "Lựa chọn phải có dạng" in row.group(1)
    assert re.search(r'<li class="has-error"[^>]*>7</li>', page)
    assert "thiếu dấu cách" in page.split("<textarea", 1)[1]  # what was typed stays in the box
    assert _module(module.id).active_questions == []
