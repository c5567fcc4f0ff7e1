"""Metrics, baselines and side-by-side evaluation of learners on one split.

Single-label tasks report accuracy and macro-F1; multi-label tasks report macro ROC-AUC and macro
PR-AUC (average precision), each tag scored on its own and tags without both classes in the test
split left out (and counted). The baselines are the paper's XGBoost and logistic regression,
fitted on the same split in the same run. A learner given a time budget is first fitted on one tag
and skipped when that fit, times the number of tags, would run past the budget.
"""

from __future__ import annotations

import copy
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score

from whytag.reasoning.model import top_share


@dataclass
class Result:
    """One learner's scores on one test split, plus its size and fit time."""

    learner: str
    metrics: dict[str, float]
    fit_seconds: float
    rules_per_tag: float | None = None
    max_conditions_per_tag: int | None = None
    linear_terms_per_tag: float | None = None
    coverage: dict[str, float] = field(default_factory=dict)  # `explanation_coverage` on the test split
    per_tag: dict[str, dict[str, float]] = field(default_factory=dict)
    estimated_seconds: float | None = None  # from fitting one tag, for learners given a time budget
    skipped: str | None = None  # why the learner was not fitted (its estimate ran past its budget)


def is_single_label(Y: pd.Series | pd.DataFrame) -> bool:
    return isinstance(Y, pd.Series)


def tag_count(Y: pd.Series | pd.DataFrame) -> int:
    """How many one-vs-rest models a learner fits: one per class (single-label) or per tag."""
    return Y.nunique() if is_single_label(Y) else Y.shape[1]


def single_label_metrics(y_true: pd.Series, y_pred: pd.Series) -> dict[str, float]:
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


def multi_label_metrics(Y_true: pd.DataFrame, scores: pd.DataFrame) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Macro ROC-AUC and PR-AUC over the tags that have both classes in Y_true; also per tag."""
    per_tag = {}
    for tag in Y_true.columns:
        y = Y_true[tag].to_numpy()
        if 0 < y.sum() < len(y):
            per_tag[tag] = {"roc_auc": float(roc_auc_score(y, scores[tag])),
                            "pr_auc": float(average_precision_score(y, scores[tag]))}
    macro = {"roc_auc": float(np.mean([v["roc_auc"] for v in per_tag.values()])),
             "pr_auc": float(np.mean([v["pr_auc"] for v in per_tag.values()])),
             "tags_scored": float(len(per_tag)), "tags_skipped": float(Y_true.shape[1] - len(per_tag))}
    return macro, per_tag


def coverage_shares(model, X: pd.DataFrame, k: int = 5) -> np.ndarray:
    """Per predicted (track, tag) of a fitted whytag learner on X: the share of Σ|contribution| over its
    per-feature reasons (base rate excluded) that its k largest hold."""
    predicted = model.predict(X)
    if is_single_label(predicted):
        predicted = pd.get_dummies(predicted).reindex(columns=list(model.models_), fill_value=False)
    shares = [top_share(tag_model.reasons(X).to_numpy()[predicted[tag].to_numpy().astype(bool)], k)
              for tag, tag_model in model.models_.items()]
    return np.concatenate(shares) if shares else np.array([])


def explanation_coverage(model, X: pd.DataFrame, k: int = 5) -> dict[str, float]:
    """How much of each predicted assignment's explanation its k largest per-feature reasons hold: the
    median and 10th percentile of `coverage_shares`, beside the mean number of effects (features or
    feature sets) a tag's model reads."""
    shares = coverage_shares(model, X, k)
    return {f"top{k}_coverage_median": float(np.median(shares)) if len(shares) else float("nan"),
            f"top{k}_coverage_p10": float(np.percentile(shares, 10)) if len(shares) else float("nan"),
            "features_per_tag": float(np.mean([len(m.effects()) for m in model.models_.values()]))}


def score(learner_name: str, model, X_test: pd.DataFrame, Y_test, fit_seconds: float) -> Result:
    """Scores of a fitted estimator with predict / predict_proba on the test split."""
    if is_single_label(Y_test):
        result = Result(learner_name, single_label_metrics(Y_test, model.predict(X_test)), fit_seconds)
    else:
        macro, per_tag = multi_label_metrics(Y_test, model.predict_proba(X_test))
        result = Result(learner_name, macro, fit_seconds, per_tag=per_tag)
    models = getattr(model, "models_", None)
    if models:
        result.rules_per_tag = float(np.mean([len(m.rules) for m in models.values()]))
        result.max_conditions_per_tag = int(max(m.n_conditions for m in models.values()))
        result.linear_terms_per_tag = float(np.mean([len(m.linear) for m in models.values()]))
        result.coverage = explanation_coverage(model, X_test)
    return result


class Overrun(BaseException):
    """A fit stopped at its deadline; a BaseException so that libraries' `except Exception` let it through."""


def stop_fit(signum: int, frame) -> None:
    """SIGALRM handler: stop the fit under way."""
    raise Overrun


def timed_fit(estimator, X: pd.DataFrame, Y, limit: float | None = None) -> float | None:
    """Seconds `estimator.fit(X, Y)` took, or None when it ran past `limit` seconds.

    On Unix in the main thread a SIGALRM stops the fit at the limit, so probing a learner that is far
    too slow costs only the limit; elsewhere the fit runs to its end and is then judged.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    alarm = limit is not None and hasattr(signal, "setitimer") and main_thread
    previous = signal.signal(signal.SIGALRM, stop_fit) if alarm else None
    start = time.perf_counter()
    try:
        try:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, limit)
            estimator.fit(X, Y)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except Overrun:
        return None
    finally:
        if alarm:
            signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - start
    return None if limit is not None and seconds > limit else seconds


def estimate_seconds(estimator, X: pd.DataFrame, Y, budget: float) -> float | None:
    """Seconds a fit on all of Y's tags (or classes) should take, timed on one tag; None when over budget.

    Learners fit one model per tag, so the probe fits a copy on every training row for the tag nearest
    half positive only (single-label: that class against the rest, so two models) and scales its time
    up; it is stopped once it alone runs past its share of the budget.
    """
    labels = pd.get_dummies(Y).astype(int) if is_single_label(Y) else Y
    tag = (labels.mean() - 0.5).abs().idxmin()
    probe = Y.where(Y == tag, f"not {tag}") if is_single_label(Y) else Y[[tag]]
    share = tag_count(probe) / tag_count(Y)
    seconds = timed_fit(copy.deepcopy(estimator), X, probe, budget * share)
    return None if seconds is None else seconds / share


Progress = Callable[[str, int, int, Result | None], None]


def evaluate(learners: dict[str, object], X_train: pd.DataFrame, Y_train, X_test: pd.DataFrame, Y_test,
             progress: Progress = lambda *_: None, budgets: dict[str, float] | None = None) -> list[Result]:
    """Fit each learner (whytag's and the baselines) on the training split and score it on the test split.

    A learner named in `budgets` is fitted only when its estimate fits that many seconds; otherwise its
    Result says why it was skipped. `progress(name, i, n, None)` is called as learner i of n starts, and
    `progress(name, i, n, result)` when it is done, so a long run says which learner it is on.
    """
    results, budgets = [], budgets or {}
    for i, (name, estimator) in enumerate(learners.items(), 1):
        progress(name, i, len(learners), None)
        estimate = estimate_seconds(estimator, X_train, Y_train, budgets[name]) if name in budgets else None
        if name in budgets and estimate is None:
            tags = tag_count(Y_train)
            result = Result(name, {}, 0.0, skipped=f"estimated over {budgets[name]:g} s: {tags} tags, and one "
                            f"alone took over {budgets[name] / tags:.2g} s")
        else:
            result = score(name, estimator, X_test, Y_test, timed_fit(estimator, X_train, Y_train))
            result.estimated_seconds = estimate
        progress(name, i, len(learners), result)
        results.append(result)
    return results


class OneVsRestBaseline:
    """A black-box baseline with whytag's fit/predict/predict_proba interface, one-vs-rest or multinomial."""

    def __init__(self, make: Callable[[], object], multinomial: bool = True):
        self.make = make
        self.multinomial = multinomial

    def fit(self, X: pd.DataFrame, Y) -> "OneVsRestBaseline":
        self.columns_ = list(X.columns)
        if is_single_label(Y) and self.multinomial:
            self.classes_ = sorted(Y.unique())
            codes = pd.Categorical(Y, categories=self.classes_).codes
            self.model_ = self.make().fit(X.to_numpy(dtype=float), codes)
        else:
            Y = pd.get_dummies(Y).astype(int) if is_single_label(Y) else Y
            self.classes_ = list(Y.columns)
            self.models_by_tag_ = {t: self.make().fit(X.to_numpy(dtype=float), Y[t].to_numpy())
                                   for t in self.classes_ if Y[t].nunique() == 2}
        return self

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        values = X[self.columns_].to_numpy(dtype=float)
        if hasattr(self, "model_"):
            return pd.DataFrame(self.model_.predict_proba(values), index=X.index, columns=self.classes_)
        return pd.DataFrame({t: self.models_by_tag_[t].predict_proba(values)[:, 1] if t in self.models_by_tag_
                             else np.zeros(len(X)) for t in self.classes_}, index=X.index)

    def predict(self, X: pd.DataFrame):
        proba = self.predict_proba(X)
        return proba.idxmax(axis=1) if hasattr(self, "model_") else (proba >= 0.5).astype(int)


def baselines(single_label: bool, seed: int = 0) -> dict[str, OneVsRestBaseline]:
    """The paper's XGBoost (max_depth=2, eta=0.3) and a standardised logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = {"logistic-regression": OneVsRestBaseline(
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), multinomial=single_label)}
    try:
        from xgboost import XGBClassifier
    except ImportError:  # xgboost is in the [bench] and [test] extras
        return out
    objective = "multi:softprob" if single_label else "binary:logistic"
    # one thread: the same scores, and on a busy machine two OpenMP threads ran 15x slower (347 s on Jamendo)
    out = {"xgboost (paper)": OneVsRestBaseline(
        lambda: XGBClassifier(max_depth=2, learning_rate=0.3, objective=objective, n_jobs=1, random_state=seed,
                              verbosity=0), multinomial=single_label), **out}
    return out


def results_json(results: list[Result]) -> dict[str, dict[str, float]]:
    """learner → metric → value, the shape `--metrics-json` writes."""
    out = {}
    for r in results:
        if r.skipped:
            out[r.learner] = {"skipped": r.skipped}
            continue
        entry = dict(r.metrics)
        entry["fit_seconds"] = round(r.fit_seconds, 3)
        if r.rules_per_tag is not None:
            entry["rules_per_tag"] = r.rules_per_tag
            entry["max_conditions_per_tag"] = r.max_conditions_per_tag
            entry["linear_terms_per_tag"] = r.linear_terms_per_tag
            entry.update(r.coverage)
        if r.estimated_seconds is not None:
            entry["estimated_seconds"] = round(r.estimated_seconds, 3)
        out[r.learner] = entry
    return out


SIZE_HEADER = ["rules/tag", "max cond/tag", "linear/tag", "features/tag", "top-5 coverage (median, p10)"]


def size_cells(r: Result, blank: str) -> list[str]:
    """Rules per tag, the most conditions any tag uses, linear terms and features per tag, and how much
    of a predicted tag's explanation its 5 largest reasons hold, as table cells."""
    if r.rules_per_tag is None:
        return [blank] * len(SIZE_HEADER)
    return [f"{r.rules_per_tag:.1f}", str(r.max_conditions_per_tag), f"{r.linear_terms_per_tag:.1f}",
            f"{r.coverage['features_per_tag']:.1f}",
            f"{r.coverage['top5_coverage_median']:.2f}, {r.coverage['top5_coverage_p10']:.2f}"]


def results_table(results: list[Result]) -> str:
    """Aligned text table of the results, learners as rows."""
    metrics = list(dict.fromkeys(k for r in results for k in r.metrics if not k.startswith("tags_")))
    header = ["learner"] + metrics + SIZE_HEADER + ["fit s"]
    rows = [[r.learner] + [f"{r.metrics[m]:.3f}" if m in r.metrics else "-" for m in metrics] + size_cells(r, "-")
            + ["skipped" if r.skipped else f"{r.fit_seconds:.1f}"] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
