"""InterpretML's Explainable Boosting Machine per tag, and its exact compilation into weighted interval rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from whytag.reasoning.learners.base import OneVsRestRuleLearner, keep_parameters
from whytag.reasoning.learners.binning import interval_conditions
from whytag.reasoning.model import Rule, TagModel


class EBMLearner(OneVsRestRuleLearner):
    """InterpretML EBM per tag, compiled exactly: each merged bin of each term is one weighted rule."""

    def __init__(self, interactions: int = 5, max_bins: int = 1024, max_interaction_bins: int = 32,
                 merge_tol: float = 1e-9, n_jobs: int = 1, random_state: int = 0,
                 id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def fit_ebm(self, X: pd.DataFrame, y: np.ndarray):
        """The underlying EBM for one tag (kept separate so tests can compare its decision_function)."""
        from interpret.glassbox import ExplainableBoostingClassifier

        ebm = ExplainableBoostingClassifier(interactions=self.interactions, max_bins=self.max_bins,
                                            max_interaction_bins=self.max_interaction_bins, n_jobs=self.n_jobs,
                                            random_state=self.random_state)
        return ebm.fit(X, y)

    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        return compile_ebm(self.fit_ebm(X, y), tag, self.merge_tol)


def merged_intervals(cuts: np.ndarray, scores: np.ndarray, tol: float) -> list[tuple[float, float, int]]:
    """Merge runs of adjacent bins whose score rows differ by <= tol: (lo, hi, first bin index) each."""
    edges = np.concatenate([[-math.inf], cuts, [math.inf]])
    runs, start = [], 0
    for i in range(1, len(scores) + 1):
        if i == len(scores) or np.max(np.abs(scores[i] - scores[start])) > tol:
            runs.append((float(edges[start]), float(edges[i]), start))
            start = i
    return runs


def interval_rules(tag: str, feature: str, cuts: np.ndarray, values: np.ndarray, tol: float) -> list[Rule]:
    """One rule per merged run of bins of a one-feature score function, skipping (near-)zero runs."""
    return [
        Rule(tag, tuple(interval_conditions(feature, lo, hi)), float(values[i]))
        for lo, hi, i in merged_intervals(cuts, values[:, None], tol)
        if abs(values[i]) > tol
    ]


def compile_ebm(ebm, tag: str, tol: float) -> TagModel:
    """Turn a binary EBM into a TagModel whose logit equals ebm.decision_function, missing values included.

    EBM bins a value v into bin searchsorted(cuts, v, "right") + 1 (index 0 is the missing bin), so a
    bin is [lo, hi). A rule never fires on a missing value, so each term's all-missing score joins the
    intercept and is subtracted elsewhere: a main term's bins carry `score - missing`; a pair's
    one-missing margins become one-feature rules and its cells carry what the margins leave over.
    """
    intercept = float(np.ravel(ebm.intercept_)[0])
    rules: list[Rule] = []
    names = list(ebm.feature_names_in_)
    for features, scores in zip(ebm.term_features_, ebm.term_scores_):
        if len(features) == 1:
            f = features[0]
            intercept += float(scores[0])
            rules += interval_rules(tag, names[f], ebm.bins_[f][0], scores[1:-1] - scores[0], tol)
            continue
        f, g = features
        cuts_f = ebm.bins_[f][min(1, len(ebm.bins_[f]) - 1)]
        cuts_g = ebm.bins_[g][min(1, len(ebm.bins_[g]) - 1)]
        both_missing, f_missing, g_missing = float(scores[0, 0]), scores[0, 1:-1], scores[1:-1, 0]
        intercept += both_missing
        rules += interval_rules(tag, names[f], cuts_f, g_missing - both_missing, tol)
        rules += interval_rules(tag, names[g], cuts_g, f_missing - both_missing, tol)
        grid = scores[1:-1, 1:-1] - f_missing[None, :] - g_missing[:, None] + both_missing
        for lo_f, hi_f, i in merged_intervals(cuts_f, grid, tol):
            for rule in interval_rules(tag, names[g], cuts_g, grid[i], tol):
                rule.conditions = tuple(interval_conditions(names[f], lo_f, hi_f)) + rule.conditions
                rules.append(rule)
    return TagModel(tag, intercept, rules)
