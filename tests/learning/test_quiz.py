"""Module quizzes over HTTP: secrecy of answers, one attempt per form, limits, results."""

import re
import threading

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Choice, Question
from academy.database import db
from academy.learning.models import Enrollment, ModuleResult, QuizAttempt
from tests.learning.conftest import answers_for, quiz_url, token_from


def count_attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(QuizAttempt))


def test_quiz_page_does_not_reveal_the_correct_answers(client, enrolled):
    module = enrolled.modules[0]
    html = client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    assert (
        html.count('type="radio"') == 9
        and html.count("<fieldset") == 3
        and html.count("<legend") == 3
    )
    assert "Vì đáp án A đúng" not in html and "đáp án đúng" not in html and "correct" not in html
    question = module.active_questions[0]
    right, wrong = (c for c in question.choices[:2])
    tag = lambda choice: re.search(rf'<input[^>]*value="{choice.id}"[^>]*>', html).group(0)  # noqa: E731
    strip = lambda t: re.sub(r'(id|value)="[^"]*"', "", t)  # noqa: E731
    assert strip(tag(right)) == strip(tag(wrong))  # nothing marks the right choice apart
    for choice in question.choices:
        assert f'<label class="form-check-label" for="q{question.id}-c{choice.id}">' in html


def test_a_resent_form_stores_one_attempt(client, enrolled, open_quiz):
    module = enrolled.modules[0]
    data = {"token": open_quiz(enrolled, module), **answers_for(module)}
    first = client.post(quiz_url(enrolled, module), data=data)
    again = client.post(quiz_url(enrolled, module), data=data, follow_redirects=True)
    assert again.status_code == 200 and first.location.endswith(again.request.path)
    assert "đã được nộp trước đó" in again.get_data(as_text=True)
    assert count_attempts() == 1
    assert db.session.scalar(select(ModuleResult.attempts_count)) == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),
        lambda t: "không-phải-phiếu",
        lambda t: "",
    ],
)
def test_a_tampered_token_gets_a_friendly_400_with_a_fresh_quiz(
    client, enrolled, open_quiz, mangle
):
    module = enrolled.modules[0]
    response = client.post(
        quiz_url(enrolled, module),
        data={"token": mangle(open_quiz(enrolled, module)), **answers_for(module)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Phiếu làm bài không hợp lệ hoặc đã hết hạn" in html and "Nộp bài" in html
    assert token_from(html)
    assert count_attempts() == 0


def test_a_token_from_another_learner_or_module_is_refused(
    client, auth, make_user, enrolled, open_quiz
):
    first, second = enrolled.modules
    other_module_token = open_quiz(enrolled, second)
    response = client.post(
        quiz_url(enrolled, first), data={"token": other_module_token, **answers_for(first)}
    )
    assert response.status_code == 400
    other = make_user(email="khac@hvs.gov.vn")
    auth.logout()
    auth.login(other)
    client.post(f"/courses/{enrolled.slug}/enrol")
    stolen = open_quiz(enrolled, first)
    auth.logout()
    auth.login("khac@hvs.gov.vn")
    sent = client.post(quiz_url(enrolled, first), data={"token": stolen, **answers_for(first)})
    assert sent.status_code == 302
    assert count_attempts() == 1  # only the rightful owner's attempt


def test_an_expired_token_is_refused(app, client, enrolled, open_quiz):
    module = enrolled.modules[0]
    token = open_quiz(enrolled, module)
    app.config["QUIZ_TOKEN_MAX_AGE"] = -1
    assert client.post(quiz_url(enrolled, module), data={"token": token}).status_code == 400


def test_another_learner_gets_404_for_my_result_but_an_admin_may_see_it(
    client, auth, make_user, learner, enrolled, open_quiz
):
    module = enrolled.modules[0]
    url = client.post(
        quiz_url(enrolled, module),
        data={"token": open_quiz(enrolled, module), **answers_for(module)},
    ).location
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(make_user())
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login(make_user(roles=("admin",)))
    assert client.get(url).status_code == 200


def test_result_shows_choices_correct_answers_and_explanations(client, enrolled, open_quiz):
    enrolled.review_policy = "always"  # the default hides it until settled: test_quiz_review.py
    db.session.commit()
    module = enrolled.modules[0]
    wrong = answers_for(module, right=False)
    response = client.post(
        quiz_url(enrolled, module),
        data={"token": open_quiz(enrolled, module), **wrong},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "0%" in html and "Chưa đạt" in html
    assert html.count("bạn chọn") == 3 and html.count("đáp án đúng") == 3
    assert html.count("Vì đáp án A đúng.") == 3


def test_attempt_limit_shows_remaining_and_refuses_politely(app, client, enrolled, open_quiz):
    app.config["QUIZ_MAX_ATTEMPTS"] = 2
    module = enrolled.modules[0]
    assert "Bạn còn 2 lượt làm bài" in client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    client.post(
        quiz_url(enrolled, module),
        data={"token": open_quiz(enrolled, module), **answers_for(module)},
    )
    last = open_quiz(enrolled, module)
    spare = open_quiz(enrolled, module)  # opened in another tab before the last attempt was used
    client.post(
        quiz_url(enrolled, module), data={"token": last, **answers_for(module, right=False)}
    )
    page = client.get(quiz_url(enrolled, module))
    assert page.status_code == 409 and "đã dùng hết 2 lượt" in page.get_data(as_text=True)
    spare_sent = client.post(
        quiz_url(enrolled, module), data={"token": spare, **answers_for(module)}
    )
    assert spare_sent.status_code == 409
    assert count_attempts() == 2
    # A used form still shows its result.
    resent = client.post(
        quiz_url(enrolled, module), data={"token": last, **answers_for(module, right=False)}
    )
    assert resent.status_code == 302 and "/attempts/" in resent.location


def test_unlimited_attempts_when_the_limit_is_zero(app, client, enrolled, open_quiz):
    app.config["QUIZ_MAX_ATTEMPTS"] = 0
    module = enrolled.modules[0]
    for _ in range(3):
        client.post(
            quiz_url(enrolled, module),
            data={"token": open_quiz(enrolled, module), **answers_for(module)},
        )
    assert "lượt làm bài" not in client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    assert count_attempts() == 3


def test_a_question_retired_after_opening_still_grades_on_what_was_shown(
    client, enrolled, open_quiz, fresh
):
    module = enrolled.modules[0]
    data = {"token": open_quiz(enrolled, module), **answers_for(module)}
    retired = module.active_questions[0]
    retired.is_active = False
    replacement = Question(
        module_id=module.id,
        position=retired.position,
        kind="single",
        prompt_md="Câu hỏi đã sửa?",
        prompt_html="Câu hỏi đã sửa?",
    )
    replacement.choices = [
        Choice(position=1, text="Mới đúng", is_correct=True),
        Choice(position=2, text="Mới sai"),
    ]
    db.session.add(replacement)
    db.session.commit()
    result = client.post(quiz_url(enrolled, module), data=data, follow_redirects=True).get_data(
        as_text=True
    )
    assert "100%" in result and "Câu hỏi đã sửa" not in result
    fresh()
    attempt = db.session.scalar(select(QuizAttempt))
    assert set(attempt.question_ids) == {int(k[2:]) for k in data if k.startswith("q-")}
    assert "Câu hỏi đã sửa" in client.get(quiz_url(enrolled, module)).get_data(as_text=True)


def test_multiple_choice_needs_exactly_the_right_set(client, enrolled, open_quiz):
    module = enrolled.modules[0]
    question = module.active_questions[0]
    question.kind = "multiple"
    question.choices[1].is_correct = True
    db.session.commit()
    html = client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    assert html.count('type="checkbox"') == 3
    a, b, c = (str(choice.id) for choice in question.choices)
    scores = []
    for picks in ([a], [a, b, c], [a, b]):
        data = {
            **answers_for(module),
            f"q-{question.id}": picks,
            "token": open_quiz(enrolled, module),
        }
        client.post(quiz_url(enrolled, module), data=data)
        scores.append(
            db.session.scalars(select(QuizAttempt.score).order_by(QuizAttempt.id.desc())).first()
        )
    assert scores == [pytest.approx(2 / 3), pytest.approx(2 / 3), 1.0]


def test_passing_every_module_completes_the_course(client, enrolled, open_quiz, monkeypatch, fresh):
    issued = []
    monkeypatch.setattr(
        "academy.certificates.services.issue_certificate",
        lambda user, course: issued.append((user.id, course.id)),
    )
    first, second = enrolled.modules
    client.post(
        quiz_url(enrolled, first), data={"token": open_quiz(enrolled, first), **answers_for(first)}
    )
    fresh()
    assert db.session.scalar(select(Enrollment.completed_at)) is None and issued == []
    client.post(
        quiz_url(enrolled, second),
        data={"token": open_quiz(enrolled, second), **answers_for(second)},
    )
    fresh()
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.completed_at is not None
    assert issued == [(enrollment.user_id, enrolled.id)]
    page = client.get(f"/courses/{enrolled.slug}").get_data(as_text=True)
    assert "Hoàn thành ngày" in page and "100%" in page


def post_all_at_once(app, client, url, forms) -> list[int]:
    """Send every form at the same instant, each from its own browser signed in as ``client``."""
    cookie = client.get_cookie("session")
    barrier = threading.Barrier(len(forms))
    statuses, errors = [], []

    def submit(data):
        other = app.test_client()
        other.set_cookie("session", cookie.value, domain=cookie.domain)
        try:
            barrier.wait()
            statuses.append(other.post(url, data=data).status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(data,)) for data in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return sorted(statuses)


def test_twenty_concurrent_identical_submissions_store_one_attempt(
    app, client, enrolled, open_quiz, fresh
):
    module = enrolled.modules[0]
    data = {"token": open_quiz(enrolled, module), **answers_for(module)}
    assert post_all_at_once(app, client, quiz_url(enrolled, module), [data] * 20) == [302] * 20
    fresh()
    assert count_attempts() == 1
    result = db.session.scalar(select(ModuleResult))
    assert result.attempts_count == 1 and result.best_score == 1.0


def test_concurrent_different_forms_never_exceed_the_attempt_limit(
    app, client, enrolled, open_quiz, fresh
):
    """Six quiz pages opened while one attempt is left, then all sent at once: one is stored."""
    app.config["QUIZ_MAX_ATTEMPTS"] = 2
    module = enrolled.modules[0]
    client.post(
        quiz_url(enrolled, module),
        data={"token": open_quiz(enrolled, module), **answers_for(module)},
    )
    forms = [
        {"token": open_quiz(enrolled, module), **answers_for(module, right=False)} for _ in range(6)
    ]
    assert post_all_at_once(app, client, quiz_url(enrolled, module), forms) == [302] + [409] * 5
    fresh()
    assert count_attempts() == 2
    assert db.session.scalar(select(ModuleResult.attempts_count)) == 2


def test_a_quiz_finds_its_own_module_and_the_readers_own_enrolment(
    client, auth, enrolled, make_user, make_course
):
    """The quiz's module, course and enrolment come in the signed-in user's statement: each
    request's own course and module, and the reader's own enrolment."""
    other = make_course(title="Kỹ năng số cơ bản")
    other.modules[0].slug = "mo-dun-rieng"
    db.session.commit()
    module = enrolled.modules[0]
    assert 'name="token"' in client.get(quiz_url(enrolled, module)).get_data(as_text=True)
    # Another course's module under this course's address is not a quiz of it.
    assert client.get(f"/courses/{enrolled.slug}/mo-dun-rieng/quiz").status_code == 404
    # A course the reader is not enrolled in asks them to enrol.
    elsewhere = client.get(quiz_url(other, other.modules[0]))
    assert elsewhere.status_code == 302 and f"/courses/{other.slug}" in elsewhere.location
    # Another reader, not enrolled, is asked to enrol in the same quiz.
    auth.logout()
    auth.login(make_user(email="khac@hvs.gov.vn", full_name="Người Khác"))
    theirs = client.get(quiz_url(enrolled, module))
    assert theirs.status_code == 302 and f"/courses/{enrolled.slug}" in theirs.location
    assert client.get(f"/courses/{enrolled.slug}/khong-co/quiz").status_code == 404
