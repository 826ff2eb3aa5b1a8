"""Model selection sees only the training split; the new models survive the trip to a model file."""

import numpy as np
import pytest
from surprise.model_selection import KFold

from academy.paths import evaluate as ev
from academy.paths.recommender import build_dataset, export_scorer, make_algorithm
from academy.paths.scorer import BlendScorer, Scorer
from academy.paths.selection import select_model


def _ratings(learners=40, modules=10, seed=1):
    rng = np.random.default_rng(seed)
    ability, ease = rng.normal(0, 1, learners), rng.normal(0, 1, modules)
    rows = []
    for u in range(learners):
        for m in range(modules):
            if rng.random() < 0.6:
                rows.append((f"u{u}", f"m{m}", float(1 / (1 + np.exp(-(ability[u] + ease[m]))))))
    return rows


def _selection_saw_a_scoring_fold(monkeypatch, leak: bool) -> bool:
    """Run nested evaluation, recording what model selection is given on each outer fold; True when
    any of it belongs to the fold that choice is scored on."""
    rows = _ratings()
    seen = []
    real_select = ev.select_model

    def recording_select(train_rows, **kwargs):
        if leak:  # the planted leak: selection also gets the rows held back for scoring
            train_rows = list(train_rows) + [tuple(r) for r in rows]
        seen.append({(u, i) for u, i, _ in train_rows})
        return real_select(train_rows, components=SMALL, blends=[], **kwargs)

    monkeypatch.setattr(ev, "select_model", recording_select)
    ev.cross_validate_all(rows, folds=3, seed=4, tuned_svd=False)
    splits = KFold(n_splits=3, random_state=4).split(build_dataset(rows))
    return any(
        given & {(u, i) for u, i, _ in test}
        for given, (_train, test) in zip(seen, splits, strict=True)
    )


SMALL = [
    ("BaselineOnly", "BaselineOnly", {"verbose": False}, 1),
    ("Logit", "LogitFactors", {"n_factors": 1, "reg": 1.0, "reg_bias": 0.3}, 2),
]


def test_selection_never_sees_the_fold_it_is_scored_on(monkeypatch):
    assert not _selection_saw_a_scoring_fold(monkeypatch, leak=False)


def test_the_leak_check_catches_a_planted_leak(monkeypatch):
    assert _selection_saw_a_scoring_fold(monkeypatch, leak=True)


def test_small_data_falls_back_to_the_simpler_model():
    rows = _ratings(learners=8, modules=4)
    selection = select_model(rows, components=SMALL, blends=[])
    assert selection.n_ratings == len(rows) and {r.label for r in selection.table} == {
        "BaselineOnly",
        "Logit",
    }
    best = selection.table[0]
    chosen = next(r for r in selection.table if r.label == selection.label)
    assert chosen.rmse - best.rmse <= chosen.gap_se  # never a clearly worse model


@pytest.mark.parametrize(
    "name, params",
    [
        ("LogitFactors", {"n_factors": 2, "reg": 1.0, "reg_bias": 0.3, "alpha": 0.5, "k": 5}),
        (
            "Blend",
            {
                "components": [
                    ["BaselineOnly", {"verbose": False}],
                    ["LogitFactors", {"n_factors": 1}],
                ],
                "folds": 3,
            },
        ),
    ],
)
def test_new_models_are_served_as_trained(tmp_path, name, params):
    rows = [(int(u[1:]), int(i[1:]), r) for u, i, r in _ratings()]
    trainset = build_dataset(rows).build_full_trainset()
    algo = make_algorithm(name, params).fit(trainset)
    scorer = export_scorer(name, algo, params)
    scorer.save(tmp_path / "m.npz")
    loaded = Scorer.load(tmp_path / "m.npz")
    assert isinstance(loaded, BlendScorer) == (name == "Blend")
    user = 3
    results = {i: r for u, i, r in rows if u == user}
    served = loaded.predict(user, results, range(10))
    for item, value in served.items():
        assert value == pytest.approx(algo.predict(user, item).est, abs=1e-6)
    folded = loaded.predict(
        user, results, range(10), fold_in=True
    )  # refitted from the results alone
    assert max(abs(folded[i] - served[i]) for i in served) < 0.15


def test_the_model_names_a_related_module_from_its_similarities(tmp_path):
    rows = [(int(u[1:]), int(i[1:]), r) for u, i, r in _ratings(learners=60)]
    params = {"n_factors": 1, "reg": 1.0, "reg_bias": 0.3, "alpha": 0.5, "k": 5}
    algo = make_algorithm("LogitFactors", params).fit(build_dataset(rows).build_full_trainset())
    scorer = export_scorer("LogitFactors", algo, params)
    related = scorer.related({1: 0.9, 2: 0.4}, [1, 3, 4])
    assert set(related) <= {1, 3, 4} and all(
        other in (1, 2) and other != item for item, other in related.items()
    )
    assert (
        export_scorer(
            "BaselineOnly", make_algorithm("BaselineOnly").fit(algo.trainset), {}
        ).related({1: 1.0}, [3])
        == {}
    )
