"""Pages under gunicorn with 32 concurrent keep-alive clients: the catalogue, a lesson page and the
learning path, each beside ``/bench/ping`` (a minimal Flask route in the same app, same server,
same run) — requests/s, p95, and the ratio to the minimal route; then quiz submissions per second
on PostgreSQL.

The load generator is Python threads with http.client on the same machine: on a 2-core box it
takes CPU from the server, so absolute figures are lower bounds; the ratio is the figure that
matters.
"""

from __future__ import annotations

import http.client
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

from bench.common import REPO, flask, learners_for, run_measured, seeded_database
from tests.live_server import (
    DEMO_PASSWORD,
    HttpSession,
    LiveServer,
    csrf_token_in,
    fresh_postgres_database,
    live_env,
    prepare_database,
)

CLIENTS = 32
CORES = os.cpu_count() or 2
CONFIGS = (  # (label, worker class, workers, threads)
    ("sync", "sync", 2 * CORES + 1, 1),
    ("gthread", "gthread", CORES + 1, 4),
)


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    seconds = 3.0 if quick else 10.0
    db = seeded_database(learners_for(args), getattr(args, "extra_courses", 0))
    _ensure_trained(db.instance)
    lesson, learners = _targets(db.instance / "academy.sqlite3")
    env = live_env(db.instance, db.uri, RATELIMIT_ENABLED=False, INSTANCE_PATH=str(db.instance))
    rows = []
    for label, worker_class, workers, threads in CONFIGS:
        with LiveServer(
            env,
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            app="bench.wsgi_bench:app",
            log_dir=db.instance,
        ) as server:
            cookies = _sign_in(server.base_url, learners)
            note = (
                f"gunicorn {worker_class} w={workers} t={threads}; {CLIENTS} clients; "
                f"{db.learners:,} learners"
            )
            ping = measure(server.port, "/bench/ping", cookies, seconds)
            rows.append(_row(f"{label}: minimal route /bench/ping", ping, None, note))
            for name, path in (
                ("catalogue /courses", "/courses"),
                ("lesson page", lesson),
                ("learning path /me/path", "/me/path"),
            ):
                rows.append(
                    _row(
                        f"{label}: {name}", measure(server.port, path, cookies, seconds), ping, note
                    )
                )
    rows += quiz_submissions_on_postgres(seconds)
    return rows


def _ensure_trained(instance: Path) -> None:
    """Serve as a deployment does: with a trained recommender (make run trains one)."""
    if not list((instance / "models").glob("*.npz")):
        run_measured(flask("recommender", "train"), instance)


def _row(figure: str, result: dict, baseline: dict | None, note: str) -> dict:
    ratio = (
        f"; {result['rps'] / baseline['rps']:.0%} of minimal route"
        if baseline and baseline["rps"]
        else ""
    )
    errors = f"; {result['errors']} errors" if result["errors"] else ""
    return {
        "benchmark": "http",
        "figure": figure,
        "value": result["rps"],
        "unit": "req/s",
        "note": f"p95 {result['p95_ms']:.0f} ms{ratio}{errors}; {note}",
    }


def _targets(sqlite_file: Path) -> tuple[str, list[str]]:
    """The first lesson of the first published course and up to 32 learners enrolled in it."""
    with sqlite3.connect(sqlite_file) as con:
        course_id, course, module, lesson = con.execute(
            "SELECT c.id, c.slug, m.slug, l.slug FROM courses c JOIN modules m ON m.course_id = "
            "c.id JOIN lessons l ON l.module_id = m.id WHERE c.status = 'published' ORDER BY c.id, "
            "m.position, l.position LIMIT 1"
        ).fetchone()
        emails = [
            r[0]
            for r in con.execute(
                "SELECT u.email FROM users u JOIN enrollments e ON e.user_id = u.id JOIN "
                "user_roles r ON r.user_id = u.id AND r.role = 'learner' WHERE e.course_id = ? "
                "ORDER BY u.id LIMIT ?",
                (course_id, CLIENTS),
            )
        ]
    return f"/courses/{course}/{module}/{lesson}", emails or ["hocvien@hvs.gov.vn"]


def _sign_in(base_url: str, emails: list[str]) -> list[str]:
    """A session cookie per client (learners reused round-robin when fewer than the clients)."""
    cookies = []
    for email in emails:
        session = HttpSession(base_url)
        session.login(email, DEMO_PASSWORD)
        cookies.append("; ".join(f"{c.name}={c.value}" for c in session.cookies))
    return [cookies[i % len(cookies)] for i in range(CLIENTS)]


def measure(port: int, path: str, cookies: list[str], seconds: float, warmup: float = 1.0) -> dict:
    """``CLIENTS`` threads, each on its own keep-alive connection, GET ``path`` flat out."""
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    errors = [0] * CLIENTS
    start = time.perf_counter() + warmup
    stop = start + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookies[i], "Accept-Language": "vi"}
        while True:
            began = time.perf_counter()
            if began >= stop:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ended = time.perf_counter()
            if began >= start:
                latencies[i].append(ended - began)
                errors[i] += not ok
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = sorted(x for per in latencies for x in per)
    count = len(flat)
    return {
        "rps": count / seconds,
        "p95_ms": 1000 * flat[int(0.95 * (count - 1))] if count else 0.0,
        "p50_ms": 1000 * flat[count // 2] if count else 0.0,
        "errors": sum(errors),
        "count": count,
    }


# ---- quiz submissions per second on PostgreSQL -----------------------------------------------


def quiz_submissions_on_postgres(seconds: float) -> list[dict]:
    base = (
        os.environ.get("ACADEMY_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        url = fresh_postgres_database(base, "academy_bench_http")
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so in the table
        return [
            {
                "benchmark": "http",
                "figure": "quiz submissions (PostgreSQL)",
                "value": "",
                "unit": "",
                "note": f"skipped: {type(exc).__name__}: {str(exc)[:80]}",
            }
        ]
    directory = Path(REPO / "bench" / "out" / "http-pg")
    directory.mkdir(parents=True, exist_ok=True)
    env = live_env(directory, url, RATELIMIT_ENABLED=False, QUIZ_MAX_ATTEMPTS=0)
    prepare_database(env, demo_learners=CLIENTS)
    workers = 2 * CORES + 1
    with LiveServer(env, workers=workers, log_dir=directory) as server:
        forms = _quiz_forms(server.base_url, url, per_client=max(20, int(seconds * 6)))
        result = _post_all(server.port, forms)
    return [
        {
            "benchmark": "http",
            "figure": "quiz submissions (PostgreSQL)",
            "value": result["rps"],
            "unit": "submits/s",
            "note": f"p95 {result['p95_ms']:.0f} ms; {result['count']} graded attempts, "
            f"{result['errors']} errors; gunicorn sync w={workers}; {CLIENTS} clients",
        }
    ]


def _quiz_forms(base_url: str, database_url: str, per_client: int) -> list[list[tuple[str, bytes]]]:
    """For each client: a signed-in cookie and ``per_client`` freshly opened quiz forms."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as con:
        course, module = con.execute(
            "SELECT c.slug, m.slug FROM courses c JOIN modules m ON m.course_id = c.id "
            "WHERE c.status = 'published' ORDER BY c.id, m.position LIMIT 1"
        ).fetchone()
        emails = [
            r[0]
            for r in con.execute(
                "SELECT u.email FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = "
                "'learner' ORDER BY u.id LIMIT %s",
                (CLIENTS,),
            )
        ]
    path = f"/courses/{course}/{module}/quiz"
    prepared = []
    for i in range(CLIENTS):
        session = HttpSession(base_url)
        session.login(emails[i % len(emails)], DEMO_PASSWORD)
        session.post(
            f"/courses/{course}/enrol", {"csrf_token": session.csrf_token(f"/courses/{course}")}
        )
        cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
        bodies = []
        for _ in range(per_client):
            page = session.get(path).text
            token = re.search(r'name="token"[^>]*value="([^"]+)"', page).group(1)
            fields = [("csrf_token", csrf_token_in(page)), ("token", token)]
            fields += [
                (name, value)
                for name, value in re.findall(r'name="(q-\d+)"[^>]*value="(\d+)"', page)
            ][:1]
            bodies.append(urllib.parse.urlencode(fields).encode())
        prepared.append((path, cookie, bodies))
    return prepared


def _post_all(port: int, forms) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(path, cookie, bodies):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        for body in bodies:
            began = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 302
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            with lock:
                latencies.append(time.perf_counter() - began)
                errors[0] += not ok

    threads = [threading.Thread(target=client, args=f) for f in forms]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "count": len(latencies) - errors[0],
        "errors": errors[0],
    }


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("http")
