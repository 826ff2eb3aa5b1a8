"""Choose the algorithm and its parameters by cross-validation on the training data only.

Every component algorithm is fitted on all but one inner fold and predicts the held-out one, so each
training rating gets an out-of-fold prediction from every component. A single algorithm is scored by
the RMSE of its own column; a blend by cross-fitting: its weights for one fold are learnt on the
other folds' rows. The winner is the candidate with the lowest RMSE, except on little data (under
``SMALL`` ratings), where it is the simplest candidate within one paired standard error of the best.
A blend keeps the weights learnt on all the out-of-fold rows, so the final training only refits its
components. Above ``SELECT_AT_MOST`` ratings the choice is made on a sample of whole learners.

Nothing here ever sees data beyond the rows it is given: ``evaluate`` calls ``select_model`` on each
outer training split and scores the choice on the split it held back.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
from surprise.model_selection import KFold

from academy.paths.blend import ridge_weights
from academy.paths.recommender import build_dataset, make_algorithm

SEED = 11
SMALL = 5_000  # below this many ratings, prefer the simplest model within one standard error
FOLDS = 5
SELECT_AT_MOST = 200_000  # more ratings than this: choose on a sample of whole learners (time)
LARGE = 100_000  # from here on, no SVD++ among the candidates (its fit grows with |I_u|²)
_KNN_ITEM = {
    "k": 40,
    "sim_options": {"name": "pearson_baseline", "user_based": False},
    "verbose": False,
}

# (label, algorithm, params, complexity): the lower the complexity, the easier the model explains.
_LOGIT = "LogitFactors"
COMPONENTS = [
    ("BaselineOnly", "BaselineOnly", {"verbose": False}, 1),
    ("Logit (biases)", _LOGIT, {"n_factors": 0, "reg": 3.0, "reg_bias": 0.3}, 2),
    ("Logit 1f", _LOGIT, {"n_factors": 1, "reg": 1.0, "reg_bias": 0.3}, 3),
    ("Logit 2f", _LOGIT, {"n_factors": 2, "reg": 2.0, "reg_bias": 0.3}, 3),
    ("Logit 4f", _LOGIT, {"n_factors": 4, "reg": 3.0, "reg_bias": 0.3}, 3),
    (
        "Logit 1f + kNN",
        _LOGIT,
        {"n_factors": 1, "reg": 1.0, "reg_bias": 0.3, "alpha": 0.5, "k": 100, "shrink": 50.0},
        4,
    ),
    (
        "Logit 4f + kNN",
        _LOGIT,
        {"n_factors": 4, "reg": 3.0, "reg_bias": 0.3, "alpha": 0.5, "k": 100, "shrink": 50.0},
        4,
    ),
    ("KNNBaseline", "KNNBaseline", _KNN_ITEM, 4),
]
BLENDS = [
    ("Blend (logit)", ["Logit 1f", "Logit 4f", "Logit 1f + kNN", "Logit 4f + kNN"], 8),
    ("Blend (4f + kNN)", ["BaselineOnly", "Logit 4f", "Logit 4f + kNN", "KNNBaseline"], 8),
    ("Blend (all)", [c[0] for c in COMPONENTS], 10),
]


@dataclass
class CandidateScore:
    label: str
    rmse: float
    fold_rmse: list[float]
    gap_se: float  # standard error of the per-fold RMSE difference to the best
    complexity: int


@dataclass
class Selection:
    algorithm: str
    params: dict
    label: str
    reason: str
    n_ratings: int
    n_users: int
    n_items: int
    folds: int
    seconds: float
    table: list[CandidateScore] = field(default_factory=list)
    components: list = field(default_factory=list)  # (label, algorithm, params, complexity)
    blends: dict = field(default_factory=dict)  # label → (component columns, intercept, weights)

    def record(self) -> dict:
        """What the model file's metadata keeps: the choice, why, and on how much data."""
        return {
            "chosen": self.label,
            "reason": self.reason,
            "n_ratings": self.n_ratings,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "folds": self.folds,
            "seconds": round(self.seconds, 2),
            "table": [
                {k: v for k, v in asdict(row).items() if k != "fold_rmse"} for row in self.table
            ],
        }


def inner_folds(n_ratings: int) -> int:
    """Folds of the selection: always ``FOLDS`` (large data is sampled down instead)."""
    return FOLDS


def sample_learners(rows, at_most: int):
    """All of ``rows``, or those of random whole learners holding about ``at_most`` ratings."""
    if len(rows) <= at_most:
        return rows
    learners = sorted({r[0] for r in rows}, key=str)
    keep = set(
        np.random.default_rng(SEED).permutation(len(learners))[
            : int(len(learners) * at_most / len(rows))
        ]
    )
    chosen = {learners[n] for n in keep}
    return [r for r in rows if r[0] in chosen]


def out_of_fold(rows, components, folds: int, progress=None):
    """(predictions [n × components], targets, each row's fold index) over ``folds`` inner folds."""
    columns, targets, fold_of = [], [], []
    for number, (train, test) in enumerate(
        KFold(n_splits=folds, random_state=SEED).split(build_dataset(rows))
    ):
        block = np.empty((len(test), len(components)))
        for c, (_label, name, params, _complexity) in enumerate(components):
            block[:, c] = [p.est for p in make_algorithm(name, params).fit(train).test(test)]
            if progress:
                progress(f"{_label} {number + 1}/{folds}")
        columns.append(block)
        targets.extend(r for _, _, r in test)
        fold_of.extend([number] * len(test))
    return np.vstack(columns), np.array(targets), np.array(fold_of)


def _rmse(pred, target) -> float:
    return float(np.sqrt(np.mean((np.clip(pred, 0, 1) - target) ** 2)))


def _blend_fold_predictions(preds, targets, fold_of, cols, penalty=1e-3) -> np.ndarray:
    """Cross-fitted blend: each fold predicted with weights learnt on the other folds."""
    out = np.empty(len(targets))
    for f in np.unique(fold_of):
        own = fold_of == f
        intercept, weights = ridge_weights(preds[~own][:, cols], targets[~own], penalty)
        out[own] = intercept + preds[own][:, cols] @ weights
    return out


def _score_candidates(preds, targets, fold_of, components, blends) -> tuple[list, dict]:
    labels = [c[0] for c in components]
    candidates, blend_cols = {}, {}
    for c, (label, _name, _params, complexity) in enumerate(components):
        candidates[label] = (preds[:, c], complexity)
    for label, parts, complexity in blends:
        cols = [labels.index(p) for p in parts if p in labels]
        if len(cols) >= 2:
            blend_cols[label] = cols
            candidates[label] = (_blend_fold_predictions(preds, targets, fold_of, cols), complexity)
    folds = np.unique(fold_of)
    per_fold = {
        label: np.array([_rmse(p[fold_of == f], targets[fold_of == f]) for f in folds])
        for label, (p, _c) in candidates.items()
    }
    best = min(candidates, key=lambda label: _rmse(candidates[label][0], targets))
    table = []
    for label, (pred, complexity) in candidates.items():
        gaps = per_fold[label] - per_fold[best]
        se = float(gaps.std(ddof=1) / np.sqrt(len(gaps))) if len(gaps) > 1 else 0.0
        table.append(
            CandidateScore(label, _rmse(pred, targets), per_fold[label].tolist(), se, complexity)
        )
    table.sort(key=lambda row: row.rmse)
    return table, blend_cols


def select_model(
    rows, components=None, blends=None, folds: int | None = None, progress=None
) -> Selection:
    """Cross-validate the candidates on ``rows`` (and nothing else) and return the choice."""
    started = time.perf_counter()
    everything = rows
    rows = sample_learners(rows, SELECT_AT_MOST)
    components = list(components or COMPONENTS)
    if len(rows) >= LARGE:
        components = [c for c in components if c[1] != "SVDpp"]
    blends = BLENDS if blends is None else blends
    folds = folds or inner_folds(len(rows))
    preds, targets, fold_of = out_of_fold(rows, components, folds, progress)
    table, blend_cols = _score_candidates(preds, targets, fold_of, components, blends)
    best = table[0]
    # On little data, one paired standard error: the simpler model unless the better wins clearly.
    chosen = (
        min(
            (row for row in table if row.rmse - best.rmse <= row.gap_se),
            key=lambda row: (row.complexity, row.rmse),
        )
        if len(rows) < SMALL
        else best
    )
    by_label = {c[0]: c for c in components}
    blends_fitted = {
        label: (cols, *ridge_weights(preds[:, cols], targets, 1e-3))
        for label, cols in blend_cols.items()
    }
    if chosen.label in blends_fitted:
        cols, intercept, weights = blends_fitted[chosen.label]
        kept = [
            (c, w) for c, w in zip(cols, weights, strict=True) if w > 1e-6
        ]  # a zero weight: neither trained nor served
        algorithm, params = (
            "Blend",
            {
                "components": [[components[c][1], components[c][2]] for c, _w in kept],
                "weights": [float(w) for _c, w in kept],
                "intercept": intercept,
            },
        )
    else:
        algorithm, params = by_label[chosen.label][1], dict(by_label[chosen.label][2])
    rule = (
        "mô hình đơn giản nhất trong vòng một sai số chuẩn (ghép cặp)"
        if len(rows) < SMALL
        else "RMSE thấp nhất"
    )
    reason = (
        f"RMSE kiểm định chéo thấp nhất {best.rmse:.4f} ({best.label}) trên {len(rows)} kết quả; "
        f"chọn {chosen.label} ({chosen.rmse:.4f}): {rule}"
    )
    if len(rows) < len(everything):
        reason += f"; chọn trên {len(rows)} kết quả của một mẫu học viên ngẫu nhiên"
    users, items = len({r[0] for r in everything}), len({r[1] for r in everything})
    return Selection(
        algorithm,
        params,
        chosen.label,
        reason,
        len(everything),
        users,
        items,
        folds,
        time.perf_counter() - started,
        table,
        components,
        blends_fitted,
    )
