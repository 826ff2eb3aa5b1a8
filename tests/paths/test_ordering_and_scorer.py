"""Pure pieces: topological ordering with urgency, and folding a new learner into a model."""

import numpy as np

from academy.paths import ordering
from academy.paths.scorer import Scorer


def test_prerequisite_inherits_urgency_and_cycles_do_not_lose_modules():
    keys = {1: (ordering.GAP, 0, -0.1), 2: (ordering.OVERDUE, 0, 0), 3: (ordering.GAP, 0, -0.5)}
    prereqs = {2: [1]}
    keys = ordering.inherit_urgency(keys, prereqs)
    assert ordering.topological_order(keys, prereqs, tiebreak=lambda m: m) == [1, 2, 3]
    cyclic = {1: [3], 3: [1]}
    assert sorted(ordering.topological_order(keys, cyclic, tiebreak=lambda m: m)) == [1, 2, 3]


def test_new_learner_is_folded_in_from_their_results(tmp_path):
    qi = np.array([[1.0], [1.0], [-1.0]])
    scorer = Scorer(
        "factors", 0.5, [10], [1, 2, 3], [0.0], [0.0, 0.0, 0.0], pu=np.zeros((1, 1)), qi=qi
    )
    scorer.save(tmp_path / "m.npz")
    loaded = Scorer.load(tmp_path / "m.npz")
    strong = loaded.predict(99, {1: 1.0}, [2, 3])
    weak = loaded.predict(98, {1: 0.0}, [2, 3])
    assert strong[2] > weak[2] and strong[3] < strong[2]
    assert loaded.predict(99, {}, [2, 404]) == {2: 0.5}  # unknown module left to the fallback
