"""imodels RuleFit per tag, read back as weighted rules."""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np
import pandas as pd

from whytag.reasoning.learners.base import Body, OneVsRestRuleLearner, body_rules, keep_parameters
from whytag.reasoning.model import Condition, TagModel


class RuleFitLearner(OneVsRestRuleLearner):
    """imodels RuleFit per tag, rules only (no raw linear terms): an L1 logistic model over tree rules."""

    def __init__(self, n_estimators: int = 100, tree_size: int = 4, max_rules: int = 30, random_state: int = 0,
                 id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        """Fit RuleFit and read each rule's terms and logistic coefficient back as a Rule."""
        from imodels import RuleFitClassifier

        clf = RuleFitClassifier(n_estimators=self.n_estimators, tree_size=self.tree_size, max_rules=self.max_rules,
                                include_linear=False, random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(X.to_numpy(), y, feature_names=list(X.columns))
        bodies: dict[Body, float] = defaultdict(float)
        for rule, coef in zip(clf.rules_, clf.coef):
            body = frozenset(Condition(f, op, float(v)) for (f, op), v in rule.agg_dict.items())
            bodies[body] += float(coef)
        intercept, rules = body_rules(tag, bodies, tol=0.0)
        return TagModel(tag, float(np.ravel(clf.intercept)[0]), rules)
