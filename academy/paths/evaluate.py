"""Judge the recommender on any ``user,item,score`` file by k-fold cross-validation.

Every row sees the same outer folds: Surprise's algorithms with their default parameters (the
anchors), SVD tuned by a grid search inside each training split, each candidate of model selection,
and the model ``train`` would choose, selected afresh on each training split (nested: nothing is
chosen on the fold it is scored on). For each: RMSE and MAE (on the 0..1 scale after rescaling),
within-learner AUC (for each learner, the chance that a module they passed is predicted higher
than one they failed, averaged over learners who have both), the AUC of predicting a pass over all
rows, and the mean fit and predict time per fold.
"""

from __future__ import annotations

import csv
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata
from surprise import SVD, AlgoBase
from surprise.model_selection import GridSearchCV, KFold

from academy.paths.blend import trainset_rows
from academy.paths.recommender import build_dataset, make_algorithm
from academy.paths.selection import select_model

GLOBAL_MEAN = "Trung bình chung"
BASELINE = "BaselineOnly"
TUNED_SVD = "SVD (tinh chỉnh lồng)"
CHOSEN = "→ mô hình train chọn"
# Surprise's algorithms with their default parameters (KNNBaseline compares modules, as served).
ANCHORS = [
    (BASELINE, "BaselineOnly", {"verbose": False}),
    ("SVD", "SVD", {"random_state": 7}),
    ("SVD++", "SVDpp", {"random_state": 7}),
    (
        "KNNBaseline (mô-đun)",
        "KNNBaseline",
        {"sim_options": {"user_based": False}, "verbose": False},
    ),
    ("NMF", "NMF", {"random_state": 7}),
    ("SlopeOne", "SlopeOne", {}),
    ("CoClustering", "CoClustering", {"random_state": 7}),
]
SVD_GRID = {
    "n_factors": [10, 50],
    "n_epochs": [20, 40],
    "lr_all": [0.005, 0.01],
    "reg_all": [0.02, 0.1],
}


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


class TunedSVD(AlgoBase):
    """SVD whose parameters a grid search picks on this algorithm's own training data only."""

    def __init__(self, folds=3):
        AlgoBase.__init__(self)
        self.folds = folds

    def fit(self, trainset):
        AlgoBase.fit(self, trainset)
        search = GridSearchCV(
            SVD, {**SVD_GRID, "random_state": [7]}, measures=["rmse"], cv=self.folds, n_jobs=1
        )
        search.fit(build_dataset(trainset_rows(trainset)))
        self.best_params = search.best_params["rmse"]
        self.svd = make_algorithm("SVD", self.best_params).fit(trainset)
        return self

    def estimate(self, u, i):
        return self.svd.estimate(u, i)


@dataclass
class Row:
    name: str
    rmse: float
    mae: float
    fit_seconds: float
    predict_seconds: float
    auc: float | None
    auc_pass: float | None = None
    chosen: bool = False


@dataclass
class _Scores:
    """One row's predictions over the outer folds, and its time."""

    predictions: list = field(default_factory=list)
    fit: float = 0.0
    predict: float = 0.0


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


def pass_auc(predictions, pass_mark: float) -> float | None:
    """AUC of the predictions against "passed" over all rows (ties half)."""
    est = np.array([p.est for p in predictions])
    passed = np.array([p.r_ui >= pass_mark for p in predictions])
    n_pass, n_fail = passed.sum(), (~passed).sum()
    if not n_pass or not n_fail:
        return None
    ranks = rankdata(est)
    return float((ranks[passed].sum() - n_pass * (n_pass + 1) / 2) / (n_pass * n_fail))


def _run(scores: dict, label: str, algo, train, test, fold: int) -> list:
    started = time.perf_counter()
    algo.fit(train)
    fitted = time.perf_counter()
    predictions = algo.test(test)
    entry = scores.setdefault(label, _Scores())
    entry.fit += fitted - started
    entry.predict += time.perf_counter() - fitted
    # AUC compares a learner's modules under one model, as the path does: group by fold too.
    entry.predictions.extend(p._replace(uid=(fold, p.uid)) for p in predictions)
    return predictions


def _select_and_score(scores: dict, train, test, fold: int, progress) -> str:
    """Model selection on the training split only; each candidate and the choice scored on test."""
    started = time.perf_counter()
    selection = select_model(trainset_rows(train))
    selecting = time.perf_counter() - started
    columns = {}
    for label, name, params, _complexity in selection.components:
        columns[label] = _run(scores, label, make_algorithm(name, params), train, test, fold)
        progress(label)
    for label, (cols, intercept, weights) in selection.blends.items():
        parts = [columns[selection.components[c][0]] for c in cols]
        blended = [
            p._replace(
                est=min(
                    max(intercept + sum(w * q.est for w, q in zip(weights, qs, strict=True)), 0.0),
                    1.0,
                )
            )
            for p, *qs in zip(parts[0], *parts, strict=True)
        ]
        entry = scores.setdefault(label, _Scores())
        entry.fit += sum(scores[selection.components[c][0]].fit for c in cols) / (fold + 1)
        entry.predictions.extend(p._replace(uid=(fold, p.uid)) for p in blended)
        columns[label] = blended
    chosen = scores.setdefault(CHOSEN, _Scores())
    chosen.fit += selecting + scores[selection.label].fit / (fold + 1)
    chosen.predictions.extend(p._replace(uid=(fold, p.uid)) for p in columns[selection.label])
    return selection.label


def cross_validate_all(
    rows,
    folds: int = 5,
    pass_mark: float = 0.7,
    seed: int = 7,
    algorithm: str | None = None,
    tuned_svd: bool = True,
    progress=None,
) -> tuple[list[Row], list[str]]:
    """Every row on the same ``folds`` outer folds; returns the rows and each fold's choice.

    ``algorithm`` replaces model selection by that one algorithm with the platform's parameters."""
    progress = progress or (lambda _label: None)
    scores: dict[str, _Scores] = {GLOBAL_MEAN: _Scores()}
    choices = []
    for fold, (train, test) in enumerate(
        KFold(n_splits=folds, random_state=seed).split(build_dataset(rows))
    ):
        _run(scores, GLOBAL_MEAN, GlobalMean(), train, test, fold)
        for label, name, params in ANCHORS:
            _run(scores, label, make_algorithm(name, params), train, test, fold)
            progress(label)
        if tuned_svd:
            _run(scores, TUNED_SVD, TunedSVD(), train, test, fold)
            progress(TUNED_SVD)
        if algorithm:
            predictions = _run(scores, algorithm, make_algorithm(algorithm), train, test, fold)
            scores.setdefault(CHOSEN, _Scores()).predictions.extend(
                p._replace(uid=(fold, p.uid)) for p in predictions
            )
            choices.append(algorithm)
        else:
            choices.append(_select_and_score(scores, train, test, fold, progress))
    return [_row(label, entry, folds, pass_mark) for label, entry in scores.items()], choices


def _row(label: str, entry: _Scores, folds: int, pass_mark: float) -> Row:
    errors = np.array([p.est - p.r_ui for p in entry.predictions])
    return Row(
        label,
        float(np.sqrt(np.mean(errors**2))),
        float(np.mean(np.abs(errors))),
        entry.fit / folds,
        entry.predict / folds,
        per_learner_auc(entry.predictions, pass_mark),
        pass_auc(entry.predictions, pass_mark),
        label == CHOSEN,
    )


def _fmt(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "—"


def format_table(results: list[Row]) -> str:
    header = (
        f"{'thuật toán':<30} {'RMSE':>7} {'MAE':>7} {'AUC/hv':>7} {'AUC đạt':>8} "
        f"{'học (s)':>8} {'đoán (s)':>9}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.name:<30} {r.rmse:>7.4f} {r.mae:>7.4f} {_fmt(r.auc):>7} {_fmt(r.auc_pass):>8} "
            f"{r.fit_seconds:>8.2f} {r.predict_seconds:>9.2f}"
        )
    return "\n".join(lines)


def format_markdown(results: list[Row]) -> str:
    lines = [
        "| algorithm | RMSE | MAE | AUC within learner | AUC pass | fit (s) | predict (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        name = f"**{r.name}**" if r.chosen else r.name
        lines.append(
            f"| {name} | {r.rmse:.4f} | {r.mae:.4f} | {_fmt(r.auc)} | {_fmt(r.auc_pass)} | "
            f"{r.fit_seconds:.2f} | {r.predict_seconds:.2f} |"
        )
    return "\n".join(lines)


def write_csv(results: list[Row], path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["algorithm", "rmse", "mae", "auc_within", "auc_pass", "fit_s", "predict_s", "chosen"]
        )
        for r in results:
            writer.writerow(
                [
                    r.name,
                    f"{r.rmse:.6f}",
                    f"{r.mae:.6f}",
                    "" if r.auc is None else f"{r.auc:.6f}",
                    "" if r.auc_pass is None else f"{r.auc_pass:.6f}",
                    f"{r.fit_seconds:.4f}",
                    f"{r.predict_seconds:.4f}",
                    int(r.chosen),
                ]
            )


def _gain(ours: Row, other: Row) -> str:
    gain = (other.rmse - ours.rmse) / other.rmse if other.rmse else 0.0
    word = "thấp hơn" if gain > 0 else "cao hơn" if gain < 0 else "bằng"
    return f"{gain:+.2%} (RMSE {ours.rmse:.4f} {word} {other.rmse:.4f} của {other.name})"


def verdict(results: list[Row], choices: list[str]) -> str:
    """The chosen model's signed gain over BaselineOnly, the best anchor and the tuned SVD."""
    by_name = {r.name: r for r in results}
    ours, baseline = by_name[CHOSEN], by_name[BASELINE]
    anchors = [by_name[label] for label, _n, _p in ANCHORS if label in by_name]
    best = min(anchors, key=lambda r: r.rmse)
    picked = ", ".join(f"{name} ×{choices.count(name)}" for name in dict.fromkeys(choices))
    higher = "cao hơn" if (ours.auc or 0) > (baseline.auc or 0) else "KHÔNG cao hơn"
    lines = [
        f"Mô hình train chọn (theo từng phần: {picked}):",
        (
            f"  so với BaselineOnly: {_gain(ours, baseline)}; "
            f"AUC trong từng học viên {_fmt(ours.auc)} so với {_fmt(baseline.auc)} ({higher});"
        ),
        f"  so với thuật toán Surprise mặc định tốt nhất: {_gain(ours, best)};",
    ]
    if TUNED_SVD in by_name:
        lines.append(f"  so với SVD tinh chỉnh lồng: {_gain(ours, by_name[TUNED_SVD])}.")
    return "\n".join(lines)
