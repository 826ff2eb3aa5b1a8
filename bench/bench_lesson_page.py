"""A lesson page served in-process by the Flask test client to a signed-in learner on the seeded
database: p50/p95 latency and requests per second; a minimal Flask route and /healthz for scale."""

from __future__ import annotations

import os
import statistics
import time

from flask import Flask
from sqlalchemy import select

from academy import create_app
from academy.catalog.models import Course, Lesson, Module
from academy.demo.data import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from academy.extensions import db
from bench.common import learners_for, seeded_database

REQUESTS, WARMUP = 500, 20


def run(args) -> list[dict]:
    db = seeded_database(learners_for(args), getattr(args, "extra_courses", 0))
    requests = 100 if getattr(args, "quick", False) else REQUESTS
    app = _academy_app(db)
    with app.app_context():
        url, email = _lesson_url_and_learner()
    client = app.test_client()
    _sign_in(client, email)
    rows = _measure(
        "lesson page", client, url, requests, f"{url} as {email}; {db.learners:,} learners"
    )
    rows += _measure("/healthz", app.test_client(), "/healthz", requests, "same app: one SELECT 1")
    rows += _measure(
        "minimal route", _minimal_app().test_client(), "/", requests, "bare Flask, returns text"
    )
    return rows


def _academy_app(db):
    os.environ["ACADEMY_INSTANCE_PATH"] = str(db.instance)

    return create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": db.uri,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )


def _lesson_url_and_learner() -> tuple[str, str]:
    """The first lesson of the first published course, and the demo learner."""
    row = db.session.execute(
        select(Course.slug, Module.slug, Lesson.slug)
        .join(Module, Module.course_id == Course.id)
        .join(Lesson, Lesson.module_id == Module.id)
        .where(Course.status == "published")
        .order_by(Course.id, Module.position, Lesson.position)
        .limit(1)
    ).one()
    return f"/courses/{row[0]}/{row[1]}/{row[2]}", f"hocvien@{DEMO_EMAIL_DOMAIN}"


def _sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed with {response.status_code}")


def _minimal_app() -> Flask:
    app = Flask("minimal")
    app.add_url_rule("/", "index", lambda: "ok")
    return app


def _measure(label: str, client, url: str, count: int, note: str) -> list[dict]:
    statuses = {}
    for _ in range(WARMUP):
        client.get(url)
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        t = time.perf_counter()
        status = client.get(url).status_code
        latencies.append((time.perf_counter() - t) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    total = time.perf_counter() - started
    if set(statuses) != {200}:
        note += f"; HTTP statuses {statuses}"
    cuts = statistics.quantiles(latencies, n=100)
    row = lambda figure, value, unit: {  # noqa: E731
        "benchmark": "lesson_page",
        "figure": f"{label} {figure}",
        "value": value,
        "unit": unit,
        "note": note,
    }
    return [
        row("p50", cuts[49], "ms"),
        row("p95", cuts[94], "ms"),
        row("throughput", count / total, "req/s"),
    ]


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("lesson_page")
