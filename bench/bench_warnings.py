"""Early warning on the seeded database (default 100,000 learners), the whole city as admin.

Trains the recommender first when the database has no current model (as `path` does), so the
"predicted to fail" reason is part of the figure. Then, in a fresh process with the model file
already loaded (a warm web worker):
  * the whole city's list computed (`warning_list`): cold (first call) and p50 of 5
    (target < 2 s), with the time of its parts: the reading queries, the learners' results and the
    predictions;
  * the first page of `/reports/warnings` rendered through the Flask test client (p50 of 3);
  * the whole city's CSV;
  * one ward's list, as its HR officer sees it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from sqlalchemy import func, select

from academy import create_app
from academy.auth.models import Unit, User, UserRole
from academy.database import db
from academy.paths.store import current_model
from academy.reports import warnings as w
from bench.common import flask, flask_env, learners_for, run_measured, seeded_database

WORKER_FLAG = "--worker"


CPU = {}  # figure → median CPU seconds of the same calls (steadier than wall time on a shared box)


def _timed(fn, repeat: int = 1, name: str | None = None):
    times, cpu, value = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        value = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    if name:
        CPU[name] = statistics.median(cpu)
    return statistics.median(times), value


def _check(wanted, results, stale, scorer, predictions, people: int = 300) -> tuple[int, float]:
    """The bulk predictions of the first ``people`` people beside ``Scorer.predict``'s own."""
    checked, worst = 0, 0.0
    for user in [u for u in wanted if results.get(u)][:people]:
        expected = scorer.predict(user, results[user], wanted[user], fold_in=user in stale)
        for module, value in expected.items():
            worst = max(worst, abs(predictions[(user, int(module))] - value))
            checked += 1
    return checked, worst


def _worker() -> None:
    """Runs inside the measured process; prints one JSON line."""
    app = create_app()
    out = {}
    with app.app_context():
        scorer, _meta = current_model()
        out["model"] = type(scorer).__name__ if scorer is not None else None
        out["model_kind"] = getattr(scorer, "kind", None)
        cold, result = _timed(lambda: w.warning_list(None), name="cold")
        out["cold_s"] = cold
        out["warm_s"], result = _timed(lambda: w.warning_list(None), repeat=5, name="warm")
        out["entries"] = len(result.entries)
        out["overdue"] = result.count_overdue
        out["at_risk"] = result.count_at_risk
        kinds = defaultdict(int)
        for entry in result.entries:
            for reason in entry.reasons:
                kinds[reason.kind] += 1
        out["reasons"] = dict(kinds)
        out["read_s"], data = _timed(lambda: w._read(None), name="read")
        out["candidates"] = len(data["rows"])
        trained_at = _meta["trained_at"] if _meta else None
        out["results_s"], (results, stale) = _timed(
            lambda: w._results(data["candidates"], trained_at), name="results"
        )
        out["results_rows"] = sum(len(r) for r in results.values())
        out["stale_people"] = len(stale)
        wanted = defaultdict(set)
        for row in data["rows"]:
            done = data["passed"].get(row.id, set())
            wanted[row.user_id].update(
                m for m, _t, _l in data["modules"][row.course_id] if m not in done
            )
        if scorer is not None:
            out["predict_s"], predictions = _timed(
                lambda: w._predictions(wanted, results, stale, scorer), name="predict"
            )
            out["predictions"] = len(predictions)
            out["checked"], out["max_diff"] = _check(wanted, results, stale, scorer, predictions)
        admin = db.session.scalar(
            select(User).join(UserRole).where(UserRole.role == "admin").limit(1)
        )
        session_id = admin.get_id()
        ward = db.session.scalar(
            select(Unit)
            .join(User, User.unit_id == Unit.id, isouter=True)
            .where(Unit.kind == "ward")
            .group_by(Unit.id)
            .order_by(func.count(User.id).desc())
            .limit(1)
        )
        out["ward_s"], ward_result = _timed(lambda: w.warning_list(ward), repeat=3, name="ward")
        out["ward_entries"] = len(ward_result.entries)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.get_data()

    out["page_s"], body = _timed(lambda: get("/reports/warnings"), repeat=3, name="page")
    out["page_rows"] = body.count(b"data-enrollment=")
    out["csv_s"], csv_body = _timed(lambda: get("/reports/warnings.csv"), name="csv")
    out["cpu"] = CPU
    out["csv_rows"] = csv_body.count(b"\r\n") - 1
    print(json.dumps(out))


def _run_worker(instance) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_warnings", WORKER_FLAG],
        env=flask_env(instance),
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"warnings worker failed: {proc.stderr[-400:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _has_model(instance) -> bool:
    code = (
        "from academy import create_app\nfrom academy.paths.store import current_model\n"
        "app = create_app()\nwith app.app_context():\n"
        "    print('yes' if current_model()[0] is not None else 'no')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=flask_env(instance),
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return proc.stdout.strip().endswith("yes")


def run(args) -> list[dict]:
    learners = learners_for(args)
    seeded = seeded_database(learners, getattr(args, "extra_courses", 0))
    out = []
    note = f"N={learners:,} learners, SQLite; whole city as admin"

    def row(figure, value, unit, extra=""):
        return {
            "benchmark": "warnings",
            "figure": figure,
            "value": round(value, 3) if isinstance(value, float) else value,
            "unit": unit,
            "note": extra or note,
        }

    if not _has_model(seeded.instance):
        seconds, _peak, result = run_measured(flask("recommender", "train"), seeded.instance)
        if result.returncode != 0:
            raise RuntimeError(
                f"recommender train failed: {(result.stderr or result.stdout)[-300:]}"
            )
        out.append(row("recommender train (once, no model yet)", seconds, "s"))
    r = _run_worker(seeded.instance)
    cpu = r["cpu"]
    model = f"model {r['model_kind'] or 'none'}"
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(r["reasons"].items()))
    listed = (
        f"{r['entries']:,} entries ({r['overdue']:,} overdue, {r['at_risk']:,} at risk) of "
        f"{r['candidates']:,} open mandatory enrolments; reasons: {reasons}; {model}"
    )

    def timing(figure, seconds, key, extra):
        return row(figure, seconds, "s", f"CPU {cpu[key]:.2f} s; {extra}")

    out += [
        timing("whole city list, first call", r["cold_s"], "cold", f"{listed}; {note}"),
        timing("whole city list (p50 of 5)", r["warm_s"], "warm", f"target < 2 s; {note}"),
        timing("… reading queries", r["read_s"], "read", f"{r['candidates']:,} candidates"),
        timing(
            "… learners' quiz results",
            r["results_s"],
            "results",
            f"{r['results_rows']:,} results; {r['stale_people']:,} people newer than the model",
        ),
    ]
    if "predict_s" in r:
        out += [
            timing(
                "… predictions", r["predict_s"], "predict", f"{r['predictions']:,} (person, module)"
            ),
            row(
                "bulk vs Scorer.predict, largest difference",
                f"{r['max_diff']:.1e}",
                "",
                f"{r['checked']:,} predictions of 300 people compared",
            ),
        ]
    out += [
        timing(
            "first page rendered (p50 of 3)",
            r["page_s"],
            "page",
            f"{r['page_rows']} rows shown; the whole list computed per request; {note}",
        ),
        timing("whole city CSV", r["csv_s"], "csv", f"{r['csv_rows']:,} rows; {note}"),
        timing(
            "largest ward's list (p50 of 3)",
            r["ward_s"],
            "ward",
            f"{r['ward_entries']:,} entries; as that ward's HR sees it",
        ),
    ]
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        _worker()
    else:
        from bench.harness import main_single

        main_single("warnings")
