"""An out-of-fold blend of several Surprise algorithms, itself a Surprise ``AlgoBase``.

``fit`` splits its own training data into ``folds`` parts, fits every component on the others and
predicts the held-out part; a ridge regression on those out-of-fold predictions gives one weight
per component (and an intercept). The components are then refitted on all the training data. No
weight ever sees a score it is judged on: everything happens inside ``fit``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls
from surprise import AlgoBase, PredictionImpossible
from surprise.model_selection import KFold


def trainset_rows(trainset) -> list[tuple]:
    """The trainset's ratings with raw ids, for splitting it again."""
    return [
        (trainset.to_raw_uid(u), trainset.to_raw_iid(i), r) for u, i, r in trainset.all_ratings()
    ]


def ridge_weights(
    features: np.ndarray, target: np.ndarray, penalty: float
) -> tuple[float, np.ndarray]:
    """Intercept and non-negative weights of a lightly penalised least-squares fit.

    Non-negative: the components are all predictions of the same score, so a negative weight only
    fits the noise between two nearly equal columns; the intercept is not penalised."""
    mean_x, mean_y = features.mean(axis=0), target.mean()
    x = features - mean_x
    ridge = np.sqrt(penalty * len(target)) * np.eye(x.shape[1])
    weights, _residual = nnls(
        np.vstack([x, ridge]), np.concatenate([target - mean_y, np.zeros(x.shape[1])])
    )
    return float(mean_y - mean_x @ weights), weights


def component_estimate(algo, u, i) -> float:
    """One component's clipped estimate on inner ids, its default when it cannot predict."""
    try:
        est = algo.estimate(u, i)
    except PredictionImpossible:
        est = algo.default_prediction()
    if isinstance(est, tuple):
        est = est[0]
    return min(max(float(est), 0.0), 1.0)


class Blend(AlgoBase):
    """intercept + Σ weight_c · prediction_c over ``components`` ([algorithm name, params] pairs).

    Without ``weights``, ``fit`` learns them from out-of-fold predictions on its own training data;
    model selection passes the weights it already learnt that way (see ``selection``)."""

    def __init__(
        self, components, weights=None, intercept=0.0, folds=5, penalty=1e-3, random_state=11
    ):
        AlgoBase.__init__(self)
        self.components = [(name, dict(params)) for name, params in components]
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.intercept, self.folds, self.penalty, self.random_state = (
            float(intercept),
            folds,
            penalty,
            random_state,
        )

    def _make(self):
        from academy.paths.recommender import make_algorithm  # noqa: PLC0415 - cycle: it imports Blend

        return [make_algorithm(name, params) for name, params in self.components]

    def fit(self, trainset):
        from academy.paths.recommender import build_dataset  # noqa: PLC0415 - cycle, as in _make

        AlgoBase.fit(self, trainset)
        if self.weights is None:
            oof, target = [], []
            data = build_dataset(trainset_rows(trainset))
            for inner_train, inner_test in KFold(
                n_splits=self.folds, random_state=self.random_state
            ).split(data):
                columns = [
                    [p.est for p in algo.fit(inner_train).test(inner_test)] for algo in self._make()
                ]
                oof.append(np.array(columns).T)
                target.extend(r for _, _, r in inner_test)
            self.intercept, self.weights = ridge_weights(
                np.vstack(oof), np.array(target), self.penalty
            )
        self.fitted = [algo.fit(trainset) for algo in self._make()]
        return self

    def estimate(self, u, i):
        est = self.intercept + sum(
            w * component_estimate(a, u, i) for w, a in zip(self.weights, self.fitted, strict=True)
        )
        return min(max(est, 0.0), 1.0)
