"""Jamendo mood/theme benchmark: macro ROC-AUC / PR-AUC of each rule learner on a fixed seeded 80/20 split.

Run from the repo root: `python bench/jamendo_rules.py`. Reads ../shared/data/jamendo_moodtheme_dev.csv.
The split is by track (random_state=0); tags without a positive in the test part are left out of the
macro averages (the script says how many).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from whytag.reasoning.learners import (BoostedRulesLearner, EBMLearner, OneVsRestRuleLearner, RipperLearner,
                                       RuleFitLearner)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "jamendo_moodtheme_dev.csv"


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features (61 + Vocal-Instrumental) and the 56 tag columns (the lower-case mood/theme words)."""
    if not DATA.exists():
        sys.exit(f"Jamendo table not found at {DATA}; it lives in ../shared/data next to the repo")
    table = pd.read_csv(DATA)
    tags = [c for c in table.columns if c.isalpha() and c.islower()]
    return table.drop(columns=["Track", *tags]), table[tags]


def macro_scores(Y: pd.DataFrame, scores: pd.DataFrame) -> tuple[float, float]:
    """Macro ROC-AUC and PR-AUC over tags that have both classes in Y."""
    tags = [t for t in Y.columns if Y[t].nunique() == 2]
    roc = np.mean([roc_auc_score(Y[t], scores[t]) for t in tags])
    pr = np.mean([average_precision_score(Y[t], scores[t]) for t in tags])
    return float(roc), float(pr)


def main() -> None:
    from xgboost import XGBClassifier

    X, Y = load()
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.2, random_state=0)
    scored = [t for t in Y.columns if Y_test[t].nunique() == 2]
    print(f"Jamendo: {len(X_train)} train / {len(X_test)} test tracks, {X.shape[1]} features, {Y.shape[1]} tags "
          f"({len(scored)} with a test positive are averaged)")
    baselines = [("XGBoost d2 OvR (baseline)", lambda: XGBClassifier(max_depth=2, learning_rate=0.3, n_jobs=2)),
                 ("LogisticRegression OvR (baseline)",
                  lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)))]
    for name, make in baselines:
        start = time.time()
        scores = pd.DataFrame({t: make().fit(X_train, Y_train[t]).predict_proba(X_test)[:, 1] for t in Y.columns})
        roc, pr = macro_scores(Y_test.reset_index(drop=True), scores)
        print(f"{name:36s} ROC-AUC {roc:.3f}  PR-AUC {pr:.3f}  fit {time.time() - start:6.1f}s")
    learners: list[tuple[str, OneVsRestRuleLearner]] = [
        ("RIPPER OvR", RipperLearner(id_prefix="mood")),
        ("RuleFit OvR (rules only)", RuleFitLearner(id_prefix="mood")),
        ("EBM OvR, no pairs (exact)", EBMLearner(interactions=0, n_jobs=2, id_prefix="mood")),
        ("BoostedRules stumps (default)", BoostedRulesLearner(id_prefix="mood")),
    ]
    for name, learner in learners:
        start = time.time()
        learner.fit(X_train, Y_train)
        seconds = time.time() - start
        roc, pr = macro_scores(Y_test, learner.predict_proba(X_test))
        rules = [len(m.rules) for m in learner.models_.values()]
        conds = [m.n_conditions for m in learner.models_.values()]
        lengths = [len(r.conditions) for r in learner.rules_] or [0]
        print(f"{name:36s} ROC-AUC {roc:.3f}  PR-AUC {pr:.3f}  fit {seconds:6.1f}s  rules/tag {np.mean(rules):.1f} "
              f"(max {max(rules)})  cond/rule {np.mean(lengths):.2f} (max {max(lengths)})  "
              f"cond/tag {np.mean(conds):.1f} (max {max(conds)})")


if __name__ == "__main__":
    main()
