"""Inviting a whole import under gunicorn: ``flask users import`` of 10,000 people (1,000 with
``--quick``; ``--learners N`` sets the number), then the admin's one click "invite everyone with
no sign-in yet" (time of that request: the links and the mail queued; target < 10 s); then the
delivery to a local SMTP server (aiosmtpd, counting what arrives: messages/s and the time until
the last one) and, while it runs, /login asked again and again (p50/p95 beside the same page
before, when nothing was sent): a page must not wait for the mail.

SQLite by default; ``ACADEMY_BENCH_INVITATIONS_DB=postgresql://…/name`` runs it on PostgreSQL (the
database is dropped and created afresh).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from bench.common import fresh_instance
from tests.live_server import (
    DEMO_PASSWORD,
    HttpSession,
    LiveServer,
    csrf_token_in,
    free_port,
    fresh_postgres_database,
    live_env,
    prepare_database,
    run_steps,
    sqlite_url,
)

DEFAULT_PEOPLE, QUICK_PEOPLE = 10_000, 1_000
DELIVERY_TIMEOUT = 1800  # seconds to wait for the last message


class CountingServer:
    """An SMTP server that only counts what it receives, and when (parsing would cost the
    benchmark's own CPU on a shared machine)."""

    def __init__(self):
        self.port = free_port()
        self.arrivals: list[float] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.arrivals.append(time.perf_counter())
        return "250 OK"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.arrivals)

    def __enter__(self) -> CountingServer:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


def run(args) -> list[dict]:
    people = getattr(args, "learners", None) or (
        QUICK_PEOPLE if getattr(args, "quick", False) else DEFAULT_PEOPLE
    )
    instance = fresh_instance("invitations")
    url = os.environ.get("ACADEMY_BENCH_INVITATIONS_DB")
    if url:
        url = fresh_postgres_database(url, url.rsplit("/", 1)[1])
    database = "PostgreSQL" if url else "SQLite"
    with CountingServer() as smtp:
        env = live_env(
            instance,
            url or sqlite_url(instance),
            RATELIMIT_ENABLED=False,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp.port,
        )
        prepare_database(env, courses=False, demo_learners=0)
        imported = _import(env, instance, people)
        with LiveServer(env, workers=2, log_dir=instance) as server:
            rows = _invite_and_deliver(server, smtp, people)
    note = f"{people:,} people, {database}, gunicorn sync w=2, local aiosmtpd"
    return [{"benchmark": "invitations", "figure": "import (flask users import)", **imported}] + [
        {"benchmark": "invitations", **row, "note": row.get("note") or note} for row in rows
    ]


def _import(env: dict, instance: Path, people: int) -> dict:
    unit = _first_unit_code(env)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", dir=instance, delete=False, encoding="utf-8"
    ) as handle:
        handle.write("employee_code,full_name,email,unit_code,position,roles\n")
        for n in range(people):
            handle.write(f"MI{n:07d},Người Được Mời {n},moi.{n}@hvs.gov.vn,{unit},Chuyên viên,\n")
    started = time.perf_counter()
    run_steps(env, [["users", "import", handle.name]], timeout=3600)
    return {"value": round(time.perf_counter() - started, 1), "unit": "s"}


def _first_unit_code(env: dict) -> str:
    """The code of the first ward the demo seed made (read straight from the database)."""
    url = env["ACADEMY_DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT code FROM units WHERE kind = 'ward' ORDER BY id LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()


def _latencies(session: HttpSession, path: str, count: int, pause: float = 0.0) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        assert session.get(path).status == 200
        times.append(time.perf_counter() - started)
        time.sleep(pause)
    return times


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def _invite_and_deliver(server: LiveServer, smtp: CountingServer, people: int) -> list[dict]:
    admin = HttpSession(server.base_url, timeout=120)
    admin.login("quantri@hvs.gov.vn", DEMO_PASSWORD)
    visitor = HttpSession(server.base_url)
    before = _latencies(visitor, "/login", 40)
    token = csrf_token_in(admin.get("/invitations").text)
    started = time.perf_counter()
    answer = admin.post("/invitations", {"csrf_token": token})
    queued_in = time.perf_counter() - started
    assert answer.status in (302, 303), answer
    during, deadline = [], time.monotonic() + DELIVERY_TIMEOUT
    while smtp.count < people and time.monotonic() < deadline:
        during += _latencies(visitor, "/login", 5, pause=0.05)
    delivered = smtp.count
    arrivals = smtp.arrivals
    spread = (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
    return [
        {
            "figure": "queue every invitation (one POST)",
            "value": round(queued_in, 2),
            "unit": "s",
            "note": f"target < 10 s; {people:,} links and mails",
        },
        {"figure": "delivered to SMTP", "value": delivered, "unit": "messages"},
        {
            "figure": "delivery rate",
            "value": round(delivered / spread, 1) if spread else "",
            "unit": "msg/s",
        },
        {
            "figure": "last message after the click",
            "value": round(arrivals[-1] - started, 1) if arrivals else "",
            "unit": "s",
        },
        {"figure": "/login p50 before", "value": _ms(statistics.median(before)), "unit": "ms"},
        {"figure": "/login p95 before", "value": _ms(_p95(before)), "unit": "ms"},
        {
            "figure": "/login p50 while delivering",
            "value": _ms(statistics.median(during or [0])),
            "unit": "ms",
            "note": f"{len(during)} requests",
        },
        {
            "figure": "/login p95 while delivering",
            "value": _ms(_p95(during or [0])),
            "unit": "ms",
            "note": f"{len(during)} requests",
        },
    ]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("invitations")
