"""Gradient-boosted rules: boosted shallow trees compiled leaf-exactly, optionally plus linear terms per feature."""

from __future__ import annotations

import numpy as np
import pandas as pd

from whytag.reasoning.learners.base import OneVsRestRuleLearner, body_rules, keep_parameters
from whytag.reasoning.learners.stumps import boost_shared_stumps
from whytag.reasoning.learners.trees import boosted_bodies
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel, top_share


class BoostedRulesLearner(OneVsRestRuleLearner):
    """Gradient-boosted shallow trees, compiled leaf-exactly into weighted rules.

    Stumps (max_depth=1) make an additive step-function model in which each distinct threshold of a
    feature is one single-condition rule, so repeated splits merge and tags stay within a small
    condition budget; depth 2 adds pairwise rules of two conditions. Each tag is boosted on its own
    (sklearn HistGradientBoosting) unless `shared_splits`: then one booster picks each round's stump
    split for all tags together (`learners.stumps`), which steadies rare tags. The default (None)
    shares the splits of stumps on multi-label data, where 5-fold macro ROC-AUC on Jamendo rises from
    0.757 to 0.778, and not on single-label data, where GTZAN's genres want splits of their own.

    `max_features` caps the features each tag's model reads, so that a handful of features carry most
    of a tag's logit and its explanation stays short. The budget is kept by selecting, then refitting:
    the unrestricted model is fitted first, each tag keeps the `max_features` features whose centred
    contributions are largest on average over the training rows (`top_features`), and the tag's
    model is fitted again on those alone (its own booster sees only those columns; a shared booster
    lets a split move only the tags allowed its feature). Ranking on the finished unrestricted model,
    rather than filling the budget inside boosting, keeps early rounds (which see only the base rate)
    from locking in the features that happen to win first. The budget counts features, so a depth-2
    rule over two chosen features still counts two, and `max_conditions` still applies on top.
    """

    def __init__(self, max_depth: int = 1, max_iter: int = 200, learning_rate: float = 0.1, max_bins: int = 32,
                 l2_regularization: float = 0.0, min_samples_leaf: int = 10, max_conditions: int | None = 100,
                 max_features: int | None = None, shared_splits: bool | None = None, random_state: int = 0,
                 id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_models(self, X: pd.DataFrame, labels: pd.DataFrame) -> dict[str, TagModel]:
        """Every tag's model on all features; with a feature budget, each tag's again on its chosen features.

        Sets `features_`: per tag, the features its model may read (all of them without a budget).
        """
        if self.shared_splits and self.max_depth != 1:
            raise ValueError(f"shared_splits boosts stumps only; max_depth={self.max_depth} needs shared_splits=False")
        if self.max_features is not None and (isinstance(self.max_features, bool) or
                                              not isinstance(self.max_features, int) or self.max_features < 1):
            raise ValueError(f"max_features must be a positive integer or None, not {self.max_features!r}")
        models = self._fit_on(X, labels, None)
        self.features_ = {tag: list(X.columns) for tag in labels.columns}
        if self.max_features is None or self.max_features >= X.shape[1]:
            return models
        self.features_ = {tag: top_features(model, X, self.max_features) for tag, model in models.items()}
        return self._fit_on(X, labels, self.features_)

    def _fit_on(self, X: pd.DataFrame, labels: pd.DataFrame,
                features: dict[str, list[str]] | None) -> dict[str, TagModel]:
        """A booster per tag, or (shared splits) one booster for all tags, each tag's rules within the
        condition budget and over its own `features` only (all columns of X when None)."""
        shared = (self.shared_splits if self.shared_splits is not None
                  else not self.single_label_ and self.max_depth == 1)
        if not shared:
            return {tag: self._fit_tag(X if features is None else X[features[tag]], labels[tag].to_numpy(), tag)
                    for tag in labels.columns}
        allowed = None if features is None else np.array([X.columns.isin(features[tag]) for tag in labels.columns]).T
        stumps = boost_shared_stumps(X, labels.to_numpy(), n_iter=self.max_iter, learning_rate=self.learning_rate,
                                     n_bins=self.max_bins, min_samples_leaf=self.leaf_size(len(X)),
                                     l2=self.l2_regularization, allowed=allowed)
        models = {}
        for t, tag in enumerate(labels.columns):
            rules = [Rule(tag, (Condition(feature, ">=", threshold),), float(weights[t]))
                     for (feature, threshold), weights in stumps.splits.items() if abs(weights[t]) > 1e-12]
            models[tag] = TagModel(tag, float(stumps.intercepts[t]), self._within_budget(rules))
        return models

    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        """Boost, sum every tree's exact rule expansion, then keep the heaviest rules within the budget."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        hgb = HistGradientBoostingClassifier(
            max_depth=self.max_depth, max_leaf_nodes=2 ** self.max_depth, max_iter=self.max_iter,
            learning_rate=self.learning_rate, max_bins=self.max_bins, l2_regularization=self.l2_regularization,
            min_samples_leaf=self.leaf_size(len(X)), early_stopping=False, random_state=self.random_state,
        ).fit(X, y)
        bodies = boosted_bodies(hgb, list(X.columns), X.isna().any().to_numpy())
        intercept, rules = body_rules(tag, bodies, tol=1e-12)
        return TagModel(tag, intercept, self._within_budget(rules))

    def leaf_size(self, n_rows: int) -> int:
        """min_samples_leaf, shrunk on small training sets (an eighth of them) so a split stays possible."""
        return max(2, min(self.min_samples_leaf, n_rows // 8))

    def _within_budget(self, rules: list[Rule]) -> list[Rule]:
        """Drop the lightest rules until the tag uses at most max_conditions conditions."""
        if self.max_conditions is None:
            return rules
        kept, used = [], 0
        for rule in sorted(rules, key=lambda r: -abs(r.weight)):
            if used + len(rule.conditions) <= self.max_conditions:
                kept.append(rule)
                used += len(rule.conditions)
        return kept


class BoostedLinearLearner(BoostedRulesLearner):
    """Boosted stump rules plus one linear term per feature: the sum of two separately fitted models.

    The stumps catch thresholds and non-monotone shapes; an L2-regularised logistic regression on
    standardised features adds smooth trends the steps only approximate. Their logits are added, the
    linear one scaled by `linear_weight` (an ensemble, so each part keeps its own fit). With more tags
    than `linear_rank`, the tags' linear coefficients are reduced to that rank (truncated SVD of the
    feature × tag matrix, in standardised units): related tags share their trends, which steadies rare
    tags. On the Jamendo mood/theme table (56 tags) this raises 5-fold macro ROC-AUC from 0.778
    (shared-split stumps alone) and 0.742 (plain logistic regression) to 0.782.
    """

    def __init__(self, linear_C: float = 0.1, linear_weight: float = 0.5, linear_rank: int | None = 16,
                 max_depth: int = 1, max_iter: int = 200, learning_rate: float = 0.1, max_bins: int = 32,
                 l2_regularization: float = 0.0, min_samples_leaf: int = 10, max_conditions: int | None = 100,
                 max_features: int | None = None, shared_splits: bool | None = None, random_state: int = 0,
                 id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_on(self, X: pd.DataFrame, labels: pd.DataFrame,
                features: dict[str, list[str]] | None) -> dict[str, TagModel]:
        """The stump models, then one logistic regression per tag on standardised features, the rank
        reduction, and the terms (centred on the training means) and intercepts join each tag's model.

        With per-tag `features` (a feature budget) each tag's regression sees its own features only, and
        there is no rank reduction: a tag then has a few coefficients, not one per feature, to fit.
        """
        from sklearn.linear_model import LogisticRegression

        models = super()._fit_on(X, labels, features)
        center = X.mean()
        scale = X.std().replace(0.0, 1.0).fillna(1.0)
        standard = ((X - center) / scale).fillna(0.0)  # a missing value sits at the mean: no contribution
        columns = {tag: list(X.columns) if features is None else features[tag] for tag in labels.columns}
        fits = {tag: LogisticRegression(C=self.linear_C, max_iter=5000).fit(standard[columns[tag]], labels[tag])
                for tag in labels.columns}
        coefficients = {tag: fit.coef_[0] for tag, fit in fits.items()}  # standardised units
        if features is None and self.linear_rank is not None and self.linear_rank < min(X.shape[1], labels.shape[1]):
            u, s, vt = np.linalg.svd(np.stack(list(coefficients.values()), axis=1), full_matrices=False)
            reduced = (u[:, :self.linear_rank] * s[:self.linear_rank]) @ vt[:self.linear_rank]
            coefficients = {tag: reduced[:, j] for j, tag in enumerate(coefficients)}
        for tag, fit in fits.items():
            model = models[tag]
            model.intercept += self.linear_weight * float(fit.intercept_[0])
            weights = self.linear_weight * coefficients[tag] / scale[columns[tag]].to_numpy()
            model.linear = [LinearTerm(f, float(w), float(center[f]))
                            for f, w in zip(columns[tag], weights) if w != 0.0]
        return models


class SparseBoostedLinearLearner(BoostedLinearLearner):
    """`BoostedLinearLearner` with a budget of 8 features per tag (`max_features=8`), the `sparse` learner.

    Each tag's logit then comes from 8 features, and the 5 largest reasons of a predicted assignment
    hold a median 0.87 of its Σ|reason| (GTZAN, 5-fold CV × 3; 0.56 with all 61 features; Jamendo
    0.88 vs 0.46): of the budgets measured (3, 5, 8, 10, 12), the largest that keeps that median above
    0.8 (10 gives 0.796), so the one that loses least accuracy. It costs accuracy (GTZAN 0.699 vs 0.713,
    XGBoost 0.732; Jamendo macro ROC-AUC 0.766 vs 0.782 on one of 10 folds and 0.765 vs 0.781 on the
    held-out Track mod 5 = 2 rows, XGBoost 0.761 / 0.749), so it is an option beside the default, not the default.
    """

    def __init__(self, max_features: int | None = 8, linear_C: float = 0.1, linear_weight: float = 0.5,
                 linear_rank: int | None = 16, max_depth: int = 1, max_iter: int = 200, learning_rate: float = 0.1,
                 max_bins: int = 32, l2_regularization: float = 0.0, min_samples_leaf: int = 10,
                 max_conditions: int | None = 100, shared_splits: bool | None = None, random_state: int = 0,
                 id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())


class ConciseLearner(BoostedLinearLearner):
    """`concise`: `BoostedLinearLearner` with the largest feature budget that keeps explanations short (the default,
    `additive`, chooses its features so and refits a single-label model on them).

    Each tag's model reads at most `max_features` features, then is refitted on them alone (as
    `BoostedRulesLearner` does). They are chosen together, not one by one: the unrestricted model's
    per-feature contributions enter an L1-penalised logistic regression for the tag, and the features
    its regularisation path admits first are kept (`first_features`), so two features that say the same
    thing (spectral centroid and rolloff) do not both take a place. On GTZAN (5 random 80/20 splits, no
    mid-level features) a budget of 8 chosen so reached 0.640 accuracy with top-5 coverage 0.90, against
    0.634 / 0.88 when ranked one by one (`top_features`, the `sparse` learner). When the 5 largest reasons
    of the predicted training assignments then hold a median share of their Σ|reason| under
    `min_coverage`, the budget steps down through `smaller` until they do. So a person reading a tag's
    five reasons reads most of why, and as many features as that allows are used: a budget costs
    accuracy (bench/RESULTS.md, "#31: one learner both concise and accurate"). `budget_` is the budget kept.
    """

    def __init__(self, max_features: int | None = 10, smaller: tuple[int, ...] = (8, 6), min_coverage: float = 0.8,
                 linear_C: float = 0.1, linear_weight: float = 0.5, linear_rank: int | None = 16, max_depth: int = 1,
                 max_iter: int = 200, learning_rate: float = 0.1, max_bins: int = 32, l2_regularization: float = 0.0,
                 min_samples_leaf: int = 10, max_conditions: int | None = 100, shared_splits: bool | None = None,
                 random_state: int = 0, id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_models(self, X: pd.DataFrame, labels: pd.DataFrame) -> dict[str, TagModel]:
        """The unrestricted models once, then each budget in turn until the training coverage is met."""
        full = self._fit_on(X, labels, None)
        budgets = [self.max_features, *sorted((b for b in self.smaller if b < (self.max_features or X.shape[1])),
                                              reverse=True)]
        for budget in budgets:
            self.budget_ = budget
            if budget is None or budget >= X.shape[1]:
                self.features_ = {tag: list(X.columns) for tag in labels.columns}
                models = full
            else:
                self.features_ = {tag: first_features(model, X, labels[tag].to_numpy(), budget)
                                  for tag, model in full.items()}
                models = self._fit_on(X, labels, self.features_)
            if training_coverage(models, X, labels, self.single_label_) >= self.min_coverage:
                break
        return models


def training_coverage(models: dict[str, TagModel], X: pd.DataFrame, labels: pd.DataFrame, single_label: bool) -> float:
    """The median share of Σ|reason| that the 5 largest reasons hold, over the assignments these models
    predict on their training rows (single-label: each row's top tag; else a score of 0.5 or more)."""
    logits = pd.DataFrame({tag: model.logit(X) for tag, model in models.items()}, index=X.index)
    predicted = (logits.eq(logits.max(axis=1), axis=0) if single_label else logits >= 0.0).to_numpy()
    shares = []
    for t, model in enumerate(models.values()):
        model.centre(X)
        shares.append(top_share(model.reasons(X).to_numpy()[predicted[:, t]]))
    pooled = np.concatenate(shares)
    return float(np.median(pooled)) if len(pooled) else 1.0


def first_features(model: TagModel, X: pd.DataFrame, y: np.ndarray, k: int, steps: int = 16) -> list[str]:
    """The k features (in X's column order) that an L1-penalised logistic regression of y on the model's
    centred effect contributions admits first along its regularisation path (C from 1e-3 to 10, `steps`
    values; a feature entering at the same C as others ranks by its coefficient's size), filled up by
    `importance` where the path admits fewer. A rule over several features admits them all.
    """
    from sklearn.linear_model import LogisticRegression

    contributions = model.effect_contributions(X)
    Z = (contributions - contributions.mean()).to_numpy()
    entered: dict[str, tuple[int, float]] = {}
    for step, C in enumerate(np.logspace(-3, 1, steps)):
        fit = LogisticRegression(C=float(C), l1_ratio=1.0, solver="liblinear", max_iter=2000).fit(Z, y)
        for effect, weight in zip(contributions.columns, fit.coef_[0]):
            for feature in effect:
                if abs(weight) > 1e-10 and feature not in entered:
                    entered[feature] = (step, -abs(float(weight)))
        if len(entered) >= k:
            break
    chosen = sorted(entered, key=lambda f: entered[f])[:k]
    ranked = importance(model, X).sort_values(ascending=False, kind="stable").index
    chosen += [f for f in ranked if f not in chosen][:k - len(chosen)]
    return [f for f in X.columns if f in set(chosen)]


def top_features(model: TagModel, X: pd.DataFrame, k: int) -> list[str]:
    """The k features (in X's column order) whose centred contributions to the model's logit are largest
    on average over the rows of X: the features that carry most of the tag's explanations there."""
    chosen = set(importance(model, X).sort_values(ascending=False, kind="stable").index[:k])
    return [f for f in X.columns if f in chosen]


def importance(model: TagModel, X: pd.DataFrame) -> pd.Series:
    """Per feature of X, the mean |centred contribution| of its effects over the rows of X; a rule over
    several features (a depth-2 tree's pair) shares its contribution among them equally."""
    contributions = model.effect_contributions(X)
    spread = (contributions - contributions.mean()).abs().mean()
    out = pd.Series(0.0, index=X.columns)
    for effect, value in zip(contributions.columns, spread.to_numpy()):
        for feature in effect:
            out[feature] += value / len(effect)
    return out
