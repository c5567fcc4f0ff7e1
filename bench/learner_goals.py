"""#31's learner goals in one run: the default learner beside XGBoost on the same features and splits.

Run from the repo root: `OMP_NUM_THREADS=1 python bench/learner_goals.py [--jobs 2]`. Features: what
`learn` reads by default from what `ingest --extract` measures (`reasoning.training.learning_features`
with `extractors.batch.DEFAULT_GROUPS`: the paper's signal and symbolic features, no mid-level network
features, no constant ones). GTZAN: 5 random stratified 80/20 splits (seeds 0-4), mean accuracy and
median top-5 coverage of the predicted assignments (`whytag.evaluation.coverage_shares`, pooled);
Jamendo: 10-fold CV (shuffled, seed 0) on the shared rows, mean macro ROC-AUC and PR-AUC, coverage
pooled. Other learners can be named to run beside them (`--learners sparse,boosted-linear`). `--seeds 15` adds
GTZAN splits with seeds 5-14, fresh ones on which a choice made on the first 5 is checked (their mean and the
paired difference of each learner to XGBoost and to the default, ± its standard error, printed apart);
`--jamendo-folds 0` leaves Jamendo out.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from explain_frontier import fit_and_score, summarise  # bench/ is on the path of a script run from it
from joblib import Parallel, delayed
from sklearn.model_selection import KFold, train_test_split

from whytag.datasets import load_gtzan, load_jamendo_moodtheme
from whytag.evaluation import baselines
from whytag.extractors.batch import DEFAULT_GROUPS
from whytag.reasoning.learners import DEFAULT_LEARNER, registry
from whytag.reasoning.training import learning_features

XGBOOST = "xgboost (paper)"


def default_features(X: pd.DataFrame) -> pd.DataFrame:
    """The columns `learn` would read had `ingest --extract` measured these tracks."""
    return X[learning_features(X, groups=DEFAULT_GROUPS).kept]


def make(name: str, single_label: bool):
    """A fresh estimator: a whytag learner by its CLI name, or the paper's XGBoost."""
    return baselines(single_label)[XGBOOST] if name == XGBOOST else registry()[name]()


def run(name: str, X: pd.DataFrame, Y, train: np.ndarray, test: np.ndarray) -> dict:
    """Fit on one split's training rows (multi-label: the tags with both classes there), score its test rows."""
    single = isinstance(Y, pd.Series)
    Y_train, Y_test = Y.iloc[train], Y.iloc[test]
    if not single:
        tags = [t for t in Y.columns if Y_train[t].nunique() == 2]
        Y_train, Y_test = Y_train[tags], Y_test[tags]
    return fit_and_score(make(name, single), X.iloc[train], Y_train, X.iloc[test], Y_test)


def numbered(k: int, *task) -> tuple[int, dict]:
    """`run(*task)` with the task's number, so results arriving in any order find their row."""
    return k, run(*task)


def summary(results: list[dict]) -> dict:
    """explain_frontier's summary (means over the splits, coverage pooled), plus each split's own score."""
    return summarise(results) | {"per_split": [round(r.get("accuracy", r.get("roc_auc", np.nan)), 3)
                                               for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="Fits run at once (processes).")
    parser.add_argument("--learners", default="", help="Comma-separated whytag learners besides the default.")
    parser.add_argument("--seeds", type=int, default=5, help="GTZAN splits (seeds 0 to N-1); past 5, fresh ones.")
    parser.add_argument("--jamendo-folds", type=int, default=10, help="How many of the 10 Jamendo folds (0: none).")
    args = parser.parse_args()
    names = [DEFAULT_LEARNER, *[n for n in args.learners.split(",") if n and n != DEFAULT_LEARNER], XGBOOST]
    X_g, y_g = load_gtzan()
    X_j, Y_j = load_jamendo_moodtheme()
    X_g, X_j = default_features(X_g), default_features(X_j)
    print(f"GTZAN {X_g.shape[1]} features, Jamendo {X_j.shape[1]} features: {', '.join(X_j.columns)}")
    tasks = []
    for train, test in list(KFold(n_splits=10, shuffle=True, random_state=0).split(X_j))[:args.jamendo_folds]:
        tasks += [(n, "jamendo", X_j, Y_j, train, test) for n in names]
    for seed in range(args.seeds):
        train, test = train_test_split(np.arange(len(y_g)), train_size=0.8, random_state=seed, stratify=y_g)
        tasks += [(n, f"gtzan {'fresh' if seed >= 5 else 'bench'}", X_g, y_g, train, test) for n in names]
    start = time.perf_counter()
    done = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
        delayed(numbered)(k, n, X, Y, tr, te) for k, (n, _, X, Y, tr, te) in enumerate(tasks))
    results: dict[int, dict] = {}
    for k, result in done:  # each fit's numbers as it ends, so a run cut short still says what it measured
        results[k] = result
        shown = {key: round(value, 4) for key, value in result.items() if isinstance(value, float)}
        print(f"{len(results)}/{len(tasks)} {tasks[k][1]} {tasks[k][0]}: {shown}", flush=True)
    cells: dict[tuple[str, str], list[dict]] = {}
    for k in sorted(results):
        cells.setdefault((tasks[k][0], tasks[k][1]), []).append(results[k])
    print(table({key: summary(value) for key, value in cells.items()}, names, args.jamendo_folds))
    if args.seeds > 5:
        print(paired(cells, names))
    print(f"\n{len(tasks)} fits in {time.perf_counter() - start:.0f} s with {args.jobs} processes")


def table(cells: dict[tuple[str, str], dict], names: list[str], folds: int) -> str:
    """One row per learner: GTZAN accuracy and coverage beside Jamendo's ROC-AUC, PR-AUC and coverage
    (on the first `folds` of the 10 folds)."""
    header = ["learner", "GTZAN accuracy (5 splits)", "per split", "GTZAN top-5 coverage (median, p10)",
              "GTZAN effects/tag", f"Jamendo ROC-AUC ({folds} of 10 folds)", "Jamendo PR-AUC",
              "Jamendo top-5 coverage (median, p10)", "Jamendo effects/tag", "fit s (GTZAN, Jamendo)"]
    rows, none = [], {"accuracy": np.nan, "per_split": [], "roc_auc": np.nan, "pr_auc": np.nan, "seconds": np.nan}
    for n in names:
        g, j = cells.get((n, "gtzan bench"), none), cells.get((n, "jamendo"), none)
        cov = lambda c: f"{c['coverage'][0]:.2f}, {c['coverage'][1]:.2f}" if "coverage" in c else "–"  # noqa: E731
        feats = lambda c: f"{c['features']:.1f}" if "features" in c else "–"  # noqa: E731
        rows.append([n, f"{g['accuracy']:.3f}", " ".join(f"{a:.3f}" for a in g["per_split"]), cov(g), feats(g),
                     f"{j['roc_auc']:.3f}", f"{j['pr_auc']:.3f}", cov(j), feats(j),
                     f"{g['seconds']:.1f}, {j['seconds']:.1f}"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def paired(cells: dict[tuple[str, str], list[dict]], names: list[str]) -> str:
    """On the fresh GTZAN splits: each learner's mean accuracy and coverage, and its paired difference per
    split to XGBoost and to the default (mean ± standard error, splits ahead or level)."""
    accuracy = {n: np.array([r["accuracy"] for r in cells[(n, "gtzan fresh")]]) for n in names}
    lines = [f"\nGTZAN fresh splits (seeds 5-{4 + len(accuracy[XGBOOST])}):"]
    for n in names:
        parts = [f"{n}: {accuracy[n].mean():.3f}"]
        if "shares" in cells[(n, "gtzan fresh")][0]:
            parts.append(f"coverage {summarise(cells[(n, 'gtzan fresh')])['coverage'][0]:.2f}")
        for other in dict.fromkeys([XGBOOST, DEFAULT_LEARNER]):
            if other != n:
                d = accuracy[n] - accuracy[other]
                parts.append(f"vs {other} {d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f} "
                             f"(level or ahead on {(d >= 0).sum()} of {len(d)})")
        lines.append(", ".join(parts))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
