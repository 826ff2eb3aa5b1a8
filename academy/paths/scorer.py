"""A trained model reduced to numpy arrays: saved as one ``.npz`` file, loaded without pickle.

Two kinds: ``factors`` (SVD, SVD++, BaselineOnly: ``mu + b_u + b_i + q_i·p_u``) and ``neighbours``
(item-based KNNBaseline: the baseline plus the similarity-weighted deviations on the learner's own
results). A learner unknown to the model, or whose results changed since training, is folded in
from their current results (ridge regression against the fixed item side), so the path reacts to
a quiz at once without retraining.
"""

from __future__ import annotations

import json

import numpy as np

FORMAT = 1
KINDS = ("factors", "neighbours", "logit", "blend")


class IncompatibleModel(ValueError):
    """The file is not a model this code can serve."""


class Scorer:
    def __init__(
        self,
        kind,
        mu,
        users,
        items,
        bu,
        bi,
        *,
        pu=None,
        qi=None,
        sim=None,
        k=40,
        reg=0.02,
        alpha=0.0,
        damp=1.0,
        reg_bias=None,
    ):
        self.kind, self.mu, self.k, self.reg = kind, float(mu), int(k), float(reg)
        self.reg_bias = self.reg if reg_bias is None else float(reg_bias)
        self.alpha, self.damp = (
            float(alpha),
            float(damp),
        )  # ``logit``: weight and damping of the kNN offset
        self.users = np.asarray(users, dtype=np.int64)
        self.items = np.asarray(items, dtype=np.int64)
        self.bu, self.bi = np.asarray(bu, dtype=np.float64), np.asarray(bi, dtype=np.float64)
        factors = 0 if pu is None else np.asarray(pu).shape[1]
        self.pu = (
            np.zeros((len(self.users), factors)) if pu is None else np.asarray(pu, dtype=np.float64)
        )
        self.qi = (
            np.zeros((len(self.items), factors)) if qi is None else np.asarray(qi, dtype=np.float64)
        )
        self.sim = None if sim is None else np.asarray(sim, dtype=np.float64)
        self._user_index = {int(u): n for n, u in enumerate(self.users)}
        self._item_index = {int(i): n for n, i in enumerate(self.items)}

    # ---- files ---------------------------------------------------------------------------
    def save(self, path) -> None:
        with open(path, "wb") as handle:
            meta = {"format": FORMAT, **self.meta(), "about": getattr(self, "about", None)}
            np.savez(handle, meta=np.array(json.dumps(meta)), **self.arrays())

    def meta(self) -> dict:
        return {
            "kind": self.kind,
            "mu": self.mu,
            "k": self.k,
            "reg": self.reg,
            "alpha": self.alpha,
            "damp": self.damp,
            "reg_bias": self.reg_bias,
        }

    def arrays(self) -> dict:
        arrays = {
            "users": self.users,
            "items": self.items,
            "bu": self.bu,
            "bi": self.bi,
            "pu": self.pu,
            "qi": self.qi,
        }
        if self.sim is not None:
            arrays["sim"] = self.sim
        return arrays

    @classmethod
    def load(cls, path):
        """Read a model file (a Scorer or a BlendScorer); anything unreadable or from another format
        raises IncompatibleModel."""
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != FORMAT or meta.get("kind") not in KINDS:
                    raise IncompatibleModel(f"unsupported model format {meta.get('format')!r}")
                arrays = {name: data[name] for name in data.files if name != "meta"}
                if meta["kind"] == "blend":
                    parts = [
                        cls.from_parts(
                            part,
                            {
                                k.split("/", 1)[1]: v
                                for k, v in arrays.items()
                                if k.startswith(f"{n}/")
                            },
                        )
                        for n, part in enumerate(meta["parts"])
                    ]
                    scorer = BlendScorer(parts, meta["weights"], meta["intercept"])
                else:
                    scorer = cls.from_parts(meta, arrays)
                scorer.about = meta.get("about")  # what was chosen, why, on how much data
                return scorer
        except (IncompatibleModel, FileNotFoundError):
            raise
        except Exception as exc:  # noqa: BLE001 - zip, JSON, key or dtype errors all mean "corrupt"
            raise IncompatibleModel(f"unreadable model file: {exc}") from exc

    @classmethod
    def from_parts(cls, meta: dict, arrays: dict) -> Scorer:
        if meta.get("kind") not in ("factors", "neighbours", "logit"):
            raise IncompatibleModel(f"unsupported model kind {meta.get('kind')!r}")
        scorer = cls(
            meta["kind"],
            meta["mu"],
            arrays["users"],
            arrays["items"],
            arrays["bu"],
            arrays["bi"],
            pu=arrays["pu"],
            qi=arrays["qi"],
            sim=arrays.get("sim"),
            k=meta["k"],
            reg=meta["reg"],
            alpha=meta.get("alpha", 0.0),
            damp=meta.get("damp", 1.0),
            reg_bias=meta.get("reg_bias"),
        )
        scorer._check_shapes()
        return scorer

    def _check_shapes(self) -> None:
        n_users, n_items = len(self.users), len(self.items)
        ok = (
            self.bu.shape == (n_users,)
            and self.bi.shape == (n_items,)
            and self.pu.shape[0] == n_users
            and self.qi.shape[0] == n_items
            and self.pu.shape[1] == self.qi.shape[1]
            and (self.sim is None or self.sim.shape == (n_items, n_items))
        )
        if not ok:
            raise IncompatibleModel("model arrays have inconsistent shapes")

    # ---- prediction ----------------------------------------------------------------------
    def predict(
        self, user_id: int, results: dict[int, float], item_ids, *, fold_in: bool = False
    ) -> dict:
        """Predicted 0..1 scores for ``item_ids`` the model knows (others are left out).

        ``results`` are the learner's current scores; they are used when the learner is unknown to
        the model or ``fold_in`` says their results changed since training.
        """
        wanted = [(i, self._item_index[int(i)]) for i in item_ids if int(i) in self._item_index]
        if not wanted:
            return {}
        rated = [
            (self._item_index[int(i)], float(s))
            for i, s in results.items()
            if int(i) in self._item_index
        ]
        index = self._user_index.get(int(user_id))
        if index is not None and not fold_in:
            bu, pu = self.bu[index], self.pu[index]
        else:
            bu, pu = self._fold_in(rated)
        idx = np.array([n for _, n in wanted])
        est = self.mu + bu + self.bi[idx]
        if self.kind == "factors":
            est = est + self.qi[idx] @ pu
        elif self.kind == "logit":
            est = self._logit_estimate(idx, rated, bu, pu)
        else:
            est = est + self._neighbour_offsets(idx, rated, bu)
        return {i: float(v) for (i, _), v in zip(wanted, np.clip(est, 0.0, 1.0), strict=True)}

    def related(self, results: dict[int, float], item_ids) -> dict[int, int]:
        """For each item, the learner's rated module the model finds most similar (when it compares
        modules at all): the "related module" a reason can name."""
        if self.sim is None:
            return {}
        rated = [(self._item_index[int(i)], int(i)) for i in results if int(i) in self._item_index]
        found = {}
        for item in item_ids:
            row = self._item_index.get(int(item))
            others = (
                [(self.sim[row, n], raw) for n, raw in rated if raw != int(item)]
                if row is not None
                else []
            )
            if others and max(others)[0] > 0:
                found[int(item)] = max(others)[1]
        return found

    def _fold_in(self, rated):
        """Best user bias and factors for these results, item side fixed (ridge regression; for the
        logistic model, a few Newton steps of the same penalised cross-entropy)."""
        factors = self.qi.shape[1]
        if not rated:
            return 0.0, np.zeros(factors)
        idx = np.array([n for n, _ in rated])
        scores = np.array([s for _, s in rated])
        design = np.hstack([np.ones((len(idx), 1)), self.qi[idx]])
        if self.kind == "logit":
            return _logistic_fold_in(
                design, scores, self.mu + self.bi[idx], self.reg, self.reg_bias
            )
        target = scores - self.mu - self.bi[idx]
        penalty = (self.reg * len(idx) + 1.0) * np.eye(factors + 1)
        solution = np.linalg.solve(design.T @ design + penalty, design.T @ target)
        return float(solution[0]), solution[1:]

    def _logit_estimate(self, idx, rated, bu, pu) -> np.ndarray:
        est = _sigmoid(self.mu + bu + self.bi[idx] + self.qi[idx] @ pu)
        if self.sim is None or not self.alpha or not rated:
            return est
        rated_idx = np.array([n for n, _ in rated])
        fitted = _sigmoid(self.mu + bu + self.bi[rated_idx] + self.qi[rated_idx] @ pu)
        residuals = np.array([s for _, s in rated]) - fitted
        sims = self.sim[np.ix_(idx, rated_idx)]
        return est + self.alpha * (sims @ residuals) / (np.abs(sims).sum(axis=1) + self.damp)

    def _neighbour_offsets(self, idx, rated, bu) -> np.ndarray:
        """Item-based KNNBaseline: the ``k`` most similar rated modules of positive similarity."""
        if not rated:
            return np.zeros(len(idx))
        rated_idx = np.array([n for n, _ in rated])
        deviations = np.array([s for _, s in rated]) - (self.mu + bu + self.bi[rated_idx])
        sims = self.sim[np.ix_(idx, rated_idx)].copy()
        sims[idx[:, None] == rated_idx[None, :]] = 0.0  # a module is not its own neighbour
        if len(rated_idx) > self.k:
            cut = -np.partition(-sims, self.k - 1, axis=1)[:, self.k - 1 : self.k]
            sims[sims < cut] = 0.0
        sims[sims < 0] = 0.0
        total = sims.sum(axis=1)
        return np.divide(sims @ deviations, total, out=np.zeros(len(idx)), where=total > 0)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _logistic_fold_in(design, scores, offset, reg, reg_bias, steps=8):
    """Bias and factors maximising the penalised likelihood of these fractional scores."""
    theta = np.zeros(design.shape[1])
    penalty = np.diag([2 * reg_bias] + [2 * reg] * (design.shape[1] - 1))
    for _ in range(steps):
        p = _sigmoid(offset + design @ theta)
        gradient = design.T @ (p - scores) + penalty @ theta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        theta -= np.linalg.solve(hessian, gradient)
    return float(theta[0]), theta[1:]


class BlendScorer:
    """intercept + Σ weight · part prediction, each part a Scorer trained on the same data."""

    kind = "blend"

    def __init__(self, parts, weights, intercept):
        self.parts, self.weights, self.intercept = (
            list(parts),
            [float(w) for w in weights],
            float(intercept),
        )

    def save(self, path) -> None:
        meta = {
            "format": FORMAT,
            "kind": "blend",
            "weights": self.weights,
            "intercept": self.intercept,
            "parts": [part.meta() for part in self.parts],
            "about": getattr(self, "about", None),
        }
        arrays = {
            f"{n}/{name}": value
            for n, part in enumerate(self.parts)
            for name, value in part.arrays().items()
        }
        with open(path, "wb") as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)

    def related(self, results: dict[int, float], item_ids) -> dict[int, int]:
        for part in self.parts:
            if part.sim is not None:
                return part.related(results, item_ids)
        return {}

    def predict(
        self, user_id: int, results: dict[int, float], item_ids, *, fold_in: bool = False
    ) -> dict:
        predictions = [
            part.predict(user_id, results, item_ids, fold_in=fold_in) for part in self.parts
        ]
        known = set.intersection(*(set(p) for p in predictions)) if predictions else set()
        return {
            i: float(
                np.clip(
                    self.intercept
                    + sum(w * p[i] for w, p in zip(self.weights, predictions, strict=True)),
                    0.0,
                    1.0,
                )
            )
            for i in known
        }
