"""Training the recommender on 1,000,000 synthetic ratings (100,000 learners × 200 modules).

The training runs in a child process so its peak RSS is its own: generate the ratings, build the
Surprise trainset, fit the platform's SVD, export the served model file. `--quick` uses 100,000.
"""
from __future__ import annotations

import json
import sys
import time

from bench.common import fresh_instance, run_measured

FULL, QUICK = (100_000, 200, 1_000_000), (10_000, 200, 100_000)


def child(learners: int, modules: int, ratings: int, out_dir: str) -> None:
    """What the child process runs; prints one JSON line of timings."""
    import os

    from academy.paths.recommender import algorithm_params, build_dataset, export_scorer, make_algorithm
    from bench.data.make_ratings import generate

    users, items, scores = generate(learners, modules, ratings)
    rows = list(zip(users.tolist(), items.tolist(), (scores / 100.0).tolist()))
    del users, items, scores
    t0 = time.perf_counter()
    trainset = build_dataset(rows).build_full_trainset()
    t1 = time.perf_counter()
    params = algorithm_params("SVD")
    algo = make_algorithm("SVD", params).fit(trainset)
    t2 = time.perf_counter()
    path = os.path.join(out_dir, "model.npz")
    export_scorer("SVD", algo, params).save(path)
    t3 = time.perf_counter()
    print(json.dumps({"build": t1 - t0, "fit": t2 - t1, "export": t3 - t2, "ratings": len(rows),
                      "params": params, "file_mib": os.path.getsize(path) / 2**20}))


def run(args) -> list[dict]:
    learners, modules, ratings = QUICK if getattr(args, "quick", False) else FULL
    instance = fresh_instance("recommender")
    code = f"from bench.bench_recommender import child; child({learners}, {modules}, {ratings}, {str(instance)!r})"
    seconds, peak, result = run_measured([sys.executable, "-c", code], instance)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-300:])
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    p = figures["params"]
    note = f"{figures['ratings']:,} ratings, {learners:,} learners × {modules} modules"
    algo = f"SVD n_factors={p['n_factors']} n_epochs={p['n_epochs']}"
    row = lambda figure, value, unit, extra=note: {  # noqa: E731
        "benchmark": "recommender", "figure": figure, "value": value, "unit": unit, "note": extra}
    train = figures["build"] + figures["fit"] + figures["export"]
    return [row("SVD fit", figures["fit"], "s", f"{algo}; {note}"),
            row("train (trainset + fit + export)", train, "s", "target < 60 s"),
            row("peak RSS of the training process", peak, "MiB", "incl. generating the data; target < 2048 MiB"),
            row("model file", figures["file_mib"], "MiB", "served .npz"),
            row("child wall time", seconds, "s", "incl. generating the synthetic ratings")]


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("recommender")
