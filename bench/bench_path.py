"""A learner's path with the model loaded: p50/p95/max over many learners of the seeded database.

Trains with `flask recommender train` on the seeded data first (timed), then builds the path in
process for a sample of learners, the catalogue and model already cached as in a warm web worker.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from academy import create_app
from academy.auth.models import User
from academy.database import db
from academy.paths.services import build_path
from academy.paths.store import current_model
from bench.common import flask, learners_for, run_measured, seeded_database

SAMPLE = 300


def run(args) -> list[dict]:
    learners = learners_for(args)
    db_info = seeded_database(learners, getattr(args, "extra_courses", 0))
    train_s, train_peak, result = run_measured(flask("recommender", "train"), db_info.instance)
    if result.returncode != 0:
        raise RuntimeError(f"recommender train failed: {(result.stderr or result.stdout)[-300:]}")
    timings, items = _time_paths(db_info.instance)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    note = f"N={learners:,}; {len(timings)} learners sampled; model loaded and cached"
    row = lambda figure, value, unit, extra=note: {  # noqa: E731
        "benchmark": "path",
        "figure": figure,
        "value": value,
        "unit": unit,
        "note": extra,
    }
    return [
        row("recommender train (CLI)", train_s, "s", result.stdout.strip().splitlines()[-1][:150]),
        row("recommender train peak RSS", train_peak, "MiB", "flask recommender train"),
        row("path p50", statistics.median(timings) * 1000, "ms"),
        row("path p95", p95 * 1000, "ms", "target < 20 ms"),
        row("path max", timings[-1] * 1000, "ms"),
        row("items per path (mean)", statistics.mean(items), "items"),
    ]


def _time_paths(instance) -> tuple[list[float], list[int]]:
    os.environ.update(ACADEMY_ENV_NAME="development", ACADEMY_INSTANCE_PATH=str(instance))
    os.environ.pop("ACADEMY_DATABASE_URL", None)

    app = create_app()
    with app.test_request_context("/me/path"):
        assert current_model()[0] is not None, "no model loaded"
        ids = db.session.scalars(db.select(User.id)).all()
        sample = random.Random(1).sample(ids, min(SAMPLE, len(ids)))
        build_path(db.session.get(User, sample[0]))  # warm the catalogue cache
        timings, items = [], []
        for user_id in sample:
            user = db.session.get(User, user_id)
            started = time.perf_counter()
            path = build_path(user)
            timings.append(time.perf_counter() - started)
            items.append(len(path.items))
            db.session.expire_all()
    return timings, items


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("path")
