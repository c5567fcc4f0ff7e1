"""The shared-split stump booster: one split per round for every tag, compiled exactly into rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from whytag.reasoning.learners import BoostedRulesLearner
from whytag.reasoning.learners.stumps import SharedStumps, boost_shared_stumps


def related_tags(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ten noise features and two signal features; nine common tags and one rare tag all step on them."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, 12)), columns=[f"f{i}" for i in range(12)])
    step = 2.0 * (X["f0"] > 0.6) + 1.5 * (X["f1"] < 0.3)
    tags = {f"common{j}": rng.random(n) < 1 / (1 + np.exp(-(step - 1.2 + rng.normal(0, 0.3)))) for j in range(9)}
    tags["rare"] = rng.random(n) < 1 / (1 + np.exp(-(step - 4.5)))
    return X, pd.DataFrame(tags).astype(int)


def logits(stumps: SharedStumps, X: pd.DataFrame) -> np.ndarray:
    """(rows, tags): intercepts plus the weights of each split `feature >= threshold` that holds."""
    out = np.tile(stumps.intercepts, (len(X), 1))
    for (feature, threshold), weights in stumps.splits.items():
        out[X[feature].to_numpy() >= threshold] += weights  # NaN compares false: missing never fires
    return out


def test_compiled_rules_reproduce_the_boosters_logits_missing_values_included() -> None:
    X, Y = related_tags(500, seed=0)
    X.iloc[::6, 0] = np.nan
    stumps = boost_shared_stumps(X, Y.to_numpy(), n_iter=40)
    learner = BoostedRulesLearner(max_iter=40, max_conditions=None).fit(X, Y)
    np.testing.assert_allclose(learner.decision_function(X).to_numpy(), logits(stumps, X), atol=1e-9)
    assert sum(len(m.rules) for m in learner.models_.values()) == sum((w != 0).sum() for w in stumps.splits.values())


def test_splits_are_shared_and_found_where_the_signal_is() -> None:
    X, Y = related_tags(800, seed=1)
    learner = BoostedRulesLearner(max_iter=30).fit(X, Y)  # multi-label stumps: shared by default
    per_tag = [{(c.feature, c.threshold) for r in m.rules for c in r.conditions} for m in learner.models_.values()]
    assert all(s <= set().union(*per_tag) for s in per_tag) and len(set().union(*per_tag)) <= 30
    assert {c.op for r in learner.rules_ for c in r.conditions} == {">="}
    heaviest = max(learner.models_["common0"].rules, key=lambda r: abs(r.weight)).conditions[0]
    assert heaviest.feature in {"f0", "f1"}


def test_a_rare_tag_ranks_better_with_shared_splits() -> None:
    X, Y = related_tags(1200, seed=2)
    train, test = slice(0, 600), slice(600, None)
    aucs = {}
    for shared in (True, False):
        learner = BoostedRulesLearner(shared_splits=shared).fit(X.iloc[train], Y.iloc[train])
        aucs[shared] = roc_auc_score(Y["rare"].iloc[test], learner.predict_proba(X.iloc[test])["rare"])
    assert Y["rare"].iloc[train].sum() < 50
    assert aucs[True] > aucs[False] + 0.02, aucs


def test_single_label_data_keeps_a_split_per_tag_and_depth_two_cannot_share() -> None:
    X, Y = related_tags(400, seed=3)
    y = pd.Series(np.where(X["f0"] > 0.6, "high", np.where(X["f2"] < 0.3, "low", "mid")))
    learner = BoostedRulesLearner(max_iter=30).fit(X, y)
    assert {c.op for r in learner.rules_ for c in r.conditions} <= {">", "<="}  # HistGradientBoosting's rules
    with pytest.raises(ValueError, match="shared_splits boosts stumps only"):
        BoostedRulesLearner(max_depth=2, shared_splits=True).fit(X, Y)


def test_unsplittable_data_leaves_each_tag_its_base_rate() -> None:
    X = pd.DataFrame({"constant": [1.0] * 30, "two rows apart": [0.0] * 28 + [1.0] * 2})
    Y = np.array([[0, 1]] * 10 + [[1, 0]] * 20)
    stumps = boost_shared_stumps(X, Y, min_samples_leaf=3)
    assert stumps.splits == {}
    np.testing.assert_allclose(1 / (1 + np.exp(-logits(stumps, X))), np.tile(Y.mean(axis=0), (30, 1)))


def test_separable_tags_stop_growing_once_fitted() -> None:
    """Like HistGradientBoosting, a side whose rows are already fitted takes no further steps."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.random(200), "noise": rng.random(200)})
    Y = np.stack([X["x"] > 0.5, X["x"] <= 0.5], axis=1).astype(int)
    stumps = boost_shared_stumps(X, Y, n_iter=200)
    fitted = logits(stumps, X)
    assert ((fitted > 0) == Y.astype(bool)).all()
    assert np.abs(fitted).max() < 14  # measured 11.7; without the hessian floor 20.9 and still rising



def test_a_tag_only_splits_on_its_allowed_features() -> None:
    X, Y = related_tags(500, seed=4)
    allowed = np.zeros((12, 10), dtype=bool)
    allowed[[0, 3], :] = True  # every tag may use f0 and f3, the first five tags also f1 (a signal feature)
    allowed[1, :5] = True
    stumps = boost_shared_stumps(X, Y.to_numpy(), n_iter=60, allowed=allowed)
    for t in range(10):
        used = {f for (f, _), w in stumps.splits.items() if w[t] != 0}
        assert used <= {"f0", "f3"} | ({"f1"} if t < 5 else set())
        assert ("f1" in used) == (t < 5)
    with pytest.raises(ValueError, match="features × tags"):
        boost_shared_stumps(X, Y.to_numpy(), n_iter=5, allowed=allowed[:, :3])


def test_a_budgeted_learner_is_the_booster_masked_to_its_chosen_features() -> None:
    X, Y = related_tags(500, seed=5)
    X.iloc[::6, 1] = np.nan
    learner = BoostedRulesLearner(max_iter=40, max_conditions=None, max_features=3).fit(X, Y)
    allowed = np.array([X.columns.isin(learner.features_[tag]) for tag in Y.columns]).T
    assert (allowed.sum(axis=0) == 3).all() and allowed[:2].all()  # f0, f1 (the signal) for every tag
    stumps = boost_shared_stumps(X, Y.to_numpy(), n_iter=40, allowed=allowed)
    np.testing.assert_allclose(learner.decision_function(X).to_numpy(), logits(stumps, X), atol=1e-9)
