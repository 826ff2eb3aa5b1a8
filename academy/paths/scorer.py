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


class IncompatibleModel(ValueError):
    """The file is not a model this code can serve."""


class Scorer:
    def __init__(self, kind, mu, users, items, bu, bi, *, pu=None, qi=None, sim=None, k=40, reg=0.02):
        self.kind, self.mu, self.k, self.reg = kind, float(mu), int(k), float(reg)
        self.users = np.asarray(users, dtype=np.int64)
        self.items = np.asarray(items, dtype=np.int64)
        self.bu, self.bi = np.asarray(bu, dtype=np.float64), np.asarray(bi, dtype=np.float64)
        factors = 0 if pu is None else np.asarray(pu).shape[1]
        self.pu = np.zeros((len(self.users), factors)) if pu is None else np.asarray(pu, dtype=np.float64)
        self.qi = np.zeros((len(self.items), factors)) if qi is None else np.asarray(qi, dtype=np.float64)
        self.sim = None if sim is None else np.asarray(sim, dtype=np.float64)
        self._user_index = {int(u): n for n, u in enumerate(self.users)}
        self._item_index = {int(i): n for n, i in enumerate(self.items)}

    # ---- files ---------------------------------------------------------------------------
    def save(self, path) -> None:
        meta = json.dumps({"format": FORMAT, "kind": self.kind, "mu": self.mu, "k": self.k, "reg": self.reg})
        arrays = dict(meta=np.array(meta), users=self.users, items=self.items, bu=self.bu, bi=self.bi,
                      pu=self.pu, qi=self.qi)
        if self.sim is not None:
            arrays["sim"] = self.sim
        with open(path, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path) -> Scorer:
        """Read a model file; anything unreadable or from another format raises IncompatibleModel."""
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("format") != FORMAT or meta.get("kind") not in ("factors", "neighbours"):
                    raise IncompatibleModel(f"unsupported model format {meta.get('format')!r}")
                arrays = {name: data[name] for name in data.files if name != "meta"}
        except (IncompatibleModel, FileNotFoundError):
            raise
        except Exception as exc:  # noqa: BLE001 - zip, JSON, key or dtype errors all mean "corrupt"
            raise IncompatibleModel(f"unreadable model file: {exc}") from exc
        scorer = cls(meta["kind"], meta["mu"], arrays["users"], arrays["items"], arrays["bu"], arrays["bi"],
                     pu=arrays["pu"], qi=arrays["qi"], sim=arrays.get("sim"), k=meta["k"], reg=meta["reg"])
        scorer._check_shapes()
        return scorer

    def _check_shapes(self) -> None:
        n_users, n_items = len(self.users), len(self.items)
        ok = (self.bu.shape == (n_users,) and self.bi.shape == (n_items,)
              and self.pu.shape[0] == n_users and self.qi.shape[0] == n_items
              and self.pu.shape[1] == self.qi.shape[1]
              and (self.sim is None or self.sim.shape == (n_items, n_items)))
        if not ok:
            raise IncompatibleModel("model arrays have inconsistent shapes")

    # ---- prediction ----------------------------------------------------------------------
    def predict(self, user_id: int, results: dict[int, float], item_ids, *, fold_in: bool = False) -> dict:
        """Predicted 0..1 scores for ``item_ids`` the model knows (others are left out).

        ``results`` are the learner's current scores; they are used when the learner is unknown to
        the model or ``fold_in`` says their results changed since training.
        """
        wanted = [(i, self._item_index[int(i)]) for i in item_ids if int(i) in self._item_index]
        if not wanted:
            return {}
        rated = [(self._item_index[int(i)], float(s)) for i, s in results.items() if int(i) in self._item_index]
        index = self._user_index.get(int(user_id))
        if index is not None and not fold_in:
            bu, pu = self.bu[index], self.pu[index]
        else:
            bu, pu = self._fold_in(rated)
        idx = np.array([n for _, n in wanted])
        est = self.mu + bu + self.bi[idx]
        if self.kind == "factors":
            est = est + self.qi[idx] @ pu
        else:
            est = est + self._neighbour_offsets(idx, rated, bu)
        return {i: float(v) for (i, _), v in zip(wanted, np.clip(est, 0.0, 1.0))}

    def _fold_in(self, rated):
        """Best user bias and factors for these results, item side fixed (ridge regression)."""
        factors = self.qi.shape[1]
        if not rated:
            return 0.0, np.zeros(factors)
        idx = np.array([n for n, _ in rated])
        target = np.array([s for _, s in rated]) - self.mu - self.bi[idx]
        design = np.hstack([np.ones((len(idx), 1)), self.qi[idx]])
        penalty = (self.reg * len(idx) + 1.0) * np.eye(factors + 1)
        solution = np.linalg.solve(design.T @ design + penalty, design.T @ target)
        return float(solution[0]), solution[1:]

    def _neighbour_offsets(self, idx, rated, bu) -> np.ndarray:
        if not rated:
            return np.zeros(len(idx))
        rated_idx = np.array([n for n, _ in rated])
        deviations = np.array([s for _, s in rated]) - (self.mu + bu + self.bi[rated_idx])
        sims = self.sim[np.ix_(idx, rated_idx)]
        offsets = np.zeros(len(idx))
        for row, target in enumerate(idx):
            order = np.argsort(-sims[row])[: self.k]
            weights = sims[row, order]
            keep = (weights > 0) & (rated_idx[order] != target)
            if keep.any():
                offsets[row] = (weights[keep] * deviations[order][keep]).sum() / weights[keep].sum()
        return offsets
