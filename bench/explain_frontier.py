"""The accuracy ↔ explanation frontier: how much accuracy each per-tag feature budget costs, and how
much of a predicted tag's explanation its 5 largest per-feature reasons then hold.

Run from the repo root: `python bench/explain_frontier.py [--jobs 2] [--plot bench/explain_frontier.png]`.
For the default learner and several feature budgets, with XGBoost and logistic regression in the same
run: GTZAN accuracy by 5-fold CV × 3 repeats (stratified, seeds 0–2, all 999 clips); Jamendo macro
ROC-AUC and PR-AUC by 5- and 10-fold CV (shuffled, seed 0) and on the held-out Track mod 5 = 2 rows
(trained on the rest: the form of the unseen check); and, pooled over every test fold, the median and
10th percentile of top-5 coverage (`whytag.evaluation.coverage_shares`) and the features per tag.
Prints a Markdown table and writes the frontier plot.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import KFold, RepeatedStratifiedKFold

from whytag.datasets import load_gtzan, load_jamendo_moodtheme
from whytag.evaluation import baselines, coverage_shares, multi_label_metrics
from whytag.reasoning.learners import BoostedLinearLearner

BUDGETS = (None, 12, 8, 5)  # features per tag; None: the default, every feature


def make(name: str, single_label: bool):
    """A fresh estimator for a row of the table: a budget of the default learner, or a baseline."""
    if name.startswith("budget "):
        return BoostedLinearLearner(max_features=int(name.split()[1]))
    if name == "default":
        return BoostedLinearLearner()
    return baselines(single_label)[name]


def names() -> list[str]:
    return [f"budget {b}" if b else "default" for b in BUDGETS] + list(baselines(True))


def run_fold(name: str, X: pd.DataFrame, Y, train: np.ndarray, test: np.ndarray) -> dict:
    """Fit on one fold's training rows, score its test rows; coverage shares for the glass-box rows."""
    single = isinstance(Y, pd.Series)
    return fit_and_score(make(name, single), X.iloc[train], Y.iloc[train], X.iloc[test], Y.iloc[test])


def fit_and_score(model, X_train: pd.DataFrame, Y_train, X_test: pd.DataFrame, Y_test) -> dict:
    """Fit time, the test rows' accuracy (single-label) or macro ROC/PR-AUC, and coverage shares for glass boxes."""
    single = isinstance(Y_test, pd.Series)
    start = time.perf_counter()
    model.fit(X_train, Y_train)
    out = {"seconds": time.perf_counter() - start}
    if single:
        out["accuracy"] = float((model.predict(X_test) == Y_test).mean())
    else:
        macro, _ = multi_label_metrics(Y_test, model.predict_proba(X_test))
        out["roc_auc"], out["pr_auc"] = macro["roc_auc"], macro["pr_auc"]
    if hasattr(model, "models_"):
        out["shares"] = coverage_shares(model, X_test)
        out["features"] = float(np.mean([len(m.effects()) for m in model.models_.values()]))
    return out


def summarise(results: list[dict]) -> dict:
    """Mean of each metric over the folds, coverage pooled over every test fold's predicted assignments."""
    out = {k: float(np.mean([r[k] for r in results])) for k in ("accuracy", "roc_auc", "pr_auc", "seconds")
           if k in results[0]}
    if "shares" in results[0]:
        shares = np.concatenate([r["shares"] for r in results])
        out["coverage"] = (float(np.median(shares)), float(np.percentile(shares, 10)))
        out["features"] = float(np.mean([r["features"] for r in results]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="Folds fitted at once (processes).")
    parser.add_argument("--plot", default=str(Path(__file__).resolve().parent / "explain_frontier.png"))
    args = parser.parse_args()
    X_g, y_g = load_gtzan()
    X_j, Y_j = load_jamendo_moodtheme()
    holdout = X_j.index.str.extract(r"(\d+)")[0].astype(int).to_numpy() % 5 == 2
    tasks = []  # (row name, column, X, Y, train, test)
    for train, test in RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=0).split(X_g, y_g):
        tasks += [(n, "gtzan", X_g, y_g, train, test) for n in names()]
    for k in (5, 10):
        for train, test in KFold(n_splits=k, shuffle=True, random_state=0).split(X_j):
            tasks += [(n, f"jamendo-{k}", X_j, Y_j, train, test) for n in names()]
    tasks += [(n, "jamendo-holdout", X_j, Y_j, np.flatnonzero(~holdout), np.flatnonzero(holdout)) for n in names()]
    start = time.perf_counter()
    done = Parallel(n_jobs=args.jobs, verbose=5)(delayed(run_fold)(n, X, Y, tr, te) for n, _, X, Y, tr, te in tasks)
    by_cell: dict[tuple[str, str], list[dict]] = {}
    for (n, column, *_), result in zip(tasks, done):
        by_cell.setdefault((n, column), []).append(result)
    cells = {key: summarise(value) for key, value in by_cell.items()}
    print(table(cells))
    print(f"\n{len(tasks)} fits in {time.perf_counter() - start:.0f} s with {args.jobs} processes")
    plot(cells, args.plot)
    print(f"plot: {args.plot}")


def table(cells: dict[tuple[str, str], dict]) -> str:
    """One row per learner setting: accuracy on both tables beside the explanation measures."""
    header = ["setting", "GTZAN acc (5×3 CV)", "GTZAN top-5 cov (median, p10)", "GTZAN features/tag",
              "Jamendo ROC-AUC 5-fold", "PR-AUC 5-fold", "ROC-AUC 10-fold", "PR-AUC 10-fold",
              "ROC-AUC holdout", "Jamendo top-5 cov (median, p10)", "Jamendo features/tag", "fit s (GTZAN, Jamendo)"]
    rows = []
    for n in names():
        g, j5, j10, jh = (cells[(n, c)] for c in ("gtzan", "jamendo-5", "jamendo-10", "jamendo-holdout"))
        cov = lambda c: f"{c['coverage'][0]:.2f}, {c['coverage'][1]:.2f}" if "coverage" in c else "–"  # noqa: E731
        feats = lambda c: f"{c['features']:.1f}" if "features" in c else "–"  # noqa: E731
        rows.append([n, f"{g['accuracy']:.3f}", cov(g), feats(g), f"{j5['roc_auc']:.3f}", f"{j5['pr_auc']:.3f}",
                     f"{j10['roc_auc']:.3f}", f"{j10['pr_auc']:.3f}", f"{jh['roc_auc']:.3f}", cov(j10), feats(j10),
                     f"{g['seconds']:.1f}, {j10['seconds']:.1f}"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def plot(cells: dict[tuple[str, str], dict], path: str) -> None:
    """Accuracy against median top-5 coverage, one point per setting, baselines as horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, column, metric, title in ((axes[0], "gtzan", "accuracy", "GTZAN: accuracy, 5-fold CV × 3"),
                                      (axes[1], "jamendo-10", "roc_auc", "Jamendo: macro ROC-AUC, 10-fold CV")):
        glass = [n for n in names() if "coverage" in cells[(n, column)]]
        xs = [cells[(n, column)]["coverage"][0] for n in glass]
        ys = [cells[(n, column)][metric] for n in glass]
        ax.plot(xs, ys, "o-", color="tab:blue")
        for n, x, y in zip(glass, xs, ys):
            ax.annotate(n, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        for n, style in zip([n for n in names() if n not in glass], ("--", ":")):
            ax.axhline(cells[(n, column)][metric], linestyle=style, color="gray", label=n)
        ax.axvline(0.8, color="tab:red", linewidth=0.8, label="goal: top-5 coverage 0.80")
        ax.set_xlabel("median top-5 coverage of predicted assignments")
        ax.set_ylabel(metric)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
