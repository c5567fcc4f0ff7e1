"""A fitted HistGradientBoosting model read back as weighted rule bodies whose sum is its logit, exactly."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from whytag.reasoning.learners.base import Body
from whytag.reasoning.model import Condition


def boosted_bodies(hgb, names: list[str], has_missing: np.ndarray) -> dict[Body, float]:
    """A fitted binary HistGradientBoostingClassifier as {rule body: summed weight}; the empty body is its baseline.

    scikit-learn (1.9) offers no public route to a fitted HGB's trees, and none of its public estimators
    boosts the same trees, so this one function reads the private `_baseline_prediction` and `_predictors`.
    tests/reasoning/learners/test_learners.py checks the compiled logit against `hgb.decision_function`, so a
    change of those attributes in a later scikit-learn fails there, not silently.
    """
    bodies: dict[Body, float] = defaultdict(float)
    bodies[frozenset()] = float(np.ravel(hgb._baseline_prediction)[0])
    for (predictor,) in hgb._predictors:
        for body, weight in expand_tree(predictor.nodes, 0, names, has_missing).items():
            bodies[body] += weight
    return bodies


def expand_tree(nodes: np.ndarray, i: int, names: list[str], has_missing: np.ndarray) -> dict[Body, float]:
    """A fitted HGB tree as {rule body: weight} whose sum over fired bodies equals the tree's output.

    value(split) = value(a) + [c_b] * (value(b) - value(a)), where b's condition c_b is false on a
    missing value and a is the side a missing value goes to. For a feature without missing values in
    training we always take b as the `>` side, so repeated thresholds merge across trees.
    """
    node = nodes[i]
    if node["is_leaf"]:
        return {frozenset(): float(node["value"])}
    f, t = int(node["feature_idx"]), float(node["num_threshold"])
    left, right = (expand_tree(nodes, node["left"], names, has_missing),
                   expand_tree(nodes, node["right"], names, has_missing))
    if node["missing_go_to_left"] or not has_missing[f]:
        base, other, condition = left, right, Condition(names[f], ">", t)
    else:
        base, other, condition = right, left, Condition(names[f], "<=", t)
    out: dict[Body, float] = defaultdict(float, base)
    for body, weight in other.items():
        out[body | {condition}] += weight
    for body, weight in base.items():
        out[body | {condition}] -= weight
    return out
