"""What a learner sees after an attempt: always the score and which questions were right; the
correct answers and explanations only as the course's review policy allows."""

from __future__ import annotations

import re

import pytest

from academy.database import db
from tests.learning.conftest import quiz_url, token_from
from tests.learning.quizbank import answers, fill_bank, shown

EXPLANATION = "Lời giải riêng của câu"


def take(client, course, module, right=True, right_numbers=None):
    """Open the quiz and send it: every answer right (or wrong), or right for ``right_numbers``."""
    html = client.get(quiz_url(course, module)).get_data(as_text=True)
    page = shown(html)
    data = answers(page, right=right)
    if right_numbers is not None:
        wrong = set(range(1, len(page) + 1)) - set(right_numbers)
        data = {
            **answers(page, right=True, skip=wrong),
            **answers(page, right=False, skip=set(right_numbers)),
        }
    response = client.post(quiz_url(course, module), data={"token": token_from(html), **data})
    assert response.status_code == 302, response.status_code
    return response.location


def key_marked(html: str) -> bool:
    """Whether the page marks a correct choice (the badge, or the list item's success style)."""
    return "đáp án đúng" in html or re.search(r'<li class="text-success', html) is not None


@pytest.fixture
def module(app, enrolled):
    app.config["QUIZ_MAX_ATTEMPTS"] = 3
    module = enrolled.modules[0]
    fill_bank(module, questions=4)
    return module


def test_a_failed_attempt_with_attempts_left_hides_the_key_by_default(client, enrolled, module):
    html = client.get(take(client, enrolled, module, right=False)).get_data(as_text=True)
    assert "0%" in html and "Chưa đạt" in html and html.count("Trả lời sai") == 4
    assert html.count("bạn chọn") == 4  # the learner's own choices stay visible
    assert not key_marked(html) and EXPLANATION not in html
    assert "Đáp án và lời giải sẽ hiện khi bạn đạt mô-đun này" in html
    assert "Làm lại" in html and "còn 2 lượt" in html


def test_a_mixed_attempt_says_which_questions_were_right_without_the_key(client, enrolled, module):
    html = client.get(take(client, enrolled, module, right_numbers=(1, 3))).get_data(as_text=True)
    assert "50%" in html
    assert html.count("Trả lời đúng") == 2 and html.count("Trả lời sai") == 2
    assert not key_marked(html) and EXPLANATION not in html


def test_the_key_appears_once_the_module_is_passed(client, enrolled, module):
    failed = take(client, enrolled, module, right=False)
    passed = client.get(take(client, enrolled, module)).get_data(as_text=True)
    assert "Đạt" in passed and passed.count("đáp án đúng") == 4 and passed.count(EXPLANATION) == 4
    earlier = client.get(failed).get_data(as_text=True)  # the failed attempt's review opens too
    assert earlier.count("đáp án đúng") == 4 and earlier.count(EXPLANATION) == 4


def test_the_key_appears_once_the_attempts_are_used_up(client, enrolled, module):
    for _ in range(2):
        html = client.get(take(client, enrolled, module, right=False)).get_data(as_text=True)
        assert not key_marked(html)
    last = client.get(take(client, enrolled, module, right=False)).get_data(as_text=True)
    assert last.count("đáp án đúng") == 4 and last.count(EXPLANATION) == 4
    assert "Làm lại" not in last and "đã dùng hết lượt" in last


def test_policy_always_shows_the_key_after_a_failed_attempt(client, enrolled, module):
    enrolled.review_policy = "always"
    db.session.commit()
    html = client.get(take(client, enrolled, module, right=False)).get_data(as_text=True)
    assert html.count("đáp án đúng") == 4 and html.count(EXPLANATION) == 4
    assert len(re.findall(r'<li class="text-success fw-semibold">', html)) == 4


def test_policy_never_hides_the_key_even_after_passing(client, enrolled, module):
    enrolled.review_policy = "never"
    db.session.commit()
    html = client.get(take(client, enrolled, module)).get_data(as_text=True)
    assert "100%" in html and html.count("Trả lời đúng") == 4
    assert not key_marked(html) and EXPLANATION not in html
    assert "Giảng viên không công bố đáp án" in html
