"""On PostgreSQL plain reads run outside any transaction (``database.read_outside_transactions``):
a request that only read opens none, holds none open while it works, and keeps the statements
psycopg prepared; a write, a row lock or an advisory lock opens one, so what a request wrote and
did not commit is still lost and a lock is still held until the end."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import func, select, text

from academy.auth.models import Unit
from academy.database import db


@pytest.fixture
def postgres_app(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "PostgreSQL transactions and prepared statements; the suite's PostgreSQL run covers it"
        )

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

    @app.get("/_test/state-while-reading")
    def state_while_reading():
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.scalar(select(func.count(Unit.id)))
        return {"state": _state_of(backend)}

    @app.get("/_test/lock-then-look")
    def lock_then_look():
        unit_id = db.session.scalar(select(Unit.id).order_by(Unit.id).limit(1).with_for_update())
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))
        return {"state": _state_of(backend), "blocked": _row_is_locked(unit_id)}

    @app.get("/_test/advisory")
    def advisory():
        db.session.scalar(text("SELECT pg_try_advisory_xact_lock(4242)"))
        return {"taken_elsewhere": _advisory_free(4242)}

    @app.get("/_test/streamed")
    def streamed():
        rows = db.session.execute(select(Unit.code).execution_options(yield_per=2))
        return {"codes": sorted(code for (code,) in rows)}

    @app.get("/_test/pending")
    def pending():
        db.session.add(Unit(code="pending-only", name="Chưa ghi"))  # never flushed
        return "ok"

    return app


def _other_connection():
    return psycopg.connect(
        db.engine.url.render_as_string(hide_password=False).replace(
            "postgresql+psycopg://", "postgresql://"
        ),
        autocommit=True,
    )


def _state_of(backend: int) -> str:
    """What PostgreSQL says ``backend`` is doing, asked from another connection."""
    with _other_connection() as other:
        return other.execute(
            "SELECT state FROM pg_stat_activity WHERE pid = %s", (backend,)
        ).fetchone()[0]


def _row_is_locked(unit_id: int) -> bool:
    with _other_connection() as other:
        try:
            other.execute("SELECT id FROM units WHERE id = %s FOR UPDATE NOWAIT", (unit_id,))
        except psycopg.errors.LockNotAvailable:
            return True
        return False


def _advisory_free(key: int) -> bool:
    with _other_connection() as other:
        taken = other.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()[0]
        return bool(taken)


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


def test_a_request_that_only_reads_holds_no_transaction_open(postgres_app):
    (response,) = _as_in_production(postgres_app, ["/_test/state-while-reading"])
    assert response.get_json()["state"] == "idle"  # not "idle in transaction"


def test_a_row_lock_opens_a_transaction_and_holds_until_the_request_ends(postgres_app):
    db.session.add(Unit(code="locked", name="Đơn vị khoá"))
    db.session.commit()
    db.session.remove()
    (response,) = _as_in_production(postgres_app, ["/_test/lock-then-look"])
    assert response.get_json() == {"state": "idle in transaction", "blocked": True}


def test_an_advisory_transaction_lock_is_held_until_the_request_ends(postgres_app):
    (response,) = _as_in_production(postgres_app, ["/_test/advisory"])
    assert response.get_json() == {"taken_elsewhere": False}


def test_rows_streamed_through_a_server_side_cursor(postgres_app):
    db.session.add_all([Unit(code=f"s{i}", name=f"Đơn vị {i}") for i in range(5)])
    db.session.commit()
    db.session.remove()
    (response,) = _as_in_production(postgres_app, ["/_test/streamed"])
    assert {"s0", "s1", "s2", "s3", "s4"} <= set(response.get_json()["codes"])
