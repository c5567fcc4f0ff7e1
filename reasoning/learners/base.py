"""What every learner shares: a scikit-learn estimator that fits one `TagModel` per tag and predicts through them.

Each learner fits one model per tag (one-vs-rest), turns whatever the underlying library learned into a
`TagModel` (an intercept plus weighted conjunctive rules over numeric thresholds) and then predicts *only*
through those TagModels, so the rules written to the graph are the model itself.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin

from whytag.reasoning.model import Condition, Rule, TagModel, annotate

Body = frozenset[Condition]


def keep_parameters(estimator: BaseEstimator, arguments: dict[str, object]) -> None:
    """Store an `__init__`'s arguments (its `locals()`) under their own names and nothing more: what
    scikit-learn's get_params, set_params and clone read back."""
    for name in inspect.signature(type(estimator)).parameters:
        setattr(estimator, name, arguments[name])


def check_features(X: pd.DataFrame) -> pd.DataFrame:
    """Validate the feature table (named, numeric columns) and return it as float."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError("X must be a pandas DataFrame with one named column per feature")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X is empty (shape {X.shape})")
    bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
    if bad:
        raise ValueError(f"X has non-numeric columns {bad}; encode them as numbers first")
    return X.astype(float)


def tag_matrix(Y: pd.Series | pd.DataFrame, n_rows: int) -> tuple[pd.DataFrame, bool]:
    """Turn Y into a 0/1 tag table (one column per tag) and say whether it was single-label."""
    if len(Y) != n_rows:
        raise ValueError(f"X has {n_rows} rows but Y has {len(Y)}")
    if isinstance(Y, pd.Series):
        if Y.isna().any():
            raise ValueError("Y has missing labels")
        classes = sorted(Y.astype(str).unique())
        if len(classes) < 2:
            raise ValueError(f"Y has only one class {classes}; a tagger needs at least two")
        labels = pd.DataFrame({c: (Y.astype(str) == c).astype(int).to_numpy() for c in classes}, index=Y.index)
        return labels, True
    if isinstance(Y, pd.DataFrame):
        if Y.shape[1] == 0:
            raise ValueError("Y has no tag columns")
        if not Y.isin([0, 1]).all().all():
            raise ValueError("multi-label Y must contain only 0/1 values")
        constant = [str(c) for c in Y.columns if Y[c].nunique() < 2]
        if constant:
            raise ValueError(f"tags {constant} have only one class in Y; drop them before fitting")
        return Y.astype(int).rename(columns=str), False
    raise ValueError("Y must be a pandas Series of class labels or a DataFrame of 0/1 tag columns")


def body_rules(tag: str, bodies: dict[Body, float], tol: float) -> tuple[float, list[Rule]]:
    """Split summed rule bodies into an intercept (the empty body) and rules with |weight| > tol."""
    intercept = bodies.get(frozenset(), 0.0)
    rules = [
        Rule(tag, tuple(sorted(body, key=lambda c: (c.feature, c.op, c.threshold))), weight)
        for body, weight in bodies.items()
        if body and abs(weight) > tol
    ]
    return intercept, rules


def best_f1_cut(scores: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """The distinct scores (ascending) and the index of the first whose cut `score >= cut` has the best F1 on
    labels y: counts from one sort (n log n, not a pass over the rows per cut), the same integers divided."""
    cuts = np.unique(scores)
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    start = np.searchsorted(ranked, cuts, side="left")  # rows below each cut
    positives_below = np.concatenate(([0], np.cumsum(y[order])))[start]
    predicted = len(scores) - start
    f1 = 2 * (y.sum() - positives_below) / (y.sum() + predicted)
    return cuts, int(np.argmax(f1))


class OneVsRestRuleLearner(ClassifierMixin, BaseEstimator, ABC):
    """Shared plumbing: validation, one model per tag, ids, annotation and prediction via TagModels.

    Every learner's `__init__` takes `id_prefix` (the start of its rules' ids) and `threshold` (a multi-label
    tag's score cut, or "f1") beside its own parameters, and only stores them (`keep_parameters`).
    """

    id_prefix: str
    threshold: float | str

    def __repr__(self) -> str:
        """`Class(param=value, …)` in the constructor's order: what the model graph records as a model set's learner."""
        names = inspect.signature(type(self)).parameters
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in names)})"

    @abstractmethod
    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        """Learn one tag's TagModel from features X and 0/1 labels y."""

    def fit(self, X: pd.DataFrame, Y: pd.Series | pd.DataFrame) -> OneVsRestRuleLearner:
        """Fit one TagModel per tag, then name and annotate every rule on the training data."""
        X = check_features(X)
        labels, self.single_label_ = tag_matrix(Y, len(X))
        self.feature_names_ = list(X.columns)
        self.tags_ = list(labels.columns)
        self.prevalence_ = labels.mean()
        self.models_ = self._fit_models(X, labels)
        for tag, model in self.models_.items():
            model.rules.sort(key=lambda r: (-abs(r.weight), str(r)))
            for i, rule in enumerate(model.rules):
                rule.id = f"{self.id_prefix}-{tag}-r{i}"
            annotate(model.rules, X, labels[tag].to_numpy())
            model.centre(X)
        self.rules_ = [rule for model in self.models_.values() for rule in model.rules]
        self.thresholds_ = self._choose_thresholds(X, labels)
        for tag, model in self.models_.items():  # stored with the model, so the graph predicts the same
            model.threshold = float(self.thresholds_[tag])
        return self

    def _fit_models(self, X: pd.DataFrame, labels: pd.DataFrame) -> dict[str, TagModel]:
        """One TagModel per tag column of `labels` (by default each fitted on its own by `_fit_tag`)."""
        return {tag: self._fit_tag(X, labels[tag].to_numpy(), tag) for tag in labels.columns}

    def _choose_thresholds(self, X: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
        """Per-tag decision thresholds: a fixed value, or ("f1") the training-F1-best score cut, placed midway
        to the next lower training score."""
        if self.threshold != "f1":
            return pd.Series(float(self.threshold), index=self.tags_)
        scores = self.predict_proba(X)
        best = {}
        for tag in self.tags_:
            cuts, i = best_f1_cut(scores[tag].to_numpy(), labels[tag].to_numpy().astype(bool))
            if i == 0:
                best[tag] = float(cuts[0])
            else:  # midway (in logits) to the next lower training score: no training track sits on the boundary
                lower, upper = logit(np.clip(cuts[[i - 1, i]], 1e-12, 1 - 1e-12))
                best[tag] = float(expit((lower + upper) / 2))
        return pd.Series(best)

    def _check_fitted(self, X: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "models_"):
            raise ValueError(f"{type(self).__name__} is not fitted yet; call fit first")
        X = check_features(X)
        missing = [f for f in self.feature_names_ if f not in X.columns]
        if missing:
            raise ValueError(f"X lacks features seen in fit: {missing}")
        return X

    def decision_function(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-tag logit: intercept plus the weights of the fired rules."""
        X = self._check_fitted(X)
        return pd.DataFrame({tag: m.logit(X) for tag, m in self.models_.items()}, index=X.index)

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-tag score, exactly `TagModel.score` (sigmoid of the logit, or 0/1 for the "any" link)."""
        X = self._check_fitted(X)
        return pd.DataFrame({tag: m.score(X) for tag, m in self.models_.items()}, index=X.index)

    def predict(self, X: pd.DataFrame) -> pd.Series | pd.DataFrame:
        """Single-label: the highest-logit tag (ties go to the commoner tag); multi-label: 0/1 per tag."""
        X = self._check_fitted(X)
        if self.single_label_:
            logits = self.decision_function(X)[self.prevalence_.sort_values(ascending=False, kind="stable").index]
            return logits.idxmax(axis=1)
        return (self.predict_proba(X) >= self.thresholds_).astype(int)
