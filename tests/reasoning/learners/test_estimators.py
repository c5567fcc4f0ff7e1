"""Every registered learner is a scikit-learn estimator: clone, set_params and cross_val_score work on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold, cross_val_score

from whytag.reasoning.learners import SparseBoostedLinearLearner, changed_parameters, registry

# Small settings, so that each fit takes a moment (EBM and RuleFit still take seconds a tag).
FAST = {"concise": {"max_iter": 20, "max_features": 3, "smaller": (2,)}, "boosted-linear": {"max_iter": 20},
        "additive": {"max_iter": 20, "max_features": 3, "smaller": (2,)},
        "sparse": {"max_iter": 20, "max_features": 2}, "boosted": {"max_iter": 20},
        "ebm": {"interactions": 0, "max_bins": 16}, "rulefit": {"n_estimators": 10, "max_rules": 5},
        "ripper": {"n_bins": 4}, "dl": {"max_conjunctions": 2}}
SLOW = {"ebm", "rulefit"}


def table(rows: int = 80) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Four uniform features; tag `a` holds iff f1 > 0.5, tag `b` iff f2 < 0.3."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((rows, 4)), columns=["f1", "f2", "f3", "f4"])
    return X, pd.DataFrame({"a": (X.f1 > 0.5).astype(int), "b": (X.f2 < 0.3).astype(int)})


def macro_auc(learner, X: pd.DataFrame, Y: pd.DataFrame) -> float:
    """Macro ROC-AUC of the learner's per-tag scores (a scorer for cross_val_score on multi-label Y)."""
    scores = learner.predict_proba(X)
    return float(np.mean([roc_auc_score(Y[tag], scores[tag]) for tag in Y.columns]))


def test_every_registered_learner_is_covered_here() -> None:
    assert set(FAST) == set(registry())


@pytest.mark.parametrize("name", sorted(FAST))
def test_clone_and_set_params_work_on_the_parameters(name) -> None:
    learner = registry()[name](random_state=3, threshold="f1")
    copy = clone(learner)
    assert copy is not learner and copy.get_params(deep=True) == learner.get_params(deep=False)
    assert repr(copy) == repr(learner)
    copy.set_params(**FAST[name])
    assert all(getattr(copy, k) == v for k, v in FAST[name].items()) and repr(copy) != repr(learner)


@pytest.mark.parametrize("name", sorted(FAST))
def test_cross_val_score_runs_on_every_learner(name) -> None:
    X, Y = table()
    learner = registry()[name](**FAST[name])
    auc = cross_val_score(learner, X, Y, cv=KFold(2, shuffle=True, random_state=0), scoring=macro_auc)
    assert auc.shape == (2,) and auc.min() > 0.8


@pytest.mark.parametrize("name", sorted(set(FAST) - SLOW))
def test_a_clone_of_a_fitted_learner_refits_to_the_same_model(name) -> None:
    X, Y = table()
    y = Y["a"].map({0: "low", 1: "high"})
    fitted = registry()[name](**FAST[name]).fit(X, y)
    copy = clone(fitted)
    assert not hasattr(copy, "models_")
    pd.testing.assert_frame_equal(copy.fit(X, y).decision_function(X), fitted.decision_function(X))
    assert cross_val_score(fitted, X, y, cv=2).min() > 0.8  # single-label: the default scorer, accuracy


def test_the_learner_text_of_a_model_graph_is_unchanged() -> None:
    """`wt:learner` records the repr: class and every constructor parameter in the constructor's order."""
    assert repr(SparseBoostedLinearLearner()) == (
        "SparseBoostedLinearLearner(max_features=8, linear_C=0.1, linear_weight=0.5, linear_rank=16, max_depth=1, "
        "max_iter=200, learning_rate=0.1, max_bins=32, l2_regularization=0.0, min_samples_leaf=10, "
        "max_conditions=100, shared_splits=None, random_state=0, id_prefix='tag', threshold=0.5)")


def test_a_learner_text_is_read_back_as_the_parameters_not_at_their_defaults() -> None:
    """`whytag models` shows these, not the ~400 characters of every parameter."""
    text = f"sparse: {SparseBoostedLinearLearner(max_depth=2, id_prefix='gtzan', threshold='f1')!r}"
    assert changed_parameters(text) == ("sparse", ["max_depth=2", "id_prefix='gtzan'", "threshold='f1'"])
    assert changed_parameters(f"sparse: {SparseBoostedLinearLearner()!r}") == ("sparse", [])
    assert changed_parameters("sparse: Sparse(est=Tree(depth=3))") == ("sparse", ["est=Tree(depth=3)"])
    for other in ("mine: MyLearner(a=1)", "sparse: Sparse(", "a learner without a name"):
        assert changed_parameters(other) is None  # shown as the card has it


def test_the_f1_cut_is_the_distinct_score_whose_cut_has_the_best_training_f1():
    from whytag.reasoning.learners.base import best_f1_cut

    rng = np.random.default_rng(1)
    for _ in range(200):  # ties (rounded scores), rare and common tags, a tag with no positive
        n = int(rng.integers(2, 300))
        scores, y = np.round(rng.random(n), int(rng.integers(1, 4))), rng.random(n) < rng.random()
        cuts = np.unique(scores)
        f1 = [2 * (y & (scores >= c)).sum() / (y.sum() + (scores >= c).sum()) for c in cuts]
        found, i = best_f1_cut(scores, y)
        assert list(found) == list(cuts) and i == int(np.argmax(f1))
    assert best_f1_cut(np.array([0.1, 0.4, 0.4, 0.9]), np.array([False, True, False, True]))[1] == 1
