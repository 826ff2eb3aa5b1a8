"""Delivery to a real LRS (Ralph): an LRS that is down or silent never holds a page and is tried
again later; a refused statement fails alone, with the LRS's reason; a statement is never stored
twice, whatever runs take it up."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from academy.database import db, utcnow
from academy.xapi import statements
from academy.xapi.delivery import deliver_due
from academy.xapi.models import XapiStatement
from academy.xapi.outbox import queue_statement, stop_retries, wait_for_delivery
from tests.learning.conftest import lesson_url
from tests.xapi.conftest import free_port


@pytest.fixture
def silent_lrs():
    """An address that accepts connections and never answers (a hung LRS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/xAPI"


def rows() -> list[XapiStatement]:
    db.session.expire_all()
    return db.session.scalars(select(XapiStatement).order_by(XapiStatement.created_at)).all()


def queue_experienced(user, n: int, *, spoil: bool = False) -> list[str]:
    ids = []
    for k in range(n):
        moment = utcnow()
        body = statements.statement(
            "experienced",
            user,
            statements.activity(f"http://localhost/thu/{k}", "lesson", f"Bài {k}"),
            moment,
        )
        if spoil:  # an agent with no identifier: no LRS may take it
            body["actor"] = {"objectType": "Agent"}
        queue_statement(body, "experienced", moment)
        ids.append(body["id"])
    return ids


def test_a_silent_lrs_holds_no_page_and_is_tried_again_later(
    app, client, auth, make_user, make_course, lrs, silent_lrs
):
    app.config.update(JOBS_EAGER=False, XAPI_LRS_URL=silent_lrs, XAPI_TIMEOUT=2)
    course = make_course(modules=1)
    module = course.modules[0]
    auth.login(make_user())
    client.post(f"/courses/{course.slug}/enrol")
    started = time.monotonic()
    page = client.get(lesson_url(course, module, module.lessons[0]))
    took = time.monotonic() - started
    assert page.status_code == 200 and took < 1.5, f"the page waited {took:.1f} s"
    try:
        assert wait_for_delivery(app, 15)
    finally:
        stop_retries(app)
    (row,) = rows()
    assert (row.state, row.tries) == ("queued", 1)
    assert "Timeout" in row.last_error
    assert timedelta(seconds=50) < row.next_try_at - utcnow() <= timedelta(seconds=60)
    assert lrs.statements() == []
    statement_id = row.id

    app.config["XAPI_LRS_URL"] = lrs.url  # the LRS answers again
    assert deliver_due().sent == 0  # not due yet
    report = deliver_due(now=utcnow() + timedelta(minutes=2))
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert [s["id"] for s in lrs.statements()] == [statement_id]
    assert rows()[0].state == "sent"


def test_an_lrs_that_is_down_backs_off_then_gives_up(app, make_user, lrs):
    app.config.update(XAPI_LRS_URL=f"http://127.0.0.1:{free_port()}/xAPI", XAPI_MAX_ATTEMPTS=3)
    user = make_user()
    queue_experienced(user, 2)
    db.session.commit()  # delivery runs (inline in tests) and finds nobody there
    delays = []
    for _ in range(2):
        waiting = rows()
        assert all(r.state == "queued" and "ConnectionError" in r.last_error for r in waiting)
        delays.append(round((waiting[0].next_try_at - utcnow()).total_seconds() / 60))
        deliver_due(now=utcnow() + timedelta(days=1))
    assert delays == [1, 5]
    assert {(row.state, row.tries) for row in rows()} == {("failed", 3)}
    said = app.test_cli_runner().invoke(args=["xapi", "send"])
    assert "Đã gửi 0 bản ghi xAPI" in said.output

    app.config["XAPI_LRS_URL"] = lrs.url
    again = app.test_cli_runner().invoke(args=["xapi", "retry-failed"])
    assert again.exit_code == 0, again.output
    assert "2 bản ghi được đưa lại vào hàng đợi" in again.output
    assert "Đã gửi 2 bản ghi xAPI" in again.output
    assert len(lrs.statements()) == 2


def test_a_refused_statement_fails_alone_with_the_reason(app, make_user, lrs):
    user = make_user()
    good = queue_experienced(user, 1)
    bad = queue_experienced(user, 1, spoil=True)
    good += queue_experienced(user, 1)
    db.session.commit()
    assert sorted(s["id"] for s in lrs.statements()) == sorted(good)
    states = {row.id: (row.state, row.last_error) for row in rows()}
    assert states[good[0]] == states[good[1]] == ("sent", None)
    state, reason = states[bad[0]]
    assert state == "failed" and reason.startswith(("400", "422")) and "actor" in reason

    again = app.test_cli_runner().invoke(args=["xapi", "retry-failed"])
    assert "1 bản ghi được đưa lại" in again.output and "1 bản ghi không gửi được" in again.output
    assert rows()[1].state == "failed" and len(lrs.statements()) == 2


def test_a_statement_already_in_the_lrs_counts_as_sent_never_twice(app, make_user, lrs):
    (statement_id,) = queue_experienced(make_user(), 1)
    db.session.commit()
    first = lrs.statements()
    assert [s["id"] for s in first] == [statement_id]

    # A run died after the LRS stored it, before it could record so: the lease ends, a run sends
    # it again; the LRS already has this id, so it stays one statement.
    table = XapiStatement.__table__
    db.session.execute(
        update(table).values(state="sending", next_try_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert deliver_due().sent == 1
    assert lrs.statements() == first

    # Our copy differs from the LRS's (409 Conflict): still our id, already there, never resent.
    row = rows()[0]
    body = dict(row.body, timestamp="2020-01-01T00:00:00.000Z")
    db.session.execute(update(table).values(state="queued", body=body, next_try_at=utcnow()))
    db.session.commit()
    report = deliver_due()
    assert (report.sent, report.failed) == (1, 0)
    assert lrs.statements() == first and rows()[0].state == "sent"


def test_two_runs_at_once_take_each_statement_once(app, make_user, lrs):
    user = make_user()
    app.config["XAPI_BATCH_SIZE"] = 4
    now = utcnow()
    for k in range(24):
        body = statements.statement(
            "experienced",
            user,
            statements.activity(f"http://localhost/thu/{k}", "lesson", f"Bài {k}"),
            now + timedelta(milliseconds=k),
        )
        db.session.add(
            XapiStatement(
                id=body["id"], body=body, verb="experienced", occurred_at=now, rank=0, tries=0
            )
        )
    db.session.commit()  # added directly: no run starts on this commit
    reports = []

    def run():
        with app.app_context():
            reports.append(deliver_due())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(report.sent for report in reports) == 24
    assert {(row.state, row.tries) for row in rows()} == {("sent", 1)}
    assert len(lrs.statements()) == 24


REDIS_URL = "redis://127.0.0.1:6379/11"


def test_with_redis_an_rq_job_delivers_after_the_commit(
    app, make_user, lrs, database_url, monkeypatch
):
    from redis import Redis  # noqa: PLC0415 - only this test needs Redis
    from rq import Queue, SimpleWorker  # noqa: PLC0415

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception:  # noqa: BLE001 - no Redis here: this test needs one
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    # What the worker's own create_app() reads: the same database, LRS and Redis.
    for key, value in {
        "ENV_NAME": "testing",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": "http://localhost",
        "XAPI_LRS_URL": lrs.url,
        "XAPI_LRS_USERNAME": app.config["XAPI_LRS_USERNAME"],
        "XAPI_LRS_PASSWORD": app.config["XAPI_LRS_PASSWORD"],
    }.items():
        monkeypatch.setenv(f"ACADEMY_{key}", value)
    try:
        ids = queue_experienced(make_user(), 2)
        db.session.commit()
        queue = Queue("academy", connection=connection)
        assert [job.func_name for job in queue.jobs] == ["academy.xapi.cli.rq_deliver"]
        assert {row.state for row in rows()} == {"queued"}  # nothing sent by the request itself
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert sorted(s["id"] for s in lrs.statements()) == sorted(ids)
        assert {row.state for row in rows()} == {"sent"}
    finally:
        connection.flushdb()
