"""The black-box baselines every learner is compared with: the paper's XGBoost and logistic regression,
fitted on the same split in the same run."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from whytag.evaluation.metrics import is_single_label


class OneVsRestBaseline:
    """A black-box baseline with whytag's fit/predict/predict_proba interface, one-vs-rest or multinomial."""

    def __init__(self, make: Callable[[], object], multinomial: bool = True):
        self.make = make
        self.multinomial = multinomial

    def fit(self, X: pd.DataFrame, Y) -> OneVsRestBaseline:
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
    out = {"logistic-regression": OneVsRestBaseline(
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)), multinomial=single_label)}
    try:
        from xgboost import XGBClassifier  # optional, so imported only here
    except ImportError:  # xgboost is in the [bench] and [test] extras
        return out
    objective = "multi:softprob" if single_label else "binary:logistic"
    # one thread: the same scores, and on a busy machine two OpenMP threads ran 15x slower (347 s on Jamendo)
    out = {"xgboost (paper)": OneVsRestBaseline(
        lambda: XGBClassifier(max_depth=2, learning_rate=0.3, objective=objective, n_jobs=1, random_state=seed,
                              verbosity=0), multinomial=single_label), **out}
    return out
