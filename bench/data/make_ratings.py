"""Generate a synthetic ``user,item,score`` CSV with known structure.

Each learner has a general ability and a skill vector over a few latent topics; each module has a
difficulty and topic loadings. The score on a 0..100 scale is
``100 * sigmoid(ability + skills·loadings - difficulty + noise)``, so a good model recovers biases
plus a low-rank interaction, and a global mean cannot. Learners take a skewed random subset of
modules (popular modules more often).

    python -m bench.data.make_ratings --learners 100000 --modules 200 --ratings 1000000 --out r.csv
"""

from __future__ import annotations

import argparse
import csv

import numpy as np


def generate(
    learners: int, modules: int, ratings: int, topics: int = 3, noise: float = 0.35, seed: int = 7
):
    """Return (user_idx, item_idx, score_0_100) arrays with distinct (user, item) pairs."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0.0, 0.6, learners)
    skills = rng.normal(0.0, 0.8, (learners, topics))
    difficulty = rng.normal(-0.3, 0.7, modules)
    loadings = np.abs(rng.normal(0.0, 0.7, (modules, topics)))
    popularity = rng.zipf(1.6, modules).astype(float)
    popularity = np.minimum(popularity, 50.0)
    popularity /= popularity.sum()
    per_user = max(1, ratings // learners)
    users = np.repeat(np.arange(learners), per_user)
    items = np.empty_like(users)
    for u in range(learners):  # distinct modules per learner
        items[u * per_user : (u + 1) * per_user] = rng.choice(
            modules, per_user, replace=False, p=popularity
        )
    logits = (
        ability[users] + np.einsum("ij,ij->i", skills[users], loadings[items]) - difficulty[items]
    )
    logits += rng.normal(0.0, noise, len(users))
    scores = np.round(100.0 / (1.0 + np.exp(-logits)), 1)
    return users, items, scores


def write_csv(path: str, users, items, scores) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "item", "score"])
        writer.writerows(
            zip((f"u{u}" for u in users), (f"m{i}" for i in items), scores.tolist(), strict=True)
        )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--ratings", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    users, items, scores = generate(args.learners, args.modules, args.ratings, seed=args.seed)
    write_csv(args.out, users, items, scores)
    print(f"{len(scores)} ratings -> {args.out}")


if __name__ == "__main__":
    main()
