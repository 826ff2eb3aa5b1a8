"""The rules of sending a quiz, enforced on the server: every question answered, the time limit,
the wait after a failed attempt, and the attempts allowed (with those an instructor grants)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import format_datetime
from sqlalchemy import func, select

from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.grants import grant_attempts
from academy.learning.models import ModuleResult, QuizAttempt
from tests.learning.conftest import quiz_url, token_from
from tests.learning.quizbank import answers, checked, fill_bank, issued_ago, shown


def stored() -> tuple[int, int]:
    """(attempts stored, attempts counted on the learner's module results)."""
    return (
        db.session.scalar(select(func.count()).select_from(QuizAttempt)),
        db.session.scalar(select(func.coalesce(func.sum(ModuleResult.attempts_count), 0))),
    )


def open_quiz_page(client, course, module) -> tuple[str, str, list]:
    html = client.get(quiz_url(course, module)).get_data(as_text=True)
    return html, token_from(html), shown(html)


@pytest.fixture
def module(enrolled):
    module = enrolled.modules[0]
    fill_bank(module, questions=5)
    return module


# ---- every question answered ----------------------------------------------------------------


def test_a_blank_submission_is_refused_and_counts_nothing(client, enrolled, module, fresh):
    html, token, page = open_quiz_page(client, enrolled, module)
    response = client.post(quiz_url(enrolled, module), data={"token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bạn chưa trả lời câu 1, 2, 3, 4, 5." in text
    assert token_from(text) == token and shown(text) == page
    assert text.count("Câu này chưa được trả lời.") == 5
    fresh()
    assert stored() == (0, 0)


def test_a_partial_submission_keeps_the_choices_and_names_the_gaps(client, enrolled, module, fresh):
    html, token, page = open_quiz_page(client, enrolled, module)
    given = answers(page, skip={2, 5})
    response = client.post(quiz_url(enrolled, module), data={"token": token, **given})
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Bạn chưa trả lời câu 2, 5." in text
    assert shown(text) == page and token_from(text) == token  # same questions, order, choices
    assert checked(text) == {int(v) for v in given.values()}
    assert text.count("Câu này chưa được trả lời.") == 2
    fresh()
    assert stored() == (0, 0)
    done = client.post(quiz_url(enrolled, module), data={"token": token, **answers(page)})
    assert done.status_code == 302 and "/attempts/" in done.location
    fresh()
    assert stored() == (1, 1)


def test_a_choice_of_another_question_does_not_count_as_an_answer(client, enrolled, module):
    html, token, page = open_quiz_page(client, enrolled, module)
    data = answers(page)
    (first, _c1), (_q2, second_choices) = page[0], page[1]
    data[f"q-{first}"] = str(second_choices[0])
    response = client.post(quiz_url(enrolled, module), data={"token": token, **data})
    assert response.status_code == 400
    assert "Bạn chưa trả lời câu 1." in response.get_data(as_text=True)


def test_the_page_names_gaps_before_sending_with_a_script_of_our_own(client, enrolled, module):
    html, _token, _page = open_quiz_page(client, enrolled, module)
    assert '<script src="/static/js/quiz.js"></script>' in html
    assert 'data-unanswered-message="Bạn chưa trả lời câu {numbers}."' in html
    script = client.get("/static/js/quiz.js")
    script.close()
    assert script.status_code == 200


# ---- the time limit ------------------------------------------------------------------------


@pytest.fixture
def timed(module):
    module.quiz_time_limit = 10
    db.session.commit()
    return module


def test_a_timed_quiz_shows_the_time_left(client, enrolled, timed, monkeypatch):
    html, _token, _page = open_quiz_page(client, enrolled, timed)
    assert "Thời gian làm bài: 10 phút" in html and 'data-quiz-remaining="600"' in html
    with issued_ago(monkeypatch, 4 * 60):
        html, token, page = open_quiz_page(client, enrolled, timed)
    refused = client.post(quiz_url(enrolled, timed), data={"token": token})  # a gap: re-shown
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "6 phút" in text
    remaining = int(text.split('data-quiz-remaining="')[1].split('"')[0])
    assert 355 <= remaining <= 360


def test_a_quiz_sent_within_its_time_is_graded(client, enrolled, timed, fresh, monkeypatch):
    with issued_ago(monkeypatch, 9 * 60):
        html, token, page = open_quiz_page(client, enrolled, timed)
    sent = client.post(quiz_url(enrolled, timed), data={"token": token, **answers(page)})
    assert sent.status_code == 302
    fresh()
    assert db.session.scalar(select(QuizAttempt.score)) == 1.0


def test_when_time_is_up_the_attempt_is_graded_as_it_stands(
    client, enrolled, timed, fresh, monkeypatch
):
    """Sent by the page's countdown (or by hand) just after the limit, within the grace: gaps are
    not refused any more, they count as wrong."""
    with issued_ago(monkeypatch, 10 * 60 + 10):
        html, token, page = open_quiz_page(client, enrolled, timed)
    response = client.post(
        quiz_url(enrolled, timed), data={"token": token, **answers(page, skip={5})}
    )
    assert response.status_code == 302
    fresh()
    assert db.session.scalar(select(QuizAttempt.score)) == pytest.approx(0.8)


def test_answers_sent_after_the_limit_are_not_graded_but_the_attempt_counts(
    client, enrolled, timed, fresh, monkeypatch
):
    with issued_ago(monkeypatch, 11 * 60):
        html, token, page = open_quiz_page(client, enrolled, timed)
    response = client.post(
        quiz_url(enrolled, timed), data={"token": token, **answers(page)}, follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "sau khi hết giờ (10 phút)" in text and "0%" in text
    fresh()
    assert stored() == (1, 1)
    assert db.session.scalar(select(QuizAttempt.score)) == 0.0


# ---- the wait after a failed attempt ---------------------------------------------------------


def test_the_wait_after_a_failed_attempt_is_shown_and_enforced(client, enrolled, module, fresh):
    enrolled.attempt_wait_minutes = 30
    db.session.commit()
    _html, spare, spare_page = open_quiz_page(client, enrolled, module)  # opened in another tab
    html, token, page = open_quiz_page(client, enrolled, module)
    client.post(quiz_url(enrolled, module), data={"token": token, **answers(page, right=False)})
    fresh()
    failed = db.session.scalar(select(QuizAttempt))
    opens = format_datetime(failed.submitted_at + timedelta(minutes=30), "HH:mm")
    page_now = client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    assert f"Bạn có thể làm lại sau {opens}" in page_now and "Nộp bài" not in page_now
    result = client.get(f"/attempts/{failed.id}").get_data(as_text=True)
    assert f"Bạn có thể làm lại sau {opens}" in result
    early = client.post(quiz_url(enrolled, module), data={"token": spare, **answers(spare_page)})
    assert early.status_code == 409 and f"sau {opens}" in early.get_data(as_text=True)
    fresh()
    assert stored() == (1, 1)
    failed.submitted_at -= timedelta(minutes=31)  # half an hour later
    db.session.commit()
    assert (
        client.post(
            quiz_url(enrolled, module), data={"token": spare, **answers(spare_page)}
        ).status_code
        == 302
    )
    fresh()
    assert stored() == (2, 2)


def test_no_wait_after_a_passed_attempt(client, enrolled, module):
    enrolled.attempt_wait_minutes = 30
    db.session.commit()
    html, token, page = open_quiz_page(client, enrolled, module)
    client.post(quiz_url(enrolled, module), data={"token": token, **answers(page)})
    assert "Nộp bài" in client.get(quiz_url(enrolled, module)).get_data(as_text=True)


# ---- attempts allowed, and granted ------------------------------------------------------------


def test_a_granted_attempt_lets_a_blocked_learner_try_again(
    app, client, enrolled, module, learner, make_user, fresh
):
    app.config["QUIZ_MAX_ATTEMPTS"] = 1
    _html, spare, spare_page = open_quiz_page(client, enrolled, module)
    html, token, page = open_quiz_page(client, enrolled, module)
    client.post(quiz_url(enrolled, module), data={"token": token, **answers(page, right=False)})
    blocked = client.get(quiz_url(enrolled, module))
    assert blocked.status_code == 409
    assert (
        "Bạn đã dùng hết 1 lượt; hãy liên hệ giảng viên hoặc cán bộ tổ chức để được cấp thêm."
        in blocked.get_data(as_text=True)
    )
    assert (
        client.post(
            quiz_url(enrolled, module), data={"token": spare, **answers(spare_page)}
        ).status_code
        == 409
    )

    instructor = make_user(full_name="Lê Giảng Viên", roles=("instructor",))
    grant_attempts(learner, module, 1, "Mất điện trong lúc làm bài", instructor)
    db.session.commit()
    html, token, page = open_quiz_page(client, enrolled, module)
    assert "Bạn còn 1 lượt làm bài" in html
    assert (
        client.post(quiz_url(enrolled, module), data={"token": token, **answers(page)}).status_code
        == 302
    )
    fresh()
    assert stored() == (2, 2)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.attempts.grant"))
    assert audit is not None and audit.actor_id == instructor.id
    again = client.get(quiz_url(enrolled, module))
    assert again.status_code == 409 and "đã dùng hết 2 lượt" in again.get_data(as_text=True)


def test_placement_attempts_do_not_use_up_module_attempts(app, client, enrolled, module, learner):
    """ModuleResult.attempts_count counts placement attempts too; the limit counts quiz attempts."""
    app.config["QUIZ_MAX_ATTEMPTS"] = 1
    db.session.add(
        ModuleResult(user_id=learner.id, module_id=module.id, best_score=0.2, attempts_count=3)
    )
    db.session.commit()
    html, token, page = open_quiz_page(client, enrolled, module)
    assert "Bạn còn 1 lượt làm bài" in html
