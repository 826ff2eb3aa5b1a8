"""Surprise algorithms, datasets built from (user, item, score) rows, export to a compact scorer.

Scores are on 0..1 (a learner's best quiz score on a module). The platform's parameters live in
``PLATFORM_PARAMS``; ``RECOMMENDER_PARAMS`` in the config overrides them per algorithm.
"""

from __future__ import annotations

import numpy as np
from surprise import (
    NMF,
    SVD,
    BaselineOnly,
    CoClustering,
    Dataset,
    KNNBaseline,
    NormalPredictor,
    Reader,
    SlopeOne,
    SVDpp,
)

from academy.paths.blend import Blend
from academy.paths.logit import LogitFactors
from academy.paths.scorer import BlendScorer, Scorer

# What the platform can train and serve; ``Blend`` combines any of the others.
ALGORITHMS = {
    "SVD": SVD,
    "SVDpp": SVDpp,
    "KNNBaseline": KNNBaseline,
    "BaselineOnly": BaselineOnly,
    "LogitFactors": LogitFactors,
    "Blend": Blend,
}
AUTO = "auto"  # RECOMMENDER_ALGORITHM: let cross-validation choose (academy/paths/selection.py)
# Measured by ``evaluate`` for comparison only.
BASELINES = {
    "NormalPredictor": NormalPredictor,
    "BaselineOnly": BaselineOnly,
    "NMF": NMF,
    "SlopeOne": SlopeOne,
    "CoClustering": CoClustering,
}

# Chosen on the demo data and the generated file (see bench/): scores live on 0..1, so the
# learning rate and regularisation differ from Surprise's 1..5 star defaults. SVD: with one
# lr_all the factor gradients (residual × factor, both ~0.1 here) are too small for the factors
# to move from their random start, so the model was biases plus noise; the factors get their own
# faster rate and lighter regularisation (10 are enough and keep a million-rating fit short),
# the biases keep lr 0.01 / reg 0.05.
PLATFORM_PARAMS = {
    "SVD": {
        "n_factors": 10,
        "n_epochs": 30,
        "lr_all": 0.01,
        "reg_all": 0.05,
        "lr_pu": 0.15,
        "lr_qi": 0.15,
        "reg_pu": 0.03,
        "reg_qi": 0.03,
        "random_state": 7,
    },
    "SVDpp": {"n_factors": 20, "n_epochs": 20, "lr_all": 0.007, "reg_all": 0.05, "random_state": 7},
    "KNNBaseline": {
        "k": 40,
        "sim_options": {"name": "pearson_baseline", "user_based": False},
        "verbose": False,
    },
    "BaselineOnly": {"bsl_options": {"method": "als", "n_epochs": 10}, "verbose": False},
    # Chosen on the three shared learner files (see academy/paths/selection.py for the candidates).
    "LogitFactors": {"n_factors": 4, "reg": 3.0, "reg_bias": 0.3},
}
TUNE_GRIDS = {
    "SVD": {
        "n_factors": [20, 50, 100],
        "n_epochs": [20, 30],
        "lr_all": [0.005, 0.01],
        "reg_all": [0.02, 0.05],
    },
    "SVDpp": {
        "n_factors": [10, 20],
        "n_epochs": [20],
        "lr_all": [0.005, 0.007],
        "reg_all": [0.02, 0.05],
    },
    "KNNBaseline": {"k": [20, 40, 60]},
    "BaselineOnly": {
        "bsl_options": [{"method": "als", "n_epochs": 10}, {"method": "sgd", "n_epochs": 20}]
    },
}


class UnknownAlgorithm(ValueError):
    pass


class _Rows:
    """The one method ``Dataset.load_from_df`` uses, over a plain list (no pandas needed)."""

    def __init__(self, rows):
        self._rows = rows

    def itertuples(self, index=False):
        return iter(self._rows)


def build_dataset(rows) -> Dataset:
    """A Surprise dataset from (user, item, score 0..1) rows."""
    return Dataset.load_from_df(_Rows(rows), Reader(rating_scale=(0.0, 1.0)))


def algorithm_params(name: str, overrides: dict | None = None) -> dict:
    if name not in ALGORITHMS and name not in BASELINES:
        raise UnknownAlgorithm(name)
    params = dict(PLATFORM_PARAMS.get(name, {}))
    params.update(overrides or {})
    return params


def make_algorithm(name: str, params: dict | None = None):
    """An unfitted Surprise algorithm with the platform's parameters (or ``params``)."""
    cls = ALGORITHMS.get(name) or BASELINES.get(name)
    if cls is None:
        raise UnknownAlgorithm(name)
    return cls(**(params if params is not None else algorithm_params(name)))


def export_scorer(name: str, algo, params: dict) -> Scorer:
    """Reduce a fitted algorithm to the arrays a web worker needs to predict."""
    trainset = algo.trainset
    users = np.array([trainset.to_raw_uid(u) for u in range(trainset.n_users)], dtype=np.int64)
    items = np.array([trainset.to_raw_iid(i) for i in range(trainset.n_items)], dtype=np.int64)
    mu = float(trainset.global_mean)
    reg = float(params.get("reg_all", 0.02))
    if name in ("SVD", "SVDpp"):
        biased = params.get("biased", True)
        bu = algo.bu if biased else np.zeros(trainset.n_users)
        bi = algo.bi if biased else np.zeros(trainset.n_items)
        pu = _svdpp_user_factors(algo, trainset) if name == "SVDpp" else algo.pu
        return Scorer("factors", mu, users, items, bu, bi, pu=pu, qi=algo.qi, reg=reg)
    if name == "BaselineOnly":
        bu, bi = algo.compute_baselines()
        return Scorer("factors", mu, users, items, bu, bi, reg=reg)
    if name == "KNNBaseline":
        if params.get("sim_options", {}).get("user_based", True):
            raise UnknownAlgorithm(
                "KNNBaseline must be item-based to be served (sim_options.user_based=False)"
            )
        bu, bi = algo.compute_baselines()
        return Scorer(
            "neighbours",
            mu,
            users,
            items,
            bu,
            bi,
            sim=algo.sim,
            k=int(params.get("k", 40)),
            reg=reg,
        )
    if name == "LogitFactors":
        sim = algo.sim if algo.alpha else None
        return Scorer(
            "logit",
            algo.m,
            users,
            items,
            algo.bu,
            algo.bi,
            pu=algo.pu,
            qi=algo.qi,
            sim=sim,
            reg=algo.reg,
            alpha=algo.alpha,
            damp=algo.damp,
            reg_bias=algo.reg_bias,
        )
    if name == "Blend":
        parts = [
            export_scorer(part_name, part, part_params)
            for (part_name, part_params), part in zip(algo.components, algo.fitted, strict=True)
        ]
        return BlendScorer(parts, algo.weights, algo.intercept)
    raise UnknownAlgorithm(name)


def _svdpp_user_factors(algo, trainset) -> np.ndarray:
    """SVD++ folds a user's implicit feedback into one vector: p_u + |I_u|^-1/2 Σ y_j."""
    effective = np.array(algo.pu, copy=True)
    for u, ratings in trainset.ur.items():
        if ratings:
            js = [j for j, _ in ratings]
            effective[u] += algo.yj[js].sum(axis=0) / np.sqrt(len(js))
    return effective
