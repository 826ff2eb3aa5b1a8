"""Judge the recommender on any ``user,item,score`` file by k-fold cross-validation.

Every algorithm sees the same folds. For each: RMSE and MAE (on the 0..1 scale after rescaling),
mean fit and predict time per fold, and AUC: for each learner, the chance that a module they
passed is predicted higher than one they failed, averaged over learners who have both.
"""
from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass

import numpy as np
from surprise import AlgoBase, accuracy
from surprise.model_selection import GridSearchCV, KFold

from academy.paths.recommender import ALGORITHMS, TUNE_GRIDS, algorithm_params, build_dataset, make_algorithm


SURPRISE_SVD = "SVD (mặc định Surprise)"
GLOBAL_MEAN = "Trung bình chung"


class RatingsFileError(ValueError):
    """A malformed ratings file; the message names the line."""


class GlobalMean(AlgoBase):
    """The simplest guess: every learner scores the mean on every module."""

    def fit(self, trainset):
        AlgoBase.fit(self, trainset)
        self.mean = trainset.global_mean
        return self

    def estimate(self, u, i):
        return self.mean


@dataclass
class Row:
    name: str
    rmse: float
    mae: float
    fit_seconds: float
    predict_seconds: float
    auc: float | None


def read_ratings_csv(path: str) -> tuple[list[tuple[str, str, float]], tuple[float, float]]:
    """(user, item, score rescaled to 0..1) rows and the original score range.

    The first line is a header when its score field is not a number. A repeated (user, item)
    keeps its best score, as the platform's signal does.
    """
    raw: dict[tuple[str, str], float] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for line_no, fields in enumerate(csv.reader(handle), start=1):
            parsed = _parse_row(fields, line_no)
            if parsed is None:
                continue
            user, item, score = parsed
            raw[(user, item)] = max(score, raw.get((user, item), -math.inf))
    if not raw:
        raise RatingsFileError("tệp không có dòng điểm nào")
    low, high = min(raw.values()), max(raw.values())
    span = (high - low) or 1.0
    return [(u, i, (s - low) / span) for (u, i), s in raw.items()], (low, high)


def _parse_row(fields: list[str], line_no: int):
    if not fields or all(not f.strip() for f in fields):
        return None  # a blank line
    if len(fields) != 3:
        raise RatingsFileError(f"dòng {line_no}: cần 3 cột user,item,score, có {len(fields)}")
    user, item, raw_score = (f.strip() for f in fields)
    try:
        score = float(raw_score)
    except ValueError:
        if line_no == 1:
            return None  # the header row
        raise RatingsFileError(f"dòng {line_no}: điểm {raw_score!r} không phải là số") from None
    if not math.isfinite(score):
        raise RatingsFileError(f"dòng {line_no}: điểm {raw_score!r} không phải là số hữu hạn")
    if not user or not item:
        raise RatingsFileError(f"dòng {line_no}: thiếu người học (user) hoặc mô-đun (item)")
    return user, item, score


def per_learner_auc(predictions, pass_mark: float) -> float | None:
    """Mean over learners (with both a pass and a fail) of P(pass predicted above fail), ties half.

    ``uid`` may be a (fold, learner) pair, so each learner is ranked by one fold's model."""
    by_user: dict = {}
    for p in predictions:
        by_user.setdefault(p.uid, []).append((p.est, p.r_ui >= pass_mark))
    aucs = []
    for pairs in by_user.values():
        est = np.array([e for e, _ in pairs])
        passed = np.array([ok for _, ok in pairs])
        if passed.all() or not passed.any():
            continue
        diff = est[passed][:, None] - est[~passed][None, :]
        aucs.append(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)
    return float(np.mean(aucs)) if aucs else None


def candidates(algorithm: str | None, tuned: dict | None = None) -> list[tuple[str, object]]:
    """(label, factory) for each algorithm to compare, baselines included."""
    names = [algorithm] if algorithm else list(ALGORITHMS)
    chosen = [(n, lambda n=n: make_algorithm(n)) for n in names]
    if tuned is not None:
        chosen.append((f"{names[0]} (đã tinh chỉnh)", lambda: make_algorithm(names[0], tuned)))
    return chosen + [
        (SURPRISE_SVD, lambda: make_algorithm("SVD", {"random_state": 7})),
        ("BaselineOnly (mặc định Surprise)", lambda: make_algorithm("BaselineOnly", {"verbose": False})),
        ("NormalPredictor", lambda: make_algorithm("NormalPredictor", {})),
        (GLOBAL_MEAN, GlobalMean),
    ]


def cross_validate_all(rows, entries, folds: int = 5, pass_mark: float = 0.7, seed: int = 7,
                       progress=None) -> list[Row]:
    """K-fold cross-validation of every (label, factory) on the same folds."""
    data = build_dataset(rows)
    totals = {label: {"fit": 0.0, "predict": 0.0, "predictions": []} for label, _ in entries}
    for fold, (trainset, testset) in enumerate(KFold(n_splits=folds, random_state=seed).split(data)):
        for label, factory in entries:
            started = time.perf_counter()
            algo = factory().fit(trainset)
            fitted = time.perf_counter()
            predictions = algo.test(testset)
            totals[label]["fit"] += fitted - started
            totals[label]["predict"] += time.perf_counter() - fitted
            # AUC compares a learner's modules under one model, as the path does: group by fold too.
            totals[label]["predictions"].extend(p._replace(uid=(fold, p.uid)) for p in predictions)
            if progress:
                progress(label)
    return [Row(label, accuracy.rmse(t["predictions"], verbose=False), accuracy.mae(t["predictions"], verbose=False),
                t["fit"] / folds, t["predict"] / folds, per_learner_auc(t["predictions"], pass_mark))
            for label, t in totals.items()]


def tune(rows, algorithm: str, folds: int) -> tuple[dict, float]:
    """Grid-search the algorithm's main parameters; returns (best parameters, best RMSE)."""
    base = algorithm_params(algorithm)
    grid = {k: v for k, v in TUNE_GRIDS[algorithm].items()}
    fixed = {k: [v] for k, v in base.items() if k not in grid}
    search = GridSearchCV(ALGORITHMS[algorithm], {**fixed, **grid}, measures=["rmse"], cv=folds, n_jobs=1)
    search.fit(build_dataset(rows))
    return search.best_params["rmse"], float(search.best_score["rmse"])


def format_table(results: list[Row], platform: str) -> str:
    header = f"{'thuật toán':<36} {'RMSE':>8} {'MAE':>8} {'học (s)':>9} {'đoán (s)':>10} {'AUC':>7}"
    lines = [header, "-" * len(header)]
    for r in results:
        auc = f"{r.auc:.3f}" if r.auc is not None else "—"
        mark = " *" if r.name == platform else ""
        lines.append(f"{r.name + mark:<36} {r.rmse:>8.4f} {r.mae:>8.4f} {r.fit_seconds:>9.2f} "
                     f"{r.predict_seconds:>10.2f} {auc:>7}")
    return "\n".join(lines)


def verdict(results: list[Row], platform: str) -> str:
    by_name = {r.name: r for r in results}
    if platform not in by_name:
        return ""
    ours, mean, svd = by_name[platform], by_name[GLOBAL_MEAN], by_name[SURPRISE_SVD]
    gain = (mean.rmse - ours.rmse) / mean.rmse if mean.rmse else 0.0
    return (f"{platform} (mô hình của nền tảng, *): RMSE tốt hơn trung bình chung {gain:+.1%} "
            f"({'đạt' if gain >= 0.10 else 'chưa đạt'} ngưỡng 10%); "
            f"{'không kém' if ours.rmse <= svd.rmse else 'KÉM HƠN'} SVD mặc định "
            f"({ours.rmse:.4f} so với {svd.rmse:.4f}).")
