"""A pooled PostgreSQL connection is checked before a request uses it when it sat idle or the
server closed it, so a server that dropped it (restarted, a firewall) costs the reader nothing;
one in steady use is not pinged (no round trip per request)."""

from __future__ import annotations

import time

import psycopg
import pytest

from academy import database
from academy.database import db


@pytest.fixture
def postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pings PostgreSQL connections; the suite's PostgreSQL run covers it")


def _pooled_backend() -> int:
    """The server process behind the connection the next request will take from the pool."""
    pid = db.session.connection().connection.dbapi_connection.info.backend_pid
    db.session.commit()
    db.session.remove()  # back to the pool, as at the end of a request
    return pid


def _terminate(pid: int) -> None:
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):  # the server ends the process a moment later
            alive = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
            if not admin.execute(alive, (pid,)).fetchone():
                break
            time.sleep(0.01)


def test_a_connection_the_server_dropped_is_replaced_unseen_even_just_after_use(
    app, client, postgres_only
):
    """The server closed it a moment ago (a crash and a fast restart, an administrator): its socket
    says so, and it is pinged and replaced before the request uses it."""
    db.engine.pool.dispose()  # one pooled connection: the one below
    _terminate(_pooled_backend())
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_an_idle_connection_is_pinged_and_replaced_when_dead(
    app, client, postgres_only, monkeypatch
):
    db.engine.pool.dispose()
    _terminate(_pooled_backend())
    monkeypatch.setattr(database, "_socket_has_news", lambda _conn: False)  # only the clock
    later = database.time.monotonic() + database.PING_AFTER_IDLE + 1
    monkeypatch.setattr(database.time, "monotonic", lambda: later)
    assert client.get("/healthz").status_code == 200


def test_a_connection_in_steady_use_is_not_pinged(app, client, postgres_only, monkeypatch):
    pings = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or real(conn))
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert pings == []
    _pooled_backend()
    later = database.time.monotonic() + database.PING_AFTER_IDLE + 1
    monkeypatch.setattr(database.time, "monotonic", lambda: later)
    assert client.get("/healthz").status_code == 200
    assert pings == [1]
