"""Pages under gunicorn (sync workers, 2 × cores + 1) with 32 concurrent keep-alive clients: the
catalogue, a lesson page and the learning path, each beside ``/bench/ping`` (a minimal Flask route
in the same app, same server, same run) — requests/s, p50, p95 and the share of the minimal route —
on SQLite, then on PostgreSQL, where quiz submissions per second follow (graded attempts counted in
the database afterwards: none lost, none twice). The table is also written into the README, between
its ``bench-http`` markers.

The load generator is Python threads with http.client on the same machine: on a 2-core box it
takes CPU from the server, so absolute figures are lower bounds; the share is the figure that
matters.
"""

from __future__ import annotations

import http.client
import os
import re
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg
from flask import before_render_template, template_rendered
from sqlalchemy import create_engine, event, text

from academy import create_app
from academy.extensions import db
from bench.common import REPO, flask, learners_for, run_measured, seeded_database
from tests.live_server import (
    DEMO_PASSWORD,
    HttpSession,
    LiveServer,
    csrf_token_in,
    fresh_postgres_database,
    live_env,
    prepare_database,
    run_steps,
)

CLIENTS = 32
CORES = os.cpu_count() or 2
WORKERS = 2 * CORES + 1
PAGES = (
    ("catalogue", "/courses"),
    ("lesson", None),  # the first lesson of the first published course
    ("learning path", "/me/path"),
)
README_START, README_END = "<!-- bench-http:start -->", "<!-- bench-http:end -->"


def run(args) -> list[dict]:
    quick = getattr(args, "quick", False)
    seconds = 3.0 if quick else 10.0
    learners = learners_for(args)
    rows: list[dict] = []
    table: list[tuple] = []
    sqlite_db = seeded_database(learners, getattr(args, "extra_courses", 0))
    _ensure_trained(sqlite_db.instance, {})
    env = live_env(sqlite_db.instance, sqlite_db.uri, RATELIMIT_ENABLED=False)
    env["ACADEMY_INSTANCE_PATH"] = str(sqlite_db.instance)
    rows += _pages("SQLite", env, sqlite_db.uri, sqlite_db.instance, seconds, learners, table)
    postgres = _postgres_database(learners)
    if isinstance(postgres, str):
        rows.append(_skipped("PostgreSQL", postgres))
    else:
        url, env = postgres
        rows += _pages(
            "PostgreSQL", env, url, Path(env["ACADEMY_INSTANCE_PATH"]), seconds, learners, table
        )
    _write_readme(table, learners)
    return rows


def _pages(label, env, url, log_dir, seconds, learners, table) -> list[dict]:
    lesson, emails = _targets(url)
    run_steps(env, [["static", "build"]])  # as a deployment (make run) does
    profile = profile_pages(url, Path(env["ACADEMY_INSTANCE_PATH"]), lesson, emails[0])
    table.append((label, "profile", profile, None))
    rows = _profile_rows(label, profile)
    with LiveServer(env, workers=WORKERS, app="bench.wsgi_bench:app", log_dir=log_dir) as server:
        cookies = _sign_in(server.base_url, emails)
        note = f"gunicorn sync w={WORKERS}; {CLIENTS} clients; {learners:,} learners"
        ping = measure(server.port, "/bench/ping", cookies, seconds)
        rows.append(_row(f"{label}: minimal route /bench/ping", ping, None, note))
        table.append((label, "minimal route", ping, None))
        for name, path in PAGES:
            result = measure(server.port, path or lesson, cookies, seconds)
            rows.append(_row(f"{label}: {name} {path or ''}".rstrip(), result, ping, note))
            table.append((label, name, result, ping))
        if label == "PostgreSQL":
            row, result = quiz_submissions(server, url, seconds)
            rows.append(row)
            table.append((label, "quiz submit", result, None))
    return rows


PROFILE_REQUESTS = 200


def profile_pages(database_url: str, instance: Path, lesson: str, email: str) -> list[dict]:
    """Where each page spends its time, in one process (Flask's test client, no server): per
    request, the SQL statements and their time, template rendering, and the rest of Python."""
    os.environ["ACADEMY_INSTANCE_PATH"] = str(instance)
    app = create_app(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": database_url.replace(
                "postgresql://", "postgresql+psycopg://"
            ),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.add_url_rule("/bench/ping", "bench_ping", lambda: "pong")  # as bench/wsgi_bench.py
    client = app.test_client()
    client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    clock = {"sql": 0.0, "statements": 0, "template": 0.0, "_sql_at": 0.0, "_tpl_at": 0.0}
    with app.app_context():
        engine = db.engine

    def sql_start(*_args):
        clock["_sql_at"] = time.perf_counter()

    def sql_end(*_args):
        clock["sql"] += time.perf_counter() - clock["_sql_at"]
        clock["statements"] += 1

    def template_start(*_args, **_kw):
        clock["_tpl_at"] = time.perf_counter()

    def template_end(*_args, **_kw):
        clock["template"] += time.perf_counter() - clock["_tpl_at"]

    event.listen(engine, "before_cursor_execute", sql_start)
    event.listen(engine, "after_cursor_execute", sql_end)
    before_render_template.connect(template_start, app)
    template_rendered.connect(template_end, app)
    rows = []
    try:
        for name, path in (("minimal route", "/bench/ping"), *PAGES):
            rows.append(_profile_one(client, clock, name, path or lesson))
    finally:
        event.remove(engine, "before_cursor_execute", sql_start)
        event.remove(engine, "after_cursor_execute", sql_end)
    return rows


def _profile_one(client, clock: dict, name: str, path: str) -> dict:
    for _ in range(20):  # warm: caches filled, statements compiled
        client.get(path)
    clock.update(sql=0.0, statements=0, template=0.0)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(PROFILE_REQUESTS):
        client.get(path)
    wall = (time.perf_counter() - started) / PROFILE_REQUESTS * 1000
    cpu = (time.process_time() - cpu) / PROFILE_REQUESTS * 1000
    sql = clock["sql"] / PROFILE_REQUESTS * 1000
    template = clock["template"] / PROFILE_REQUESTS * 1000
    return {
        "name": name,
        "wall_ms": wall,
        "cpu_ms": cpu,
        "statements": clock["statements"] / PROFILE_REQUESTS,
        "sql_ms": sql,
        "template_ms": template,
        "python_ms": max(wall - sql - template, 0.0),
    }


def _profile_rows(label: str, profile: list[dict]) -> list[dict]:
    return [
        {
            "benchmark": "http",
            "figure": f"{label}: where {p['name']} spends its time (one process)",
            "value": round(p["wall_ms"], 2),
            "unit": "ms/request",
            "note": f"{p['statements']:.0f} SQL statements {p['sql_ms']:.2f} ms; template "
            f"{p['template_ms']:.2f} ms; other Python {p['python_ms']:.2f} ms; "
            f"CPU {p['cpu_ms']:.2f} ms",
        }
        for p in profile
    ]


def _postgres_database(learners: int):
    """A PostgreSQL database seeded like the SQLite one (kept between runs of the same size)."""
    base = (
        os.environ.get("ACADEMY_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    name = f"academy_bench_http_{learners}"
    directory = Path(REPO / "bench" / "out" / f"http-pg-{learners}")
    directory.mkdir(parents=True, exist_ok=True)
    server = base.rpartition("/")[0]
    url = f"{server}/{name}"
    # retraining off: with Redis it runs on the RQ worker, not inside the web workers measured here
    env = live_env(
        directory, url, RATELIMIT_ENABLED=False, QUIZ_MAX_ATTEMPTS=0, RECOMMENDER_RETRAIN_EVERY=0
    )
    try:
        if not _seeded(url, learners):
            url = fresh_postgres_database(base, name)
            prepare_database(env, demo_learners=learners)
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so in the table
        return f"{type(exc).__name__}: {str(exc)[:80]}"
    _ensure_trained(Path(env["ACADEMY_INSTANCE_PATH"]), env)
    return url, env


def _seeded(url: str, learners: int) -> bool:
    try:
        with psycopg.connect(url) as con:
            count = con.execute(
                "SELECT count(*) FROM user_roles WHERE role = 'learner'"
            ).fetchone()[0]
    except psycopg.Error:
        return False
    return count >= learners


def _skipped(label: str, why: str) -> dict:
    return {
        "benchmark": "http",
        "figure": f"{label}: pages and quiz submissions",
        "value": "",
        "unit": "",
        "note": f"skipped: {why}",
    }


def _ensure_trained(instance: Path, env: dict) -> None:
    """Serve as a deployment does: with a trained recommender (make run trains one)."""
    if list((instance / "models").glob("*.npz")):
        return
    if env:  # PostgreSQL: through the live environment
        run_steps(env, [["recommender", "train"]], timeout=3600)
    else:
        run_measured(flask("recommender", "train"), instance)


def _row(figure: str, result: dict, baseline: dict | None, note: str) -> dict:
    share = (
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
        "note": f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms{share}{errors}; "
        + note,
    }


def _targets(url: str) -> tuple[str, list[str]]:
    """The first lesson of the first published course and up to 32 learners enrolled in it."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as con:
        course_id, course, module, lesson = con.execute(
            text(
                "SELECT c.id, c.slug, m.slug, l.slug FROM courses c JOIN modules m ON m.course_id"
                " = c.id JOIN lessons l ON l.module_id = m.id WHERE c.status = 'published' ORDER"
                " BY c.id, m.position, l.position LIMIT 1"
            )
        ).one()
        emails = list(
            con.execute(
                text(
                    "SELECT u.email FROM users u JOIN enrollments e ON e.user_id = u.id JOIN"
                    " user_roles r ON r.user_id = u.id AND r.role = 'learner' WHERE e.course_id ="
                    " :course ORDER BY u.id LIMIT :n"
                ),
                {"course": course_id, "n": CLIENTS},
            ).scalars()
        )
    engine.dispose()
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
    """Quiz submissions alone, on a small fresh PostgreSQL database (a quick check while working
    on the submit path; ``run`` measures them on the seeded database beside the pages)."""
    base = (
        os.environ.get("ACADEMY_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        url = fresh_postgres_database(base, "academy_bench_http")
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: say so in the table
        return [_skipped("PostgreSQL", f"{type(exc).__name__}: {str(exc)[:80]}")]
    directory = Path(REPO / "bench" / "out" / "http-pg")
    directory.mkdir(parents=True, exist_ok=True)
    env = live_env(
        directory, url, RATELIMIT_ENABLED=False, QUIZ_MAX_ATTEMPTS=0, RECOMMENDER_RETRAIN_EVERY=0
    )
    prepare_database(env, demo_learners=CLIENTS)
    with LiveServer(env, workers=WORKERS, log_dir=directory) as server:
        return [quiz_submissions(server, url, seconds)[0]]


def quiz_submissions(server, url: str, seconds: float) -> tuple[dict, dict]:
    """32 clients post freshly opened quiz forms flat out; then the database is asked how many
    graded attempts it holds: as many as accepted posts (none lost), each token once."""
    forms = _quiz_forms(server.base_url, url, per_client=max(20, int(seconds * 6)))
    before = _attempts(url)
    result = _post_all(server.port, forms)
    stored, tokens = (after - was for after, was in zip(_attempts(url), before, strict=True))
    lost = result["count"] - stored
    duplicated = stored - tokens
    row = {
        "benchmark": "http",
        "figure": "PostgreSQL: quiz submit",
        "value": result["rps"],
        "unit": "submits/s",
        "note": f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms; "
        f"{result['count']} accepted, {stored} graded attempts stored ({lost} lost, "
        f"{duplicated} duplicated), {result['errors']} errors; gunicorn sync w={WORKERS}; "
        f"{CLIENTS} clients",
    }
    result.update(stored=stored, lost=lost, duplicated=duplicated)
    return row, result


def _attempts(url: str) -> tuple[int, int]:
    """Graded attempts, and distinct tokens among them."""
    with psycopg.connect(url) as con:
        return con.execute(
            "SELECT count(*), count(DISTINCT token) FROM quiz_attempts"
            " WHERE submitted_at IS NOT NULL"
        ).fetchone()


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
            answers: dict[str, str] = {}  # the first choice of every question: all answered
            for name, value in re.findall(r'name="(q-\d+)"[^>]*value="(\d+)"', page):
                answers.setdefault(name, value)
            fields += list(answers.items())
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
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "count": len(latencies) - errors[0],
        "errors": errors[0],
    }


def _write_readme(table: list[tuple], learners: int) -> None:
    """The same figures as a Markdown table, between the README's ``bench-http`` markers."""
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return
    load = os.getloadavg()
    lines = [
        README_START,
        "",
        f"`python -m bench http` — {learners:,} learners; gunicorn {WORKERS} sync workers, "
        f"{CLIENTS} keep-alive clients on the same {CORES}-core machine (load "
        f"{load[0]:.1f} at the end); {time.strftime('%Y-%m-%d')}.",
        "",
        "| database | page | req/s | p50 | p95 | share of the minimal route |",
        "|---|---|---:|---:|---:|---:|",
    ]
    profiles = [(label, result) for label, name, result, _ in table if name == "profile"]
    table = [row for row in table if row[1] != "profile"]
    for label, name, result, ping in table:
        share = f"{result['rps'] / ping['rps']:.0%}" if ping and ping["rps"] else "—"
        if name == "quiz submit":
            share = f"{result['stored']} stored, {result['lost']} lost, {result['errors']} errors"
        lines.append(
            f"| {label} | {name} | {result['rps']:,.0f} | {result['p50_ms']:.0f} ms "
            f"| {result['p95_ms']:.0f} ms | {share} |"
        )
    lines += [
        "",
        "Where each page spends its time, in one process (Flask's test client, no server; "
        "per request):",
        "",
        "| database | page | total | SQL statements | SQL time | template | other Python |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, profile in profiles:
        lines += [
            f"| {label} | {p['name']} | {p['wall_ms']:.2f} ms | {p['statements']:.0f} "
            f"| {p['sql_ms']:.2f} ms | {p['template_ms']:.2f} ms | {p['python_ms']:.2f} ms |"
            for p in profile
        ]
    lines += ["", README_END]
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    readme.write_text(text[:start] + "\n".join(lines) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("http")
