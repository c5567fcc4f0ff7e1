"""RIPPER (wittgenstein) per tag over quantile bins: a set of rules, the tag holds when any fires."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from whytag.reasoning.learners.base import OneVsRestRuleLearner, keep_parameters
from whytag.reasoning.learners.binning import bin_edges, interval_conditions, quantile_thresholds, to_codes
from whytag.reasoning.model import Condition, Rule, TagModel

LABEL = "__whytag_label__"  # the label column RIPPER reads from its training frame


class RipperLearner(OneVsRestRuleLearner):
    """RIPPER (wittgenstein) per tag: a set of rules, the tag holds when any fires (weights 1)."""

    def __init__(self, n_bins: int = 10, k: int = 2, prune_size: float = 0.33, max_rules: int | None = None,
                 random_state: int = 0, id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        """Discretise into quantile bins ourselves (so every bin maps back to exact thresholds), run RIPPER."""
        import wittgenstein as lw

        cuts = {f: quantile_thresholds(X[f], self.n_bins) for f in X.columns}
        # Rows numbered 0…n-1: wittgenstein iterates sets of row labels, so with string labels (track ids) its
        # rules would change with PYTHONHASHSEED from one run to the next.
        codes = to_codes(X, cuts).reset_index(drop=True)
        clf = lw.RIPPER(k=self.k, prune_size=self.prune_size, max_rules=self.max_rules,
                        random_state=self.random_state, n_discretize_bins=0, verbosity=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.fit(codes.assign(**{LABEL: y}), class_feat=LABEL, pos_class=1)
        rules = []
        for ripper_rule in clf.ruleset_.rules:
            conditions: list[Condition] = []
            for cond in ripper_rule.conds:
                lo, hi = bin_edges(cuts[cond.feature], int(cond.val))
                conditions += interval_conditions(cond.feature, lo, hi)
            rules.append(Rule(tag, tuple(conditions), 1.0))
        return TagModel(tag, 0.0, rules, link="any")
