"""Cross-feature events: what a learner's actions announce, and the features that react to them."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import select

from academy import events
from academy.certificates.models import Certificate
from academy.database import db
from tests.learning.conftest import answers_for, lesson_url, quiz_url, token_from


@pytest.fixture
def heard(app):
    """Record every event the app sends during the test, as (signal name, data)."""
    seen = []
    signals = (
        events.course_completed,
        events.module_passed,
        events.attempt_recorded,
        events.lesson_viewed,
        events.assignment_created,
        events.user_deactivated,
        events.certificate_issued,
    )
    receivers = {
        signal.name: (lambda _app, _name=signal.name, **data: seen.append((_name, data)))
        for signal in signals
    }
    with ExitStack() as stack:
        for signal in signals:
            stack.enter_context(signal.connected_to(receivers[signal.name], sender=app))
        yield seen


@pytest.fixture
def enrolled(client, auth, make_user, make_course):
    learner = make_user(full_name="Trần Văn Học")
    auth.login(learner)
    course = make_course(title="Chuyển đổi số trong cơ quan nhà nước")
    assert client.post(f"/courses/{course.slug}/enrol").status_code == 302
    return learner, course


def pass_quiz(client, course, module, right=True):
    token = token_from(client.get(quiz_url(course, module)).get_data(as_text=True))
    response = client.post(
        quiz_url(course, module), data={"token": token, **answers_for(module, right)}
    )
    assert response.status_code == 302


def names(seen, name):
    return [data for signal, data in seen if signal == name]


def test_passing_the_last_module_completes_the_course_and_issues_its_certificate(
    client, enrolled, heard
):
    learner, course = enrolled
    first, last = course.modules
    pass_quiz(client, course, first)
    assert names(heard, "course-completed") == []
    pass_quiz(client, course, last)
    completed = names(heard, "course-completed")
    assert [(d["user"].id, d["course"].id) for d in completed] == [(learner.id, course.id)]
    db.session.expire_all()
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None and certificate.course_id == course.id
    assert [d["certificate"].serial for d in names(heard, "certificate-issued")] == [
        certificate.serial
    ]
    assert certificate.serial in client.get("/me/certificates").get_data(as_text=True)


def test_each_attempt_is_announced_and_only_a_pass_passes_the_module(client, enrolled, heard):
    learner, course = enrolled
    module = course.modules[0]
    pass_quiz(client, course, module, right=False)
    pass_quiz(client, course, module)
    recorded = names(heard, "attempt-recorded")
    assert [(d["attempt"].user_id, d["attempt"].passed) for d in recorded] == [
        (learner.id, False),
        (learner.id, True),
    ]
    passed = names(heard, "module-passed")
    assert [(d["user"].id, d["module"].id) for d in passed] == [(learner.id, module.id)]


def test_opening_a_lesson_is_announced_for_an_enrolled_learner(client, enrolled, heard):
    learner, course = enrolled
    module = course.modules[0]
    lesson = module.lessons[0]
    assert client.get(lesson_url(course, module, lesson)).status_code == 200
    viewed = names(heard, "lesson-viewed")
    assert [(d["user"].id, d["lesson"].id) for d in viewed] == [(learner.id, lesson.id)]


def test_a_receiver_that_fails_fails_the_completion_whole(app, client, enrolled):
    """Listeners run in the sender's transaction: no completion stored without its certificate."""
    learner, course = enrolled
    first, last = course.modules
    pass_quiz(client, course, first)

    def refuse(_app, **_data):
        raise RuntimeError("listener failed")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    with events.course_completed.connected_to(refuse, sender=app):
        token = token_from(client.get(quiz_url(course, last)).get_data(as_text=True))
        response = client.post(quiz_url(course, last), data={"token": token, **answers_for(last)})
    assert response.status_code == 500
    db.session.expire_all()
    assert db.session.scalar(select(Certificate)) is None
