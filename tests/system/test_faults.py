"""When things fail: PostgreSQL stopped mid-run, Redis gone, a worker killed mid-submission.

Each test runs its OWN PostgreSQL / Redis (never the machine's shared servers)."""

from __future__ import annotations

import http.client as http_client
import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from academy.auth.models import User
from academy.learning.models import AttemptAnswer, ModuleResult, QuizAttempt
from tests.e2e.flows import COURSE, answer_fields, course_answers, enrol_http, quiz_form
from tests.live_fixtures import Site, database_independent
from tests.live_server import (
    HttpSession,
    LiveServer,
    PrivatePostgres,
    PrivateRedis,
    csrf_token_in,
    demo_email,
    live_env,
    prepare_database,
)

pytestmark = pytest.mark.slow


def consistency_problems(site, emails) -> list[str]:
    """Half-written quiz data of these learners: an attempt missing answers, or a best result out
    of step with the attempts stored. (Demo-seeded histories carry no answers, hence the filter.)"""
    problems = []
    with site.db() as session:
        users = select(User.id).where(User.email.in_(list(emails)))
        for attempt in session.scalars(select(QuizAttempt).where(QuizAttempt.user_id.in_(users))):
            answers = session.scalar(
                select(func.count()).where(AttemptAnswer.attempt_id == attempt.id)
            )
            if answers != len(attempt.question_ids):
                problems.append(
                    f"attempt {attempt.id}: {answers} answers "
                    f"for {len(attempt.question_ids)} questions"
                )
        counts = {
            f"{user_id}:{module_id}": n
            for user_id, module_id, n in session.execute(
                select(QuizAttempt.user_id, QuizAttempt.module_id, func.count())
                .where(QuizAttempt.kind == "module", QuizAttempt.user_id.in_(users))
                .group_by(QuizAttempt.user_id, QuizAttempt.module_id)
            )
        }
        for result in session.scalars(select(ModuleResult).where(ModuleResult.user_id.in_(users))):
            key = f"{result.user_id}:{result.module_id}"
            if result.attempts_count != counts.get(key, 0):
                problems.append(
                    f"result {key}: attempts_count {result.attempts_count} "
                    f"vs {counts.get(key, 0)} stored"
                )
    return problems


def server_errors(log: str) -> str:
    """The tracebacks and 500 lines of a server log, to say why a test saw an error."""
    keep = [
        block for block in re.split(r"\n(?=\[)", log) if "Traceback" in block or '" 500 ' in block
    ]
    return "\n".join(keep)[-8000:]


def _prepared_forms(site, learners: int, modules: int = 2):
    """Signed-in learners with open quiz forms (all answers right), ready to post."""
    answers = course_answers(site)
    forms = []
    for i in range(learners):
        email = site.add_user(full_name=f"Học viên Sự cố {i}")
        http = site.http(email)
        http.email = email
        enrol_http(http)
        for module in list(answers)[:modules]:
            csrf, token, qids = quiz_form(http, COURSE, module)
            forms.append(
                (http, module, answer_fields(csrf, token, {q: answers[module][q] for q in qids}))
            )
    return forms


def _post(form):
    http, module, fields = form
    try:
        return http.post(f"/courses/{COURSE}/{module}/quiz", fields).status
    except (
        OSError,
        http_client.HTTPException,
    ) as exc:  # connection cut by a dying worker, maybe mid-response
        return type(exc).__name__


# ---- PostgreSQL stopped and restarted ------------------------------------------------------


@pytest.fixture(scope="module")
def private_pg_site(tmp_path_factory):
    if not PrivatePostgres.available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    pg = PrivatePostgres()
    server = None
    try:
        pg.init()
        directory = tmp_path_factory.mktemp("pgfault")
        env = live_env(directory, pg.url, RATELIMIT_ENABLED=False, QUIZ_MAX_ATTEMPTS=0)
        prepare_database(env, demo_learners=0)
        server = LiveServer(env, workers=2).start()
        site = Site(env, server, pg.url)
        site.pg = pg
        yield site
        site.close()
    finally:
        if server:
            server.stop()
        pg.destroy()


@database_independent  # its own private PostgreSQL whatever the suite's database
def test_postgresql_outage_gives_friendly_503s_and_heals_itself(private_pg_site):
    site, pg = private_pg_site, private_pg_site.pg
    forms = _prepared_forms(site, learners=4)
    reader = forms[0][0]
    stop_at = threading.Event()

    def stop_database():
        time.sleep(0.15)
        pg.stop("immediate")  # a crash, not a polite shutdown
        stop_at.set()

    with ThreadPoolExecutor(max_workers=len(forms) + 1) as pool:
        killer = pool.submit(stop_database)
        statuses = list(pool.map(lambda f: (time.sleep(0.03 * forms.index(f)), _post(f))[1], forms))
        killer.result()
    assert stop_at.is_set()
    assert set(statuses) <= {302, 503}, (statuses, server_errors(site.server.log()))

    down = reader.get("/courses")
    assert down.status == 503
    assert "Hệ thống tạm thời gián đoạn" in down.text and "Traceback" not in down.text
    assert site.server.health() == 503
    retry = _post(forms[-1])
    assert retry == 503

    pg.start()
    deadline = time.monotonic() + 30
    while site.server.health() != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert site.server.health() == 200, "the app did not reconnect by itself"
    assert reader.get("/courses").status == 200
    assert _post(forms[-1]) == 302, "a submission refused during the outage can be sent again"
    assert consistency_problems(site, {f[0].email for f in forms}) == []
    assert " 500 " not in site.server.log(), server_errors(site.server.log())


# ---- Redis gone: rate limiting and jobs degrade, never a 500 ---------------------------------


@database_independent
def test_redis_outage_degrades_rate_limit_and_jobs_without_errors(tmp_path):
    if not PrivateRedis.available():
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis().start()
    directory = tmp_path
    env = live_env(
        directory,
        "sqlite:///" + str(directory / "redis.sqlite3"),
        REDIS_URL=redis.url,
        RATELIMIT_ENABLED=True,
    )
    try:
        prepare_database(env, demo_learners=3)
        with LiveServer(env, workers=2) as server:
            hr = HttpSession(server.base_url)
            hr.login(demo_email("nhansu"))
            redis.stop()
            statuses = []
            for _ in range(7):
                anonymous = HttpSession(server.base_url)
                token = anonymous.csrf_token("/login")
                statuses.append(
                    anonymous.post(
                        "/login",
                        {
                            "email": "khong.co@hvs.gov.vn",
                            "password": "sai-mat-khau",
                            "csrf_token": token,
                        },
                    ).status
                )
            # Sign-in fails closed while its shared limit store is away: no per-worker guessing.
            assert set(statuses) <= {503, 429}, statuses
            assert 503 in statuses

            page = hr.get("/certificates/bulk")
            assert page.status == 200
            unit = re.search(r'name="unit_id"[^>]*>\s*<option[^>]*value="(\d+)"', page.text)
            job = hr.post(
                "/certificates/bulk",
                {
                    "csrf_token": csrf_token_in(page.text),
                    "course_id": "0",
                    "unit_id": unit.group(1) if unit else "",
                },
            )
            assert job.status == 302, job.status
            status_url = re.sub(r"^https?://[^/]+", "", job.headers["Location"])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                state = hr.get(status_url + ".json")
                if state.status == 200 and re.search(
                    r'"status":\s*"(finished|failed)"', state.text
                ):
                    break
                time.sleep(0.3)
            assert '"finished"' in state.text, state.text[:300]
            assert " 500 " not in server.log()
    finally:
        redis.stop()


# ---- a worker killed mid-submission -----------------------------------------------------------


def test_a_worker_killed_mid_submission_leaves_no_partial_attempt(busy_site):
    forms = _prepared_forms(busy_site, learners=10, modules=2)
    server = busy_site.server
    victims = server.worker_pids()

    def kill_workers():
        time.sleep(0.05)
        for pid in victims[:2]:
            os.kill(pid, signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=len(forms) + 1) as pool:
        killer = pool.submit(kill_workers)
        statuses = list(pool.map(_post, forms))
        killer.result()

    assert [s for s in statuses if isinstance(s, int) and s >= 500 and s != 503] == [], statuses
    assert consistency_problems(busy_site, {f[0].email for f in forms}) == []
    server.wait_healthy(30)  # the master replaced the killed workers
    assert server.health() == 200
    # A learner whose request died may simply send it again: one attempt, complete.
    lost = [form for form, status in zip(forms, statuses, strict=True) if status != 302]
    for form in lost:
        assert _post(form) == 302
    assert consistency_problems(busy_site, {f[0].email for f in forms}) == []
