"""The compliance matrix on the seeded database (default 100,000 learners and the seed's mandates).

Twice: with the seed's own mandates (about 40% of the wards and six agencies, one course each),
then on a copy where every course is mandatory for the whole city (every learner × every course).
Each time in a fresh process, through the Flask test client as a signed-in admin:
  * the whole city (its agencies and wards as rows): compute alone (``build_matrix``), then the
    page (compute + render), p50 of 5 after one warm-up, and the number of SQL statements per page
    (target < 1 s)
  * one ward (its cells as rows) and one party cell (its people, first page), the biggest of each
  * the whole city's XLSX
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from academy import create_app
from academy.auth.models import Unit, User, UserRole
from academy.extensions import db
from academy.reports.matrix import build_matrix, focus_unit
from bench.common import flask_env, fresh_instance, learners_for, seeded_database

WORKER_FLAG = "--worker"
RUNS = 5


def _biggest(kind: str) -> Unit:
    """The unit of ``kind`` with the most people of its own."""
    counts = (
        select(Unit.id, func.count(User.id).label("n"))
        .join(User, User.unit_id == Unit.id)
        .where(Unit.kind == kind)
        .group_by(Unit.id)
        .order_by(func.count(User.id).desc())
        .limit(1)
    )
    unit_id = db.session.execute(counts).first()[0]
    return db.session.get(Unit, unit_id)


def _timed(call, runs: int = RUNS) -> tuple[float, float, float]:
    """(first call, p50 of ``runs`` further calls, p50 of their CPU time), in milliseconds. SQLite
    runs in this process, so the CPU time includes the queries: the steadier figure on a shared
    machine, where the wall time also holds the waits for a core."""
    started = time.perf_counter()
    call()
    first = (time.perf_counter() - started) * 1000
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    wall.sort()
    cpu.sort()
    return first, wall[len(wall) // 2], cpu[len(cpu) // 2]


def _get(client, url: str):
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def _worker() -> None:
    app = create_app()
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(1))
        admin = db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == "admin").limit(1)
        )
        session_id = admin.get_id()
        city = focus_unit(None, None)
        ward, cell = _biggest("ward"), _biggest("cell")
        units = {"city": city.id, "ward": ward.id, "cell": cell.id}
        compute = _timed(lambda: build_matrix(None, city))
        matrix = build_matrix(None, city)
        shape = {"rows": len(matrix.rows), "courses": len(matrix.courses)}
        shape["enrolments"] = sum(c.enrolled for c in matrix.total.cells.values())
        shape["people"] = matrix.total.people
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    result = {"compute_p50_ms": compute[1], "compute_cpu_ms": compute[2], **shape}
    for name, unit_id in units.items():
        first, p50, cpu = _timed(_get(client, f"/reports/matrix?unit={unit_id}"))
        before = len(statements)
        _get(client, f"/reports/matrix?unit={unit_id}")()
        result[f"{name}_first_ms"], result[f"{name}_p50_ms"] = first, p50
        result[f"{name}_cpu_ms"], result[f"{name}_queries"] = cpu, len(statements) - before
    _first, p50, cpu = _timed(_get(client, f"/reports/matrix.xlsx?unit={units['city']}"), runs=3)
    result.update(xlsx_p50_ms=p50, xlsx_cpu_ms=cpu)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _run_worker(instance) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_matrix", WORKER_FLAG],
        env=flask_env(instance),
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"matrix worker failed: {proc.stderr[-300:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how UTCDateTime stores a time in SQLite


def _mandate_every_course(source: Path) -> Path:
    """A copy of the seeded database in which every published course is mandatory for the whole
    city (the first one overdue by a month, the others due in a month): each learner's existing
    enrolment is bound to the mandate, the others enrolled. Written set-based, straight in SQL."""
    instance = fresh_instance("matrix")
    target = instance / "academy.sqlite3"
    with sqlite3.connect(source / "academy.sqlite3") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    now = datetime.now(UTC)
    with sqlite3.connect(target) as con:
        city = con.execute("SELECT id FROM units WHERE parent_id IS NULL ORDER BY id").fetchone()[0]
        courses = [r[0] for r in con.execute("SELECT id FROM courses WHERE status = 'published'")]
        for n, course in enumerate(sorted(courses)):
            due = _stamp(now + timedelta(days=-30 if n == 0 else 30))
            made = con.execute(
                "INSERT OR IGNORE INTO assignments (course_id, unit_id, due_at, created_at) "
                "VALUES (?, ?, ?, ?)",
                (course, city, due, _stamp(now - timedelta(days=60))),
            )
            if not made.rowcount:
                continue
            mandate = made.lastrowid
            con.execute(
                "UPDATE enrollments SET assignment_id = ?, source = 'assigned', "
                "due_at = CASE WHEN completed_at IS NULL THEN ? ELSE due_at END "
                "WHERE course_id = ? AND assignment_id IS NULL",
                (mandate, due, course),
            )
            con.execute(
                "INSERT INTO enrollments (user_id, course_id, source, assignment_id, enrolled_at, "
                "due_at) SELECT u.id, ?, 'assigned', ?, ?, ? FROM users u "
                "WHERE u.is_active = 1 AND u.unit_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM enrollments e WHERE e.user_id = u.id AND e.course_id = ?)",
                (course, mandate, _stamp(now - timedelta(days=60)), due, course),
            )
    return instance


def _rows(r: dict, scenario: str, learners: int) -> list[dict]:
    note = (
        f"N={learners:,} learners, SQLite, as admin; {scenario}: {r['rows']} unit rows × "
        f"{r['courses']} mandatory courses, {r['enrolments']:,} counted enrolments"
    )

    def row(figure, value, unit, extra=""):
        return {
            "benchmark": "matrix",
            "figure": f"{figure} [{scenario}]",
            "value": round(value, 3),
            "unit": unit,
            "note": extra or note,
        }

    target = "target < 1 s; " + note
    return [
        row("whole city, compute (p50 of 5)", r["compute_p50_ms"], "ms"),
        row("whole city, compute, CPU (p50 of 5)", r["compute_cpu_ms"], "ms"),
        row("whole city, page (p50 of 5)", r["city_p50_ms"], "ms", target),
        row("whole city, page, CPU (p50 of 5)", r["city_cpu_ms"], "ms", target),
        row("whole city, page, first request", r["city_first_ms"], "ms"),
        row("whole city, SQL statements per page", r["city_queries"], "", "fixed, any size"),
        row("biggest ward, page (p50 of 5)", r["ward_p50_ms"], "ms", "its cells as rows"),
        row("biggest ward, SQL statements per page", r["ward_queries"], "", "fixed, any size"),
        row("biggest cell, page (p50 of 5)", r["cell_p50_ms"], "ms", "its people, first page"),
        row("biggest cell, SQL statements per page", r["cell_queries"], "", "fixed, any size"),
        row("whole city, XLSX (p50 of 3)", r["xlsx_p50_ms"], "ms"),
        row("whole city, XLSX, CPU (p50 of 3)", r["xlsx_cpu_ms"], "ms"),
        row("worker peak RSS", r["peak_rss_mib"], "MiB"),
    ]


def run(args) -> list[dict]:
    learners = learners_for(args)
    seeded = seeded_database(learners, getattr(args, "extra_courses", 0))
    out = _rows(_run_worker(seeded.instance), "seed's mandates", learners)
    copy = _mandate_every_course(seeded.instance)
    try:
        out += _rows(_run_worker(copy), "every course city-wide", learners)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        _worker()
    else:
        from bench.harness import main_single

        main_single("matrix")
