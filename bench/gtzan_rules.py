"""GTZAN genre benchmark: each rule learner's test accuracy on the paper's split, beside XGBoost and LR.

Run from the repo root: `python bench/gtzan_rules.py`. Reads the paper's GTZAN table (`whytag.datasets.load_gtzan`).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from whytag.datasets import load_gtzan
from whytag.reasoning.learners import (
    BoostedLinearLearner,
    BoostedRulesLearner,
    EBMLearner,
    OneVsRestRuleLearner,
    RipperLearner,
    RuleFitLearner,
)


def rule_stats(learner: OneVsRestRuleLearner) -> str:
    """Rules per tag, conditions per rule, conditions per tag (mean/max) and linear terms per tag."""
    rules = [len(m.rules) for m in learner.models_.values()]
    linear = np.mean([len(m.linear) for m in learner.models_.values()])
    lengths = [len(r.conditions) for r in learner.rules_] or [0]
    conds = [m.n_conditions for m in learner.models_.values()]
    return (f"rules/tag {np.mean(rules):6.1f} (max {max(rules):4d})  cond/rule {np.mean(lengths):.2f} "
            f"(max {max(lengths)})  cond/tag {np.mean(conds):7.1f} (max {max(conds):5d})  linear/tag {linear:.1f}")


def main() -> None:
    # rows numbered 0…n-1, as these numbers were first measured: RIPPER's rules depend on the row labels
    X, y = (part.reset_index(drop=True) for part in load_gtzan())
    X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=0.8, random_state=4)
    print(f"GTZAN: {len(X_train)} train / {len(X_test)} test tracks, {X.shape[1]} features")
    from xgboost import XGBClassifier

    classes = sorted(y.unique())
    codes = pd.Series(range(len(classes)), index=classes)
    xgb = XGBClassifier(max_depth=2, learning_rate=0.3, objective="multi:softmax", n_jobs=2)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    for name, model, target in [("XGBoost d2 (baseline)", xgb, codes[y_train].to_numpy()),
                                ("LogisticRegression (baseline)", lr, y_train)]:
        start = time.time()
        model.fit(X_train, target)
        predicted = model.predict(X_test)
        if name.startswith("XGB"):
            predicted = np.asarray(classes)[predicted.astype(int)]
        print(f"{name:34s} acc {np.mean(predicted == y_test):.3f}  fit {time.time() - start:6.1f}s")
    learners: list[tuple[str, OneVsRestRuleLearner]] = [
        ("RIPPER OvR", RipperLearner(id_prefix="genre")),
        ("RuleFit OvR (rules only)", RuleFitLearner(id_prefix="genre")),
        ("EBM OvR, 5 pairs (exact)", EBMLearner(interactions=5, n_jobs=2, id_prefix="genre")),
        ("BoostedRules stumps", BoostedRulesLearner(id_prefix="genre")),
        ("BoostedLinear stumps+linear (default)", BoostedLinearLearner(id_prefix="genre")),
    ]
    for name, learner in learners:
        start = time.time()
        learner.fit(X_train, y_train)
        seconds = time.time() - start
        accuracy = float(np.mean(learner.predict(X_test) == y_test))
        print(f"{name:34s} acc {accuracy:.3f}  fit {seconds:6.1f}s  {rule_stats(learner)}")


if __name__ == "__main__":
    main()
