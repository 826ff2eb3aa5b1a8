"""flask demo seed: a city's unit tree, demo accounts that sign in, learners with Vietnamese
names and learning histories whose results agree with their attempts; a rerun duplicates nothing."""

from __future__ import annotations

import statistics
from collections import defaultdict

import pytest
from sqlalchemy import func, select

from academy.auth.models import Unit, User
from academy.authoring.stats import question_stats
from academy.catalog.models import Choice, Course, Module
from academy.database import db, utcnow
from academy.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from academy.learning.models import (
    AttemptAnswer,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)

DEMO_EMAILS = ("hocvien", "giangvien", "nhansu", "nhansu.phuong", "quantri")
COUNTED = (Unit, User, Enrollment, LessonProgress, QuizAttempt, ModuleResult)


@pytest.fixture
def seed(runner, make_course):
    make_course(slug="du-lieu", track="data", modules=3)
    make_course(slug="ly-luan", track="theory", modules=2, level="intermediate")

    def run(*args):
        result = runner.invoke(args=["demo", "seed", *args])
        assert result.exit_code == 0, result.output
        return result

    return run


def _counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def _seeded_learners():
    return db.session.scalars(select(User).where(User.employee_code.like("HVS%"))).all()


def test_unit_tree_has_the_city_agencies_126_wards_and_their_cells(seed):
    seed("--learners", "50")
    kinds = dict(db.session.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
    assert kinds == {"city": 1, "agency": 25, "ward": 126, "cell": 252}
    wards = db.session.scalars(select(Unit).where(Unit.kind == "ward")).all()
    assert len({w.name for w in wards}) == 126
    assert all(w.name.startswith(("Phường ", "Xã ")) for w in wards)


def test_paths_are_materialised_id_paths_and_subtrees_match_the_tree(seed):
    seed("--learners", "50")
    for unit in db.session.scalars(select(Unit)):
        expected = (unit.parent.path if unit.parent else "/") + f"{unit.id}/"
        assert unit.path == expected
    ward = db.session.scalar(select(Unit).where(Unit.code == "PX001"))
    below = db.session.scalars(select(Unit).where(ward.subtree_filter())).all()
    assert {u.kind for u in below} == {"ward", "cell"} and len(below) == 3
    city = db.session.scalar(select(Unit).where(Unit.kind == "city"))
    assert (
        db.session.scalar(select(func.count()).select_from(Unit).where(city.subtree_filter()))
        == 404
    )


def test_every_demo_account_signs_in_with_the_documented_password(seed, app):
    result = seed("--learners", "50")
    for i, local in enumerate(DEMO_EMAILS):
        email = f"{local}@{DEMO_EMAIL_DOMAIN}"
        assert email in result.output
        response = app.test_client().post(
            "/login",
            data={"email": email, "password": DEMO_PASSWORD},
            environ_base={"REMOTE_ADDR": f"127.0.0.{i + 2}"},
        )
        assert response.status_code == 302, email
    assert DEMO_PASSWORD in result.output
    learner = _seeded_learners()[0]
    response = app.test_client().post(
        "/login",
        data={"email": learner.email, "password": DEMO_PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.99"},
    )
    assert response.status_code == 302


def test_demo_roles_and_scopes(seed):
    seed("--learners", "50")
    users = {
        u.email.split("@")[0]: u
        for u in db.session.scalars(
            select(User).where(
                User.email.like(f"%@{DEMO_EMAIL_DOMAIN}"), User.employee_code.like("DEMO-%")
            )
        )
    }
    assert users["nhansu"].roles == {"hr"} and users["nhansu"].unit.kind == "city"
    assert users["nhansu.phuong"].roles == {"hr"} and users["nhansu.phuong"].unit.kind == "ward"
    assert users["quantri"].roles == {"admin"} and users["giangvien"].roles == {"instructor"}
    assert {c.owner_id for c in db.session.scalars(select(Course))} == {users["giangvien"].id}


def test_learners_have_vietnamese_names_ascii_emails_and_unique_codes(seed):
    seed("--learners", "50")
    learners = _seeded_learners()
    assert len(learners) == 50
    assert all(len(u.full_name.split()) >= 3 for u in learners)
    assert sum(not u.full_name.isascii() for u in learners) >= 45  # Nguyễn, Thị, Hằng …
    assert all(u.email.isascii() and u.email.endswith(DEMO_EMAIL_DOMAIN) for u in learners)
    assert len({u.email for u in learners}) == len({u.employee_code for u in learners}) == 50
    assert all(u.unit is not None and u.position for u in learners)
    assert all(u.roles == {"learner"} for u in learners)


def test_module_results_agree_with_the_attempts(seed):
    seed("--learners", "50")
    attempts = defaultdict(list)
    for a in db.session.scalars(select(QuizAttempt)):
        attempts[(a.user_id, a.module_id)].append(a)
        assert a.kind == "module" and a.submitted_at >= a.started_at
        assert abs(a.score * 3 - round(a.score * 3)) < 1e-9  # a whole number of the 3 questions
    results = {(r.user_id, r.module_id): r for r in db.session.scalars(select(ModuleResult))}
    assert attempts and set(results) == set(attempts)
    for key, rows in attempts.items():
        result = results[key]
        assert result.best_score == max(a.score for a in rows)
        assert result.attempts_count == len(rows)
        passed = [a.submitted_at for a in rows if a.passed]
        assert result.passed_at == (min(passed) if passed else None)


def test_completed_enrolments_are_exactly_those_with_every_module_passed(seed):
    seed("--learners", "50")
    passed = {
        (r.user_id, r.module_id)
        for r in db.session.scalars(select(ModuleResult).where(ModuleResult.passed_at.is_not(None)))
    }
    modules = defaultdict(set)
    for module_id, course_id in db.session.execute(select(Module.id, Module.course_id)):
        modules[course_id].add(module_id)
    completed = 0
    for e in db.session.scalars(select(Enrollment)):
        all_passed = all((e.user_id, m) in passed for m in modules[e.course_id])
        assert (e.completed_at is not None) == all_passed
        completed += all_passed
    assert completed > 0


def test_a_second_run_adds_nothing_and_a_larger_one_adds_only_the_difference(seed):
    seed("--learners", "50")
    before = _counts()
    again = seed("--learners", "50")
    assert _counts() == before
    assert "không thêm" in again.output
    seed("--learners", "60")
    after = _counts()
    assert after["User"] == before["User"] + 10 and after["Unit"] == before["Unit"]
    assert len({u.email for u in _seeded_learners()}) == 60


def test_extra_courses_are_added_once(seed):
    seed("--learners", "20", "--extra-courses", "2")
    seed("--learners", "20", "--extra-courses", "2")
    extra = db.session.scalars(select(Course).where(Course.slug.like("chuyen-de-bo-tro-%"))).all()
    assert len(extra) == 2
    assert all(c.is_published and len(c.modules) == 4 for c in extra)
    assert all(len(m.lessons) == 2 and len(m.questions) == 5 for c in extra for m in c.modules)


def test_histories_have_assignments_overdue_work_and_learnable_scores(seed):
    seed("--learners", "300")
    enrolments = db.session.scalars(select(Enrollment)).all()
    assigned = [e for e in enrolments if e.source == "assigned"]
    assert assigned and all(e.assignment_id and e.due_at for e in assigned)
    assert any(e.completed_at is None and e.due_at < utcnow() for e in assigned)  # overdue
    assert any(e.source == "self" for e in enrolments)
    # The same learner does alike in both courses: the learner's ability is a real signal.
    course_of = dict(db.session.execute(select(Module.id, Module.course_id)).all())
    means = defaultdict(lambda: defaultdict(list))
    for r in db.session.scalars(select(ModuleResult)):
        means[r.user_id][course_of[r.module_id]].append(r.best_score)
    pairs = [
        [statistics.mean(v) for v in by_course.values()]
        for by_course in means.values()
        if len(by_course) == 2
    ]
    assert len(pairs) > 30
    assert statistics.correlation([p[0] for p in pairs], [p[1] for p in pairs]) > 0.2


def test_help_says_seeded_attempts_have_answers(runner):
    result = runner.invoke(args=["demo", "seed", "--help"])
    assert result.exit_code == 0
    assert "từng câu" in result.output and "AttemptAnswer" in result.output


def test_seeded_answers_agree_with_their_attempts_and_feed_the_question_statistics(seed, app):
    """Every seeded attempt has one answer per question it showed; the right ones are exactly the
    key and their number gives the score; wrong ones pick choices of that question."""
    seed("--learners", "60")
    keys = defaultdict(dict)
    for question_id, choice_id, is_correct in db.session.execute(
        select(Choice.question_id, Choice.id, Choice.is_correct)
    ):
        keys[question_id][choice_id] = is_correct
    answers = defaultdict(list)
    for answer in db.session.scalars(select(AttemptAnswer)):
        answers[answer.attempt_id].append(answer)
    attempts = db.session.scalars(select(QuizAttempt)).all()
    assert attempts and set(answers) == {a.id for a in attempts}
    wrong_picks = 0
    for attempt in attempts:
        rows = answers[attempt.id]
        assert [r.question_id for r in rows] == list(attempt.question_ids)
        assert abs(sum(r.is_correct for r in rows) / len(rows) - attempt.score) < 1e-9
        for r in rows:
            key = keys[r.question_id]
            assert r.choice_ids and set(r.choice_ids) <= set(key)
            assert r.is_correct == (set(r.choice_ids) == {c for c, ok in key.items() if ok})
            wrong_picks += not r.is_correct
    assert wrong_picks > 0

    course = db.session.scalar(select(Course).where(Course.slug == "du-lieu"))
    rows = question_stats(course)
    assert any(r.discrimination is not None for r in rows)
    # single choice questions: one pick per answer
    assert all(sum(c.picks for c in r.choices) == r.attempts for r in rows)
