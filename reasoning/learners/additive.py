"""A penalised additive refit: per chosen feature a linear term plus quantile steps, fitted by L-BFGS.

Each tag's model keeps `concise`'s shape (one-condition rules `feature >= t` and one linear term per
feature, clipped to the training range by `TagModel.confine`), so a tag's reasons stay one per feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_softmax
from threadpoolctl import threadpool_limits

from whytag.reasoning.learners.base import keep_parameters
from whytag.reasoning.learners.binning import quantile_thresholds
from whytag.reasoning.learners.boosted import ConciseLearner
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel


def additive_basis(X: pd.DataFrame, features: list[str], n_bins: int) -> tuple[np.ndarray, list[tuple]]:
    """Per feature its standardised value (a missing one 0: the mean) and a 0/1 column `value >= t` for each
    inner quantile cut t of n_bins bins; beside it, what each column is: (feature, "linear", mean, sd) or
    (feature, "step", t, None)."""
    columns, meaning = [], []
    for feature in features:
        x = X[feature].to_numpy(dtype=float)
        mean, sd = float(np.nanmean(x)), float(np.nanstd(x)) or 1.0
        columns.append(np.nan_to_num((x - mean) / sd))
        meaning.append((feature, "linear", mean, sd))
        with np.errstate(invalid="ignore"):  # a missing value is below every cut: no step fires
            for cut in quantile_thresholds(X[feature], n_bins):
                columns.append((x >= cut).astype(float))
                meaning.append((feature, "step", float(cut), None))
    return np.column_stack(columns), meaning


def fit_additive(X: pd.DataFrame, labels: pd.DataFrame, features: dict[str, list[str]], n_bins: int = 16,
                 lambda_linear: float = 1.0, lambda_step: float = 10.0, joint: bool = False) -> dict[str, TagModel]:
    """Every tag's additive model over its own `features`, all fitted in one L-BFGS run.

    The L2 penalties count in rows (λ rows' worth of evidence pull a weight to 0), on the standardised
    linear weights and on each step's. `joint` (single-label data): the tags are one softmax over the
    classes, so the genres are fitted against each other; otherwise a logistic loss per tag.
    """
    tags = list(labels.columns)
    union = [f for f in X.columns if any(f in features[tag] for tag in tags)]
    B, meaning = additive_basis(X, union, n_bins)
    mask = np.array([[m[0] in features[tag] for tag in tags] for m in meaning], dtype=float)
    penalty = np.array([lambda_linear if m[1] == "linear" else lambda_step for m in meaning])[:, None]
    Y = labels.to_numpy(dtype=float)
    (n, p), k = B.shape, len(tags)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[:p * k].reshape(p, k) * mask, theta[p * k:]
        Z = B @ W + b
        if joint:
            L = log_softmax(Z, axis=1)
            value, G = -(Y * L).sum() / n, (np.exp(L) - Y) / n
        else:
            value, G = (np.logaddexp(0, Z) - Y * Z).sum() / n, (expit(Z) - Y) / n
        value += 0.5 * (penalty * W ** 2).sum() / n
        return value, np.concatenate([((B.T @ G + penalty * W / n) * mask).ravel(), G.sum(axis=0)])

    prior = np.clip(Y.mean(axis=0), 1e-6, 1 - 1e-6)
    start = np.concatenate([np.zeros(p * k), np.log(prior) if joint else np.log(prior / (1 - prior))])
    # One BLAS thread: a threaded matrix product sums in another order, and L-BFGS carries the last-bit difference
    # into other weights, so the shipped sets would not rebuild byte for byte on a machine with more cores.
    with threadpool_limits(limits=1):
        theta = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 3000}).x
    W, b = theta[:p * k].reshape(p, k) * mask, theta[p * k:]
    models = {}
    for j, tag in enumerate(tags):
        used = [(m, w) for m, w in zip(meaning, W[:, j]) if w != 0.0]
        linear = [LinearTerm(f, float(w / sd), mean) for (f, kind, mean, sd), w in used if kind == "linear"]
        rules = [Rule(tag, (Condition(f, ">=", cut),), float(w)) for (f, kind, cut, _), w in used if kind == "step"]
        models[tag] = TagModel(tag, float(b[j]), rules, linear=linear)
    return models


def weighted_sum(a: TagModel, b: TagModel, weight_b: float) -> TagModel:
    """`(1 − weight_b) × a + weight_b × b` as one TagModel: both intercepts, both rule sets, one linear term
    per feature (two lines on a feature add up to one), so a feature still gives one reason."""
    weight_a = 1.0 - weight_b
    intercept = weight_a * a.intercept + weight_b * b.intercept
    lines: dict[str, tuple[float, float]] = {}  # feature → (weight, centre)
    for scale, model in ((weight_a, a), (weight_b, b)):
        for term in model.linear:
            weight, centre = lines.get(term.feature, (0.0, term.center))
            intercept += scale * term.weight * (centre - term.center)  # w(x − c') = w(x − c) + w(c − c')
            lines[term.feature] = (weight + scale * term.weight, centre)
    rules = [Rule(r.tag, r.conditions, scale * r.weight) for scale, model in ((weight_a, a), (weight_b, b))
             for r in model.rules if scale != 0.0]
    return TagModel(a.tag, intercept, rules, linear=[LinearTerm(f, w, c) for f, (w, c) in lines.items() if w != 0.0])


class AdditiveLearner(ConciseLearner):
    """`additive`, the default: `concise`'s features, each genre's model refitted as a penalised additive one.

    The features and the budget are `concise`'s (its L1 path over the unrestricted boosted fit; 10 a
    tag, fewer where the predicted training tags' 5 largest reasons hold under `min_coverage`, judged on
    this learner's own models). On them, `fit_additive` fits a linear term and 15 quantile steps per
    feature, penalised, the genres of single-label data jointly by softmax. Its model is added to the
    boosted refit with weight `additive_weight` (1: the additive model alone) or, on multi-label data,
    `multi_label_weight` (0: `concise`'s models exactly). On GTZAN (10 fresh 80/20 splits) the additive
    model alone gains +0.026 ± 0.006 accuracy over `concise` at the same coverage; on Jamendo (2 folds)
    it loses 0.009 ROC-AUC for +0.003 PR-AUC, half of each 0.000 for +0.008 with top-5 coverage under
    0.8 (0.77; on 5 further folds +0.015 ± 0.004 PR-AUC, coverage 0.80, yet a budget judged on the half
    blend's own coverage steps down and loses the gain), so multi-label tags keep `concise`'s fit
    (bench/RESULTS.md, "#31 item 7" and "#31 items 6 and 7"). A refitted
    genre has up to 15 step rules a feature; `max_conditions` bounds the boosted fits only.
    """

    def __init__(self, additive_weight: float = 1.0, multi_label_weight: float = 0.0, n_steps: int = 16,
                 lambda_linear: float = 1.0, lambda_step: float = 10.0, max_features: int | None = 10,
                 smaller: tuple[int, ...] = (8, 6), min_coverage: float = 0.8, linear_C: float = 0.1,
                 linear_weight: float = 0.5, linear_rank: int | None = 16, max_depth: int = 1, max_iter: int = 200,
                 learning_rate: float = 0.1, max_bins: int = 32, l2_regularization: float = 0.0,
                 min_samples_leaf: int = 10, max_conditions: int | None = 100, shared_splits: bool | None = None,
                 random_state: int = 0, id_prefix: str = "tag", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def _fit_on(self, X: pd.DataFrame, labels: pd.DataFrame,
                features: dict[str, list[str]] | None) -> dict[str, TagModel]:
        """The unrestricted fit is the boosted one (it chooses the features); on chosen features, the
        additive refit, added to the boosted refit where its weight is under 1."""
        weight = self.additive_weight if self.single_label_ else self.multi_label_weight
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"the additive model's weight must lie in [0, 1], not {weight!r}")
        if features is None or weight == 0.0:
            return super()._fit_on(X, labels, features)
        additive = fit_additive(X, labels, features, n_bins=self.n_steps, lambda_linear=self.lambda_linear,
                                lambda_step=self.lambda_step, joint=self.single_label_)
        if weight == 1.0:
            return additive
        boosted = super()._fit_on(X, labels, features)
        return {tag: weighted_sum(boosted[tag], additive[tag], weight) for tag in labels.columns}
