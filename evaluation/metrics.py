"""Metrics of one learner on one test split, and how much of its explanations a few reasons hold.

Single-label tasks report accuracy and macro-F1; multi-label tasks report macro ROC-AUC and macro
PR-AUC (average precision), each tag scored on its own and tags without both classes in the test
split left out (and counted).
"""

from __future__ import annotations

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


def multi_label_metrics(Y_true: pd.DataFrame,
                        scores: pd.DataFrame) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
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
