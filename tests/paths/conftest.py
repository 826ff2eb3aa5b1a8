"""Helpers for learning-path tests: results written straight into the signal table."""

from __future__ import annotations

import random
import re

import pytest

from academy.auth.models import User
from academy.database import db, utcnow
from academy.learning.models import ModuleResult


@pytest.fixture(autouse=True)
def _fresh_every_request(app):
    """No per-process caching between steps of a test."""
    app.config.update(
        PATH_CATALOGUE_SECONDS=0,
        RECOMMENDER_RELOAD_SECONDS=0,
        RECOMMENDER_CV_FOLDS=0,
        RECOMMENDER_RETRAIN_EVERY=0,
        RECOMMENDER_PARAMS={
            "SVD": {
                "n_factors": 4,
                "n_epochs": 15,
                "lr_all": 0.01,
                "reg_all": 0.05,
                "random_state": 1,
            }
        },
    )


@pytest.fixture
def give_results(app):
    """give_results(user, {module: score}) records best scores as submit_attempt would."""

    def give(user, scores: dict):
        for module, score in scores.items():
            passed = score >= module.course.pass_threshold
            db.session.add(
                ModuleResult(
                    user_id=user.id,
                    module_id=module.id,
                    best_score=score,
                    attempts_count=1,
                    passed_at=utcnow() if passed else None,
                )
            )
        db.session.commit()

    return give


@pytest.fixture
def population(app, give_results):
    """``n`` other learners with results on ``modules`` (score per module from ``mean``).

    Made without passwords: they never sign in, and hashing would dominate the test's time."""

    def build(modules, means: dict, n: int = 12, seed: int = 3, unit=None, position="Chuyên viên"):
        rng = random.Random(seed)
        for k in range(n):
            learner = User(
                email=f"hv{seed}-{k}@hvs.gov.vn",
                full_name=f"Học viên {k}",
                unit=unit,
                position=position,
            )
            db.session.add(learner)
            db.session.flush()
            give_results(
                learner, {m: min(1.0, max(0.0, means[m] + rng.uniform(-0.1, 0.1))) for m in modules}
            )

    return build


def item_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-module-id="(\d+)"', html)]
