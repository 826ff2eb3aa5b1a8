"""Completion report and dashboard on the seeded database (default 100,000 learners).

Each measurement runs in a fresh process (so peak RSS is that of the report alone) through the
Flask test client as a signed-in admin: the whole city, every row.
  * CSV: time to the first byte, time to the last byte, rows, peak RSS
    (targets < 1 s, < 30 s, < 300 MB)
  * XLSX via `flask reports completion --format xlsx`: wall time and peak RSS
  * dashboard JSON for the whole city: fresh aggregation (target < 500 ms), then polls answered from
    the latest snapshot, current or out of date (stale-while-revalidate)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

from sqlalchemy import select

from academy import create_app
from academy.auth.models import User, UserRole
from academy.extensions import db
from bench.common import flask, flask_env, learners_for, run_measured, seeded_database

WORKER_FLAG = "--worker"


def _worker(kind: str) -> None:
    """Runs inside the measured process; prints one JSON line."""
    app = create_app()
    with app.app_context():
        admin = db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == "admin").limit(1)
        )
        session_id = admin.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    result = _measure_csv(client) if kind == "csv" else _measure_dashboard(client)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _measure_csv(client) -> dict:
    started = time.perf_counter()
    response = client.get("/reports/completion.csv", buffered=False)
    chunks = iter(response.response)
    first = next(chunks)
    first_byte = time.perf_counter() - started
    size, lines = len(first), first.count(b"\n")
    first_rows = None
    for chunk in chunks:
        if first_rows is None:
            first_rows = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    total = time.perf_counter() - started
    response.close()
    return {
        "status": response.status_code,
        "first_byte_s": first_byte,
        "first_rows_s": first_rows or total,
        "total_s": total,
        "rows": lines - 1,
        "bytes": size,
    }


def _timed_get(client, url) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return (time.perf_counter() - started) * 1000, response.get_json()


def _measure_dashboard(client) -> dict:
    """Fresh aggregation (median of 3); then polls served from the latest snapshot, first while it
    is current, then while it is out of date (each such poll starts a background refresh if none
    runs)."""
    app = client.application
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    uncached = sorted(_timed_get(client, "/dashboard/data.json")[0] for _ in range(3))
    app.config["DASHBOARD_CACHE_SECONDS"] = 15
    _timed_get(client, "/dashboard/data.json")
    warm = sorted(_timed_get(client, "/dashboard/data.json")[0] for _ in range(7))
    app.config["DASHBOARD_CACHE_SECONDS"] = 1e-9
    due = []
    for _ in range(7):
        due.append(_timed_get(client, "/dashboard/data.json")[0])
        time.sleep(0.1)  # pollers arrive over time, some of them while a refresh runs
    app.extensions["reports.dashboard"].wait()
    _ms, data = _timed_get(client, "/dashboard/data.json")
    app.extensions["reports.dashboard"].wait()
    due.sort()
    return {
        "p50_ms": warm[len(warm) // 2],
        "max_ms": uncached[-1],
        "uncached_p50_ms": uncached[1],
        "due_p50_ms": due[len(due) // 2],
        "due_max_ms": due[-1],
        "units": len(data["units"]),
        "enrolled": data["kpis"]["enrolled"],
    }


def _run_worker(kind: str, instance) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_reports", WORKER_FLAG, kind],
        env=flask_env(instance),
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed: {proc.stderr[-300:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def run(args) -> list[dict]:
    learners = learners_for(args)
    seeded = seeded_database(learners, getattr(args, "extra_courses", 0))
    note = f"N={learners:,} learners, SQLite; whole city as admin"

    def row(figure, value, unit, extra=""):
        return {
            "benchmark": "reports",
            "figure": figure,
            "value": round(value, 3),
            "unit": unit,
            "note": extra or note,
        }

    csv_result, _wall = _run_worker("csv", seeded.instance)
    rows_note = f"{csv_result['rows']:,} rows, {csv_result['bytes'] / 2**20:.1f} MiB; {note}"
    out = [
        row("CSV first byte", csv_result["first_byte_s"], "s", "target < 1 s; " + rows_note),
        row(
            "CSV first data rows",
            csv_result["first_rows_s"],
            "s",
            "header+BOM go out first; rows follow once the first group of units is read; "
            + rows_note,
        ),
        row("CSV full download", csv_result["total_s"], "s", "target < 30 s; " + rows_note),
        row("CSV rows per second", csv_result["rows"] / csv_result["total_s"], "rows/s", rows_note),
        row(
            "CSV process peak RSS",
            csv_result["peak_rss_mib"],
            "MiB",
            "target < 300 MB; " + rows_note,
        ),
    ]
    dash, _wall = _run_worker("dashboard", seeded.instance)
    dash_note = f"{dash['units']} unit rows, {dash['enrolled']:,} enrolments; {note}"
    out += [
        row(
            "dashboard data, fresh aggregation (p50 of 3)",
            dash["uncached_p50_ms"],
            "ms",
            "target < 500 ms; " + dash_note,
        ),
        row(
            "dashboard data, latest snapshot (p50 of 7)",
            dash["p50_ms"],
            "ms",
            "what pollers get; " + dash_note,
        ),
        row(
            "dashboard data, snapshot out of date (p50 of 7)",
            dash["due_p50_ms"],
            "ms",
            "answered from the last snapshot while one refresh runs behind; " + dash_note,
        ),
        row("dashboard data, snapshot out of date (max of 7)", dash["due_max_ms"], "ms", dash_note),
    ]
    target = seeded.instance / "report.xlsx"
    seconds, peak, result = run_measured(
        flask("reports", "completion", "--format", "xlsx", "--out", str(target)), seeded.instance
    )
    if result.returncode != 0:
        raise RuntimeError(f"xlsx export failed: {(result.stderr or result.stdout)[-300:]}")
    size = target.stat().st_size / 2**20
    out += [
        row("XLSX (CLI) wall time", seconds, "s", f"{size:.1f} MiB file; {note}"),
        row("XLSX (CLI) peak RSS", peak, "MiB", f"write-only workbook; {note}"),
    ]
    return out


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == WORKER_FLAG:
        _worker(sys.argv[2])
    else:
        from bench.harness import main_single

        main_single("reports")
