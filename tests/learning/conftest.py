"""Helpers for the learner's journey: a signed-in learner, enrolment, opening and answering
quizzes."""

from __future__ import annotations

import re

import pytest

from academy.database import db


def quiz_url(course, module):
    return f"/courses/{course.slug}/{module.slug}/quiz"


def lesson_url(course, module, lesson):
    return f"/courses/{course.slug}/{module.slug}/{lesson.slug}"


def token_from(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="token" name="token" type="hidden" value="([^"]+)"', html
    )
    assert match, "no quiz token in the page"
    return match.group(1)


def answers_for(module, right=True) -> dict:
    """Form data answering every active question of ``module`` rightly (or wrongly)."""
    data = {}
    for question in module.active_questions:
        picks = [c.id for c in question.choices if c.is_correct == right]
        data[f"q-{question.id}"] = (
            [str(picks[0])] if question.kind != "multiple" or not right else [str(p) for p in picks]
        )
    return data


@pytest.fixture
def learner(make_user, auth):
    user = make_user(full_name="Trần Văn Học")
    auth.login(user)
    return user


@pytest.fixture
def enrolled(client, learner, make_course):
    """A published two-module course the signed-in learner is enrolled in."""
    course = make_course(title="Chuyển đổi số trong cơ quan nhà nước")
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 302
    return course


@pytest.fixture
def open_quiz(client):
    def open_(course, module):
        page = client.get(quiz_url(course, module))
        assert page.status_code == 200, page.status_code
        return token_from(page.get_data(as_text=True))

    return open_


@pytest.fixture
def fresh():
    """Forget what this session cached, to read what requests committed."""

    def reload():
        db.session.expire_all()

    return reload
