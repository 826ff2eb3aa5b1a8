"""On PostgreSQL a request that only read ends with COMMIT, so the statements psycopg prepared stay
prepared between requests; a request that wrote anything it did not commit still loses it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from academy.auth.models import Unit
from academy.database import db


@pytest.fixture
def postgres_app(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements; the suite's PostgreSQL run covers it")

    @app.get("/_test/read")
    def read_only():
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.scalar(select(func.count(Unit.id)).where(Unit.code == "none"))
        prepared = db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        return {"backend": backend, "prepared": prepared}

    @app.get("/_test/flush-only")
    def flush_only():
        db.session.add(Unit(code="flushed-not-committed", name="Đơn vị thử"))
        db.session.flush()  # written to the transaction, never committed
        return "ok"

    @app.get("/_test/raw-write")
    def raw_write():
        db.session.execute(
            text("INSERT INTO units (code, name, kind, path) VALUES ('raw', 'Thô', 'agency', '/')")
        )
        return "ok"

    @app.get("/_test/pending")
    def pending():
        db.session.add(Unit(code="pending-only", name="Chưa ghi"))  # never flushed
        return "ok"

    return app


def _as_in_production(app, paths: list[str]) -> list:
    """GET each path as a server does: in a thread with no app context of the test's, so every
    request has its own and ends as in production (the session removed after it)."""
    results = []

    def run():
        client = app.test_client()
        results.extend(client.get(path) for path in paths)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return results


def test_statements_stay_prepared_across_read_only_requests(postgres_app):
    db.session.remove()
    db.engine.pool.dispose()  # the requests below share one fresh connection
    seen = [r.get_json() for r in _as_in_production(postgres_app, ["/_test/read"] * 12)]
    assert len({s["backend"] for s in seen}) == 1  # one connection, reused
    assert seen[-1]["prepared"] >= 1  # still prepared: no ROLLBACK threw them away


@pytest.mark.parametrize("route", ["/_test/flush-only", "/_test/raw-write", "/_test/pending"])
def test_a_request_that_wrote_without_committing_leaves_nothing(postgres_app, route):
    (response,) = _as_in_production(postgres_app, [route])
    assert response.status_code == 200
    db.session.remove()
    codes = set(db.session.scalars(select(Unit.code)))
    assert not codes & {"flushed-not-committed", "raw", "pending-only"}
