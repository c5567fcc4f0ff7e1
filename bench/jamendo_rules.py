"""Jamendo mood/theme benchmark: macro ROC-AUC / PR-AUC of each rule learner beside XGBoost and LR.

Run from the repo root: `python bench/jamendo_rules.py [--cv [K]] [--cv-only]`. Reads the paper's
Jamendo table (`whytag.datasets.load_jamendo_moodtheme`). By default one seeded 80/20 split by track
(random_state=0); `--cv` adds K-fold cross-validation (default 5; shuffled, seed 0) of the baselines
and the boosted learners, whose mean is far less noisy than one 454-track test part; `--cv-only` skips the split.
Tags without a positive in a test part are left out of that part's macro averages.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.model_selection import KFold, train_test_split

from whytag.datasets import load_jamendo_moodtheme
from whytag.evaluation import baselines, multi_label_metrics
from whytag.reasoning.learners import (
    BoostedLinearLearner,
    BoostedRulesLearner,
    EBMLearner,
    RipperLearner,
    RuleFitLearner,
)


def candidates(full: bool) -> list[tuple[str, object]]:
    """The baselines and learners to compare; `full` adds the slow or weak ones (single split only)."""
    out: list[tuple[str, object]] = [(f"{name} OvR (baseline)", lambda name=name: baselines(single_label=False)[name])
                                     for name in baselines(single_label=False)]
    if full:
        out += [("RIPPER OvR", lambda: RipperLearner(id_prefix="mood")),
                ("RuleFit OvR (rules only)", lambda: RuleFitLearner(id_prefix="mood")),
                ("EBM OvR, no pairs (exact)", lambda: EBMLearner(interactions=0, n_jobs=2, id_prefix="mood"))]
    return out + [("BoostedRules stumps", lambda: BoostedRulesLearner(id_prefix="mood")),
                  ("BoostedLinear, a split per tag",
                   lambda: BoostedLinearLearner(shared_splits=False, id_prefix="mood")),
                  ("BoostedLinear stumps+linear (default)", lambda: BoostedLinearLearner(id_prefix="mood"))]


def size(model) -> str:
    """Rules, conditions and linear terms per tag of a rule learner (empty for a baseline)."""
    if not hasattr(model, "rules_"):
        return ""
    rules = [len(m.rules) for m in model.models_.values()]
    conds = [m.n_conditions for m in model.models_.values()]
    lengths = [len(r.conditions) for r in model.rules_] or [0]
    linear = np.mean([len(m.linear) for m in model.models_.values()])
    return (f"  rules/tag {np.mean(rules):.1f} (max {max(rules)})  cond/rule {np.mean(lengths):.2f} "
            f"(max {max(lengths)})  cond/tag {np.mean(conds):.1f} (max {max(conds)})  linear/tag {linear:.1f}")


def run(name: str, make, X_train, Y_train, X_test, Y_test) -> tuple[float, float, float, object]:
    """Fit on the tags with both classes in training; (ROC-AUC, PR-AUC, fit seconds, model)."""
    tags = [t for t in Y_train.columns if Y_train[t].nunique() == 2]
    start = time.time()
    model = make().fit(X_train, Y_train[tags])
    seconds = time.time() - start
    macro, _ = multi_label_metrics(Y_test[tags], model.predict_proba(X_test))
    return macro["roc_auc"], macro["pr_auc"], seconds, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=int, nargs="?", const=5, default=None, metavar="K",
                        help="also K-fold cross-validation over all tracks (K defaults to 5)")
    parser.add_argument("--cv-only", action="store_true", help="skip the single split (implies --cv)")
    args = parser.parse_args()
    # rows numbered 0…n-1, as these numbers were first measured: RIPPER's rules depend on the row labels
    X, Y = (part.reset_index(drop=True) for part in load_jamendo_moodtheme())
    if not args.cv_only:
        X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.2, random_state=0)
        scored = [t for t in Y.columns if Y_test[t].nunique() == 2]
        print(f"Jamendo: {len(X_train)} train / {len(X_test)} test tracks, {X.shape[1]} features, {Y.shape[1]} tags "
              f"({len(scored)} with a test positive are averaged)")
        for name, make in candidates(full=True):
            roc, pr, seconds, model = run(name, make, X_train, Y_train, X_test, Y_test)
            print(f"{name:40s} ROC-AUC {roc:.3f}  PR-AUC {pr:.3f}  fit {seconds:6.1f}s{size(model)}", flush=True)
    k = args.cv or (5 if args.cv_only else None)
    if k is None:
        return
    print(f"{k}-fold cross-validation over all {len(X):,} tracks (KFold, shuffled, seed 0): mean ± std of the folds")
    folds = list(KFold(k, shuffle=True, random_state=0).split(X))
    for name, make in candidates(full=False):
        runs = [run(name, make, X.iloc[a], Y.iloc[a], X.iloc[b], Y.iloc[b])[:2] for a, b in folds]
        roc, pr = np.array(runs).T
        print(f"{name:40s} ROC-AUC {roc.mean():.3f} ± {roc.std():.3f}  PR-AUC {pr.mean():.3f} ± {pr.std():.3f}",
              flush=True)


if __name__ == "__main__":
    main()
