"""Each quiz opening draws from the module's question bank in a random order with shuffled choices,
and the attempt is graded and reviewed on exactly what it showed."""

from __future__ import annotations

import re

from sqlalchemy import select

from academy.catalog.models import Course, Question
from academy.database import db
from academy.learning.models import QuizAttempt
from tests.authoring.helpers import location_id, login_client, question_form
from tests.learning.conftest import quiz_url, token_from
from tests.learning.quizbank import PINNED, answers, fill_bank, shown

# With 8 questions of 4 choices, two openings show the same questions in the same order with the
# same choice orders with probability 1 / (8! * 24^8), about 2e-16: these tests do not flake.


def open_page(client, course, module) -> tuple[str, list[tuple[int, list[int]]]]:
    html = client.get(quiz_url(course, module)).get_data(as_text=True)
    return html, shown(html)


def test_two_attempts_show_different_orders_and_each_records_what_it_showed(
    app, client, enrolled, fresh
):
    app.config["QUIZ_MAX_ATTEMPTS"] = 0
    module = enrolled.modules[0]
    fill_bank(module)
    pages = [open_page(client, enrolled, module) for _ in range(3)]
    orders = [page for _html, page in pages]
    assert all(sorted(q for q, _c in page) == sorted(q for q, _c in orders[0]) for page in orders)
    assert orders[0] != orders[1]
    assert len({tuple(q for q, _c in page) for page in orders}) > 1, "question order never changes"
    assert len({tuple(tuple(c) for _q, c in page) for page in orders}) > 1, "choices never move"
    for html, page in pages[:2]:
        client.post(
            quiz_url(enrolled, module),
            data={"token": token_from(html), **answers(page, right=False)},
        )
    fresh()
    attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)).all()
    assert len(attempts) == 2
    for attempt, page in zip(attempts, orders[:2], strict=True):
        assert attempt.question_ids == [q for q, _c in page]
        assert attempt.choice_order == {str(q): c for q, c in page}


def test_the_result_lists_questions_and_choices_in_the_order_shown(client, enrolled):
    module = enrolled.modules[0]
    fill_bank(module)
    html, page = open_page(client, enrolled, module)
    result = client.post(
        quiz_url(enrolled, module),
        data={"token": token_from(html), **answers(page)},
        follow_redirects=True,
    )
    text = result.get_data(as_text=True)
    assert "100%" in text
    prompts = [int(n) for n in re.findall(r"Câu ngân hàng (\d+)\?", text)]
    expected = [int(db.session.get(Question, q).prompt_md.split()[-1][:-1]) for q, _c in page]
    assert prompts == expected
    first_q, first_choices = page[0]
    texts = re.findall(rf"Phương án {prompts[0]}\.(\d)", text)
    positions = {c.id: c.position for c in db.session.get(Question, first_q).choices}
    assert [int(t) for t in texts] == [positions[c] for c in first_choices]


def test_a_draw_of_n_shows_n_questions_from_the_whole_bank(client, enrolled, fresh):
    module = enrolled.modules[0]
    bank = fill_bank(module)
    module.quiz_draw = 3
    db.session.commit()
    seen = set()
    for _ in range(10):  # the same 3 of 8 ten times running: (1/56)^9, about 2e-16
        html, page = open_page(client, enrolled, module)
        assert len(page) == 3 and html.count("<fieldset") == 3 and "3 câu hỏi" in html
        seen |= {q for q, _c in page}
    assert len(seen) > 3 and seen <= {q.id for q in bank}
    response = client.post(
        quiz_url(enrolled, module),
        data={"token": token_from(html), **answers(page)},
        follow_redirects=True,
    )
    assert "100%" in response.get_data(as_text=True)
    fresh()
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.score == 1.0 and attempt.question_ids == [q for q, _c in page]
    assert len(attempt.answers) == 3


def test_a_pinned_choice_keeps_its_place_while_the_others_move(client, enrolled):
    module = enrolled.modules[0]
    bank = fill_bank(module, pinned_last=True)
    pinned = {q.id: q.choices[-1].id for q in bank}
    unpinned_orders = set()
    for _ in range(3):
        html, page = open_page(client, enrolled, module)
        for qid, choices in page:
            assert choices[-1] == pinned[qid]
            unpinned_orders.add((qid, tuple(choices[:-1])))
        assert html.count(PINNED) == len(bank)
    assert len(unpinned_orders) > len(bank), "the other choices are never shuffled"


def test_true_false_questions_keep_their_authored_order_while_others_move(client, enrolled):
    module = enrolled.modules[0]
    bank = fill_bank(module, questions=6)
    for question in bank[:3]:
        question.kind = "true_false"
        del question.choices[2:]
    db.session.commit()
    authored = {q.id: [c.id for c in q.choices] for q in bank}
    kinds = {q.id: q.kind for q in bank}
    moved = False
    for _ in range(4):
        _html, page = open_page(client, enrolled, module)
        for qid, choices in page:
            if kinds[qid] == "true_false":
                assert choices == authored[qid]
            moved = moved or choices != authored[qid]
    assert moved, "the other questions' choices are never shuffled"


def test_an_attempt_sent_after_a_publish_is_graded_and_reviewed_on_what_it_showed(
    app, client, make_user, make_course, auth, fresh
):
    """The instructor edits a question of the live course and publishes while a learner has the
    quiz open; the learner's form is graded on the retired question's own choices."""
    instructor = make_user(full_name="Lê Giảng Viên", roles=("instructor",))
    course = make_course(owner=instructor, title="An toàn thông tin")
    module = course.modules[0]
    fill_bank(module, questions=5)
    learner = make_user(full_name="Phạm Thị Lan")
    auth.login(learner)
    client.post(f"/courses/{course.slug}/enrol")
    html, page = open_page(client, course, module)
    form = {"token": token_from(html), **answers(page)}
    edited_id = page[0][0]
    edited_prompt = db.session.get(Question, edited_id).prompt_md

    author = login_client(app, instructor)
    draft_id = location_id(author.post(f"/authoring/courses/{course.id}/draft"))
    draft = db.session.get(Course, draft_id)
    target = next(q for q in draft.modules[0].active_questions if q.prompt_md == edited_prompt)
    edit_url = f"/authoring/courses/{draft_id}/modules/{draft.modules[0].id}/quiz/{target.id}"
    edited = question_form("Câu đã sửa sau khi mở?", [("Mới sai", False), ("Mới đúng", True)])
    assert author.post(edit_url, data=edited).status_code == 303
    assert author.post(f"/authoring/courses/{draft_id}/publish").status_code == 303
    fresh()
    assert not db.session.get(Question, edited_id).is_active

    result = client.post(quiz_url(course, module), data=form, follow_redirects=True)
    text = result.get_data(as_text=True)
    assert result.status_code == 200 and "100%" in text
    assert edited_prompt.rstrip("?") in text and "Câu đã sửa sau khi mở" not in text
    fresh()
    attempt = db.session.scalar(select(QuizAttempt))
    assert attempt.question_ids == [q for q, _c in page]
    assert all(answer.is_correct for answer in attempt.answers)
    assert "Câu đã sửa sau khi mở" in client.get(quiz_url(course, module)).get_data(as_text=True)
