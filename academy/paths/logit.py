"""A logistic-link factor model with an item-similarity correction, as a Surprise ``AlgoBase``.

Scores are shares of correct answers (0..1), so the model predicts in logit space:
``score ≈ σ(m + b_u + b_i + p_u·q_i)``, fitted by L-BFGS on the cross-entropy of the fractional
targets with L2 penalties. On top, an optional item-item correction: items are compared by how the
same learners' residuals (score minus the model's prediction) move together, and a learner's
residuals on similar modules shift the prediction. Both parts stay explainable: a learner bias, a
module difficulty, a few latent tastes, and "learners who did better than expected on X also did
on Y".
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from surprise import AlgoBase, PredictionImpossible
from surprise.prediction_algorithms.predictions import Prediction
from threadpoolctl import threadpool_limits

EPS = 1e-4


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logit(p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def trainset_arrays(trainset):
    """(users, items, scores) inner-id arrays of a Surprise trainset."""
    n = trainset.n_ratings
    users, items, scores = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    for k, (u, i, r) in enumerate(trainset.all_ratings()):
        users[k], items[k], scores[k] = u, i, r
    return users, items, scores


def fit_logit_factors(
    users,
    items,
    scores,
    n_users,
    n_items,
    *,
    n_factors=4,
    reg=1.0,
    reg_bias=0.1,
    max_iter=150,
    random_state=0,
):
    """Minimise Σ CE(r, σ(z)) + reg·(|P|²+|Q|²) + reg_bias·(|b_u|²+|b_i|²).

    Returns (m, bu, bi, P, Q)."""
    k = n_factors
    # one csr entry per rating (a repeated pair stays two entries), its data refilled on each call
    order = np.lexsort((items, users))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(users, minlength=n_users))])
    ratings = sparse.csr_matrix((scores[order], items[order], indptr), shape=(n_users, n_items))
    rng = np.random.default_rng(random_state)
    x0 = np.concatenate(
        [
            [logit(scores.mean())],
            np.zeros(n_users + n_items),
            rng.normal(0, 0.05, (n_users + n_items) * k),
        ]
    )
    sizes = np.cumsum([1, n_users, n_items, n_users * k])

    def unpack(x):
        m, bu, bi, p, q = np.split(x, sizes)
        return m[0], bu, bi, p.reshape(n_users, k), q.reshape(n_items, k)

    def loss(x):
        m, bu, bi, p, q = unpack(x)
        z = m + bu[users] + bi[items] + np.einsum("nk,nk->n", p[users], q[items])
        # cross-entropy of fractional targets, written stably: log(1+e^z) - r·z
        ce = np.logaddexp(0, z) - scores * z
        g = sigmoid(z) - scores
        ratings.data = g[order]
        grad_p = ratings @ q + 2 * reg * p
        grad_q = ratings.T @ p + 2 * reg * q
        grad_bu = np.bincount(users, g, n_users) + 2 * reg_bias * bu
        grad_bi = np.bincount(items, g, n_items) + 2 * reg_bias * bi
        value = (
            ce.sum()
            + reg * (np.square(p).sum() + np.square(q).sum())
            + reg_bias * (bu @ bu + bi @ bi)
        )
        return value, np.concatenate([[g.sum()], grad_bu, grad_bi, grad_p.ravel(), grad_q.ravel()])

    # One BLAS thread: the arrays are small and threads fighting over shared cores cost 40× here.
    with threadpool_limits(1):
        result = minimize(loss, x0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return unpack(result.x)


def residual_similarity(users, items, residuals, n_users, n_items, *, shrink=20.0, k=30):
    """Item-item residual similarity over co-rating learners (shrunk cosine), top ``k`` per row."""
    e = sparse.csr_matrix((residuals, (users, items)), shape=(n_users, n_items))
    b = sparse.csr_matrix((np.ones_like(residuals), (users, items)), shape=(n_users, n_items))
    e2 = e.multiply(e)
    num = (e.T @ e).toarray()
    counts = (b.T @ b).toarray()
    den = np.sqrt((e2.T @ b).toarray() * (b.T @ e2).toarray())
    sim = np.divide(num, den, out=np.zeros_like(num), where=den > 0) * counts / (counts + shrink)
    np.fill_diagonal(sim, 0.0)
    if 0 < k < n_items:
        cut = -np.partition(-np.abs(sim), k - 1, axis=1)[:, k - 1 : k]
        sim[np.abs(sim) < cut] = 0.0
    return sim


def neighbour_offsets(sim, target_items, rated_items, rated_residuals, damp):
    """Σ sim·residual / (Σ|sim| + damp) over the learner's rated items, for each target item."""
    s = sim[np.ix_(target_items, rated_items)]
    return (s @ rated_residuals) / (np.abs(s).sum(axis=1) + damp)


class LogitFactors(AlgoBase):
    """σ(m + b_u + b_i + p_u·q_i) on fractional targets, plus ``alpha`` × residual kNN offset."""

    def __init__(
        self,
        n_factors=4,
        reg=1.0,
        reg_bias=0.1,
        max_iter=150,
        alpha=0.0,
        k=30,
        shrink=20.0,
        damp=1.0,
        random_state=0,
    ):
        AlgoBase.__init__(self)
        self.n_factors, self.reg, self.reg_bias, self.max_iter = n_factors, reg, reg_bias, max_iter
        self.alpha, self.k, self.shrink, self.damp, self.random_state = (
            alpha,
            k,
            shrink,
            damp,
            random_state,
        )

    def fit(self, trainset):
        AlgoBase.fit(self, trainset)
        users, items, scores = trainset_arrays(trainset)
        n_users, n_items = trainset.n_users, trainset.n_items
        # the same factors with and without the kNN correction: fit them once per trainset
        key = (self.n_factors, self.reg, self.reg_bias, self.max_iter, self.random_state)
        cache = trainset.__dict__.setdefault("_logit_factors", {})
        if key not in cache:
            cache[key] = fit_logit_factors(
                users,
                items,
                scores,
                n_users,
                n_items,
                n_factors=self.n_factors,
                reg=self.reg,
                reg_bias=self.reg_bias,
                max_iter=self.max_iter,
                random_state=self.random_state,
            )
        self.m, self.bu, self.bi, self.pu, self.qi = cache[key]
        fitted = sigmoid(
            self.m
            + self.bu[users]
            + self.bi[items]
            + np.einsum("nk,nk->n", self.pu[users], self.qi[items])
        )
        self.sim = None
        if self.alpha:
            residuals = scores - fitted
            self.sim = residual_similarity(
                users, items, residuals, n_users, n_items, shrink=self.shrink, k=self.k
            )
            self.residuals = sparse.csr_matrix(
                (residuals, (users, items)), shape=(n_users, n_items)
            )
        return self

    def logit_score(self, u, i) -> float:
        z = self.m
        if self.trainset.knows_user(u):
            z += self.bu[u]
        if self.trainset.knows_item(i):
            z += self.bi[i]
            if self.trainset.knows_user(u):
                z += self.pu[u] @ self.qi[i]
        return z

    def estimate(self, u, i):
        if not (self.trainset.knows_user(u) or self.trainset.knows_item(i)):
            raise PredictionImpossible("unknown learner and module")
        est = sigmoid(self.logit_score(u, i))
        if self.sim is not None and self.trainset.knows_user(u) and self.trainset.knows_item(i):
            row = self.residuals.getrow(u)
            if row.nnz:
                est += (
                    self.alpha
                    * neighbour_offsets(self.sim, [i], row.indices, row.data, self.damp)[0]
                )
        return float(np.clip(est, 0.0, 1.0))

    def test(self, testset, verbose=False):
        """Surprise's ``test``, vectorised: selection predicts hundreds of thousands of pairs."""
        ts = self.trainset
        uids = np.array(
            [ts._raw2inner_id_users.get(u, -1) for u, _i, _r in testset], dtype=np.int64
        )
        iids = np.array(
            [ts._raw2inner_id_items.get(i, -1) for _u, i, _r in testset], dtype=np.int64
        )
        known_u, known_i = uids >= 0, iids >= 0
        u, i = np.where(known_u, uids, 0), np.where(known_i, iids, 0)
        z = (
            self.m
            + np.where(known_u, self.bu[u], 0.0)
            + np.where(known_i, self.bi[i], 0.0)
            + np.where(known_u & known_i, np.einsum("nk,nk->n", self.pu[u], self.qi[i]), 0.0)
        )
        est = sigmoid(z)
        if self.sim is not None:
            both = np.flatnonzero(known_u & known_i)
            est[both] += self.alpha * self._offsets(u[both], i[both])
        est = np.where(known_u | known_i, np.clip(est, 0.0, 1.0), ts.global_mean)
        return [
            Prediction(ru, ri, r, float(e), {}) for (ru, ri, r), e in zip(testset, est, strict=True)
        ]

    def _offsets(self, users, items):
        """The kNN offsets of many (user, item) pairs, in row blocks of users."""
        out = np.empty(len(users))
        residuals, weights = self.residuals, self.residuals.copy()
        weights.data = np.ones_like(weights.data)
        for start in range(0, len(users), 20_000):
            u, i = users[start : start + 20_000], items[start : start + 20_000]
            r_rows, w_rows = residuals[u], weights[u]
            num = np.asarray(r_rows.multiply(self.sim[i]).sum(axis=1)).ravel()
            den = np.asarray(w_rows.multiply(np.abs(self.sim[i])).sum(axis=1)).ravel()
            out[start : start + 20_000] = num / (den + self.damp)
        return out
