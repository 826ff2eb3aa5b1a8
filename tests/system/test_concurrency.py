"""Many gunicorn workers writing at once: nothing lost, nothing doubled, no 'database is locked'.

Runs on SQLite in the SQLite pass of ``make test`` and on PostgreSQL in the PostgreSQL pass."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from academy.auth.models import User
from academy.catalog.models import Course, Module
from academy.learning.models import AttemptAnswer, ModuleResult, QuizAttempt
from tests.e2e.flows import (
    COURSE,
    answer_fields,
    course_answers,
    enrol_http,
    quiz_form,
    wrong_answers,
)
from tests.live_fixtures import assert_clean_log

pytestmark = pytest.mark.slow


def _attempts_of(site, emails):
    with site.db() as session:
        users = select(User.id).where(User.email.in_(emails))
        attempts = session.execute(
            select(
                QuizAttempt.id,
                QuizAttempt.user_id,
                QuizAttempt.module_id,
                QuizAttempt.score,
                func.count(AttemptAnswer.id),
            )
            .outerjoin(AttemptAnswer, AttemptAnswer.attempt_id == QuizAttempt.id)
            .where(QuizAttempt.user_id.in_(users))
            .group_by(QuizAttempt.id)
        ).all()
        results = session.execute(
            select(
                ModuleResult.user_id,
                ModuleResult.module_id,
                ModuleResult.best_score,
                ModuleResult.attempts_count,
            ).where(ModuleResult.user_id.in_(users))
        ).all()
    return attempts, {(r.user_id, r.module_id): r for r in results}


def _fire_together(calls, workers):
    """Run the calls at the same instant (a barrier), return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def test_twenty_identical_submissions_store_one_attempt(busy_site):
    email = busy_site.add_user()
    http = busy_site.http(email)
    enrol_http(http)
    answers = course_answers(busy_site)
    module = next(iter(answers))
    csrf, token, qids = quiz_form(http, COURSE, module)
    form = answer_fields(csrf, token, {q: answers[module][q] for q in qids})

    responses = _fire_together(
        [lambda: http.post(f"/courses/{COURSE}/{module}/quiz", form)] * 20, 20
    )

    assert {r.status for r in responses} == {302}
    assert len({r.headers["Location"] for r in responses}) == 1, (
        "every copy must lead to the one stored attempt"
    )
    attempts, results = _attempts_of(busy_site, [email])
    assert len(attempts) == 1 and attempts[0].score == 1.0
    assert [r.attempts_count for r in results.values()] == [1]
    assert_clean_log(busy_site.server)


def _ids(site, emails, modules):
    """({email: user id}, {module slug: module id}) of these learners and the course's modules."""
    with site.db() as session:
        users = dict(
            session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
        )
        module_ids = dict(
            session.execute(
                select(Module.slug, Module.id)
                .join(Course, Module.course_id == Course.id)
                .where(Course.slug == COURSE, Module.slug.in_(modules))
            ).all()
        )
    return users, module_ids


def test_a_burst_of_different_learners_loses_nothing(busy_site):
    answers, wrong = course_answers(busy_site), wrong_answers(busy_site)
    modules = list(answers)[:2]
    learners = [busy_site.add_user(full_name=f"Học viên Tải {i}") for i in range(12)]
    forms, expected = [], {}  # expected: (email, module) → the score its answers earn
    for j, email in enumerate(learners):
        http = busy_site.http(email)
        enrol_http(http)
        for k, module in enumerate(modules):
            csrf, token, qids = quiz_form(http, COURSE, module)
            # A different number right for each learner and module: a lost or crossed write shows.
            right = (j + k) % (len(qids) + 1)
            # Every question answered (a gap is refused): the first ``right`` rightly.
            chosen = {
                q: (answers[module][q] if i < right else wrong[module][q])
                for i, q in enumerate(qids)
            }
            forms.append((http, module, answer_fields(csrf, token, chosen), len(qids)))
            expected[(email, module)] = right / len(qids)

    calls = [lambda f=f: f[0].post(f"/courses/{COURSE}/{f[1]}/quiz", f[2]) for f in forms]
    responses = _fire_together(calls, len(calls))

    assert [r.status for r in responses] == [302] * len(forms), sorted(
        {r.status for r in responses}
    )
    assert all("/attempts/" in r.headers["Location"] for r in responses)
    attempts, results = _attempts_of(busy_site, learners)
    assert len(attempts) == len(forms) == 24
    expected_answers = sorted(f[3] for f in forms)
    assert sorted(a[4] for a in attempts) == expected_answers, "an attempt lost some of its answers"
    users, module_ids = _ids(busy_site, learners, modules)
    stored = {(a.user_id, a.module_id): a.score for a in attempts}
    assert stored == pytest.approx(
        {(users[email], module_ids[module]): score for (email, module), score in expected.items()}
    ), "a score went to the wrong row"
    for attempt in attempts:
        result = results[(attempt.user_id, attempt.module_id)]
        assert result.attempts_count == 1 and result.best_score == pytest.approx(attempt.score)
    assert_clean_log(busy_site.server)
