"""Model selection and training on 1,000,000 synthetic ratings (100,000 learners × 200 modules).

Runs in a child process so its peak RSS is its own: generate the ratings, choose the model by
cross-validation (`select_model`, as `flask recommender train` does), build the Surprise trainset,
fit the chosen model, export the served model file, then time predictions for single learners as
a web worker makes them. `--quick` uses 100,000 ratings.
"""

from __future__ import annotations

import json
import os
import sys
import time

from bench.common import fresh_instance, run_measured

FULL, QUICK = (100_000, 200, 1_000_000), (10_000, 200, 100_000)


def child(learners: int, modules: int, ratings: int, out_dir: str) -> None:
    """What the child process runs; prints one JSON line of timings."""
    # Loaded here, in the measured child only: the harness that imports this module for run()
    # stays free of NumPy, SciPy and Surprise (seconds to import, ~100 MiB).
    import numpy as np  # noqa: PLC0415 - see above

    from academy.paths.recommender import (  # noqa: PLC0415 - see above
        build_dataset,
        export_scorer,
        make_algorithm,
    )
    from academy.paths.scorer import Scorer  # noqa: PLC0415 - see above
    from academy.paths.selection import select_model  # noqa: PLC0415 - see above
    from bench.data.make_ratings import generate  # noqa: PLC0415 - see above

    users, items, scores = generate(learners, modules, ratings)
    rows = list(zip(users.tolist(), items.tolist(), (scores / 100.0).tolist(), strict=True))
    del users, items, scores
    t0 = time.perf_counter()
    selection = select_model(rows)
    t1 = time.perf_counter()
    trainset = build_dataset(rows).build_full_trainset()
    algo = make_algorithm(selection.algorithm, selection.params).fit(trainset)
    path = os.path.join(out_dir, "model.npz")
    export_scorer(selection.algorithm, algo, selection.params).save(path)
    t2 = time.perf_counter()
    scorer, by_user = Scorer.load(path), {}
    for u, i, r in rows[:200_000]:
        by_user.setdefault(u, {})[i] = r
    sample = list(by_user.items())[:300]
    timings = []
    for fold_in in (False, True):
        for user, results in sample:
            started = time.perf_counter()
            scorer.predict(user, results, range(modules), fold_in=fold_in)
            timings.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "select": t1 - t0,
                "train": t2 - t1,
                "ratings": len(rows),
                "chosen": selection.label,
                "file_mib": os.path.getsize(path) / 2**20,
                "predict_p95_ms": float(np.percentile(timings, 95) * 1000),
            }
        )
    )


def run(args) -> list[dict]:
    learners, modules, ratings = QUICK if getattr(args, "quick", False) else FULL
    instance = fresh_instance("recommender")
    code = (
        "from bench.bench_recommender import child; "
        f"child({learners}, {modules}, {ratings}, {str(instance)!r})"
    )
    seconds, peak, result = run_measured([sys.executable, "-c", code], instance)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-300:])
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    note = f"{figures['ratings']:,} ratings, {learners:,} learners × {modules} modules"
    row = lambda figure, value, unit, extra=note: {  # noqa: E731
        "benchmark": "recommender",
        "figure": figure,
        "value": value,
        "unit": unit,
        "note": extra,
    }
    return [
        row(
            "model selection (nested CV)",
            figures["select"],
            "s",
            f"chose {figures['chosen']}; target < 600 s",
        ),
        row("train chosen model (trainset + fit + export)", figures["train"], "s", "target < 60 s"),
        row("peak RSS of the process", peak, "MiB", "incl. generating the data; target < 2048 MiB"),
        row("model file", figures["file_mib"], "MiB", "served .npz"),
        row(
            "one learner's predictions p95",
            figures["predict_p95_ms"],
            "ms",
            "all modules, stored and folded in",
        ),
        row("child wall time", seconds, "s", "incl. generating the synthetic ratings"),
    ]


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("recommender")
