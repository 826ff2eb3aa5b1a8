"""The learning services other features call: enrolment, grading, attempts, progress."""

from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from academy.database import db
from academy.learning.models import Enrollment, ModuleResult, QuizAttempt
from academy.learning.services import (
    AttemptLimitReached,
    course_progress,
    enrol_learner,
    grade_attempt,
    learner_overview,
    mark_lesson_done,
    submit_attempt,
)


def right(module):
    return {q.id: sorted(q.correct_choice_ids) for q in module.active_questions}


def ids(module):
    return [q.id for q in module.active_questions]


def test_grade_attempt_is_all_or_nothing_per_question():
    questions = [
        SimpleNamespace(id=1, correct_choice_ids={10}),
        SimpleNamespace(id=2, correct_choice_ids={20, 21}),
        SimpleNamespace(id=3, correct_choice_ids={30}),
        SimpleNamespace(id=4, correct_choice_ids={40}),
    ]
    score, per_question = grade_attempt(questions, {1: [10], 2: [20], 3: [30, 31], 4: []})
    assert per_question == {1: True, 2: False, 3: False, 4: False} and score == 0.25
    assert grade_attempt(questions, {1: [10], 2: [21, 20], 3: [30], 4: [40]})[0] == 1.0
    assert grade_attempt([], {}) == (0.0, {})


def test_enrol_learner_is_idempotent_and_an_assignment_upgrades_a_self_enrolment(
    make_user, make_course, days
):
    user, course = make_user(), make_course()
    first = enrol_learner(user, course)
    again = enrol_learner(user, course)
    assert first.id == again.id and first.source == "self" and first.due_at is None
    assigned = enrol_learner(user, course, source="assigned", due_at=days(30))
    db.session.commit()
    assert assigned.id == first.id and assigned.source == "assigned"
    assert abs((assigned.due_at - days(30)).total_seconds()) < 5
    enrol_learner(user, course)  # a later self enrolment changes nothing
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1
    assert db.session.get(Enrollment, first.id).source == "assigned"


def test_submit_attempt_keeps_the_best_score_and_counts_attempts(
    make_user, make_course, monkeypatch
):
    noted = []
    monkeypatch.setattr("academy.paths.services.note_attempt", noted.append)
    user, course = make_user(), make_course()
    enrol_learner(user, course)
    module = course.modules[0]
    good, created = submit_attempt(user, module, "t-1", right(module), question_ids=ids(module))
    worse, _ = submit_attempt(user, module, "t-2", {}, question_ids=ids(module))
    same, again = submit_attempt(user, module, "t-1", {}, question_ids=ids(module))
    db.session.commit()
    assert created and not again and same.id == good.id
    assert (good.score, good.passed, worse.score, worse.passed) == (1.0, True, 0.0, False)
    result = db.session.get(ModuleResult, (user.id, module.id))
    db.session.refresh(result)
    assert (result.best_score, result.attempts_count) == (1.0, 2) and result.passed_at is not None
    assert noted == [good, worse]
    assert len(good.answers) == 3 and all(a.is_correct for a in good.answers)


def test_placement_attempts_need_no_enrolment_nor_use_up_the_limit(app, make_user, make_course):
    app.config["QUIZ_MAX_ATTEMPTS"] = 1
    user, course = make_user(), make_course()
    module = course.modules[0]
    for n in range(2):
        submit_attempt(
            user, module, f"p-{n}", right(module), question_ids=ids(module), kind="placement"
        )
    submit_attempt(user, module, "m-1", {}, question_ids=ids(module))
    with pytest.raises(AttemptLimitReached):
        submit_attempt(user, module, "m-2", {}, question_ids=ids(module))
    db.session.commit()
    assert db.session.get(ModuleResult, (user.id, module.id)).attempts_count == 3
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 3


def test_modules_passed_before_enrolling_complete_the_course_on_enrolment(
    make_user, make_course, monkeypatch
):
    monkeypatch.setattr(
        "academy.certificates.services.issue_certificate", lambda user, course: None
    )
    user, course = make_user(), make_course()
    for module in course.modules:
        submit_attempt(
            user,
            module,
            f"p-{module.id}",
            right(module),
            question_ids=ids(module),
            kind="placement",
        )
    enrollment = enrol_learner(user, course)
    assert enrollment.completed_at is not None
    assert course_progress(user, course)["fraction"] == 1.0


def test_course_progress_counts_lessons_and_modules(make_user, make_course, days):
    user, course = make_user(), make_course()
    assert course_progress(user, course)["enrolled"] is False
    enrol_learner(user, course, source="assigned", due_at=days(-1))
    mark_lesson_done(user, course.modules[0].lessons[0])
    assert mark_lesson_done(user, course.modules[0].lessons[0]) is False
    module = course.modules[1]
    submit_attempt(user, module, "t", right(module), question_ids=ids(module))
    progress = course_progress(user, course)
    assert (progress["lessons_done"], progress["lessons_total"]) == (1, 4)
    assert (progress["modules_passed"], progress["modules_total"]) == (1, 2)
    assert progress["fraction"] == pytest.approx(2 / 6)
    assert progress["is_overdue"] and progress["completed_at"] is None


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def overview_queries(user) -> int:
    counter = QueryCounter()
    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        learner_overview(user)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def test_learner_overview_puts_overdue_first_and_does_not_grow_queries_per_course(
    make_user, make_course, days
):
    user = make_user()
    courses = [make_course(title=f"Khoá {n}") for n in range(6)]
    enrol_learner(user, courses[0])
    enrol_learner(user, courses[1], source="assigned", due_at=days(10))
    enrol_learner(user, courses[2], source="assigned", due_at=days(-3))
    db.session.commit()
    overview = learner_overview(user)
    assert [item["course"].title for item in overview["courses"]] == ["Khoá 2", "Khoá 1", "Khoá 0"]
    assert overview["courses"][0]["progress"]["is_overdue"]
    few = overview_queries(user)
    for course in courses[3:]:
        enrol_learner(user, course)
    db.session.commit()
    assert overview_queries(user) == few
