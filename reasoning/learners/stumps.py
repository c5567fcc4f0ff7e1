"""Gradient-boosted stumps for many tags at once, each round's split shared by every tag.

Each boosting round picks the one (feature, threshold) split whose summed gain over all tags is
largest, then gives every tag its own Newton step on either side. A tag's model is still an
intercept plus weighted one-condition rules `feature >= threshold`, but rare tags no longer choose
thresholds from their few positives alone: they reuse the splits that the whole vocabulary agrees
on. On the Jamendo mood/theme table (56 tags, many with under 30 positives) this raises 5-fold
macro ROC-AUC of the stumps from 0.757 (a split per tag) to 0.778. With few, distinct classes (GTZAN's
10 genres) a split per tag is better, which is why `BoostedRulesLearner` shares splits only for
multi-label data by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from whytag.reasoning.learners.binning import quantile_thresholds, to_codes

MIN_HESSIAN = 1e-3  # HistGradientBoosting's min_hessian_to_split


@dataclass
class SharedStumps:
    """The fitted booster: per-tag intercepts (logits) and, per split `feature >= threshold`, one weight per tag."""

    intercepts: np.ndarray  # (tags,)
    splits: dict[tuple[str, float], np.ndarray]  # (feature, threshold) -> weights (tags,)


def boost_shared_stumps(X: pd.DataFrame, Y: np.ndarray, n_iter: int = 200, learning_rate: float = 0.1,
                        n_bins: int = 32, min_samples_leaf: int = 10, l2: float = 0.0,
                        allowed: np.ndarray | None = None) -> SharedStumps:
    """Boost logistic stumps on X for the 0/1 columns of Y (rows × tags), one shared split per round.

    Thresholds are quantile cut points of the training values (about `n_bins` bins per feature); a
    missing value is treated as below every threshold, which is what the compiled rule does with it.
    Where no split leaves `min_samples_leaf` rows on each side, the tags keep their base rates only.
    `allowed` (features × tags, boolean) limits each tag to its own features: a split on a feature a
    tag may not use neither counts in that tag's gain nor moves its logits, so every tag's rules read
    only its allowed features (how `BoostedRulesLearner` keeps a per-tag feature budget).
    """
    Y = np.asarray(Y, dtype=float)
    n, tags = Y.shape
    allowed = np.ones((X.shape[1], tags), dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    if allowed.shape != (X.shape[1], tags):
        raise ValueError(f"allowed must be features × tags {(X.shape[1], tags)}, not {allowed.shape}")
    cuts = {f: quantile_thresholds(X[f], n_bins) for f in X.columns}
    codes = to_codes(X, cuts).clip(lower=0).to_numpy()  # bin i is [cuts[i-1], cuts[i]); missing -> bin 0
    width = max(len(c) for c in cuts.values()) + 1
    cells = (codes + width * np.arange(X.shape[1])[None, :]).ravel()
    onehot = sparse.csr_matrix((np.ones(cells.size), (np.repeat(np.arange(n), X.shape[1]), cells)),
                               shape=(n, X.shape[1] * width)).T.tocsr()  # (feature × bin) × rows
    # A split after bin k sends bins <= k left and the rest right (`feature >= cuts[k]`).
    splittable = np.zeros((X.shape[1], width), dtype=bool)
    for j, f in enumerate(X.columns):
        splittable[j, :len(cuts[f])] = True
    left_rows = np.asarray(onehot.sum(axis=1)).reshape(X.shape[1], width).cumsum(axis=1)
    splittable &= (left_rows >= min_samples_leaf) & (n - left_rows >= min_samples_leaf)

    prior = np.clip(Y.mean(axis=0), 1e-6, 1 - 1e-6)
    intercepts = np.log(prior / (1 - prior))
    logits = np.tile(intercepts, (n, 1))
    splits: dict[tuple[str, float], np.ndarray] = {}
    for _ in range(n_iter if splittable.any() else 0):  # no split leaves each tag its base rate
        p = expit(logits)
        grad, hess = p - Y, p * (1 - p)
        g_left = (onehot @ grad).reshape(X.shape[1], width, tags).cumsum(axis=1)  # features × bins × tags
        h_left = (onehot @ hess).reshape(X.shape[1], width, tags).cumsum(axis=1)
        g_all, h_all = grad.sum(axis=0), hess.sum(axis=0)
        g_right, h_right = g_all - g_left, h_all - h_left
        # As in HistGradientBoosting, a tag whose rows on one side are already fitted (hessian below
        # MIN_HESSIAN) takes no step there: separable data would otherwise grow its weights every round.
        moves = (h_left >= MIN_HESSIAN) & (h_right >= MIN_HESSIAN) & allowed[:, None, :]
        h_left, h_right = np.maximum(h_left, MIN_HESSIAN) + l2, np.maximum(h_right, MIN_HESSIAN) + l2
        unsplit = g_all ** 2 / (h_all + l2 + 1e-12)  # each tag's loss term without a split
        gain = np.where(moves, g_left ** 2 / h_left + g_right ** 2 / h_right - unsplit, 0.0).sum(axis=2)
        j, k = np.unravel_index(np.argmax(np.where(splittable, gain, -np.inf)), gain.shape)
        left = np.where(moves[j, k], -learning_rate * g_left[j, k] / h_left[j, k], 0.0)
        right = np.where(moves[j, k], -learning_rate * g_right[j, k] / h_right[j, k], 0.0)
        feature = X.columns[j]
        threshold = float(cuts[feature][k])
        goes_right = codes[:, j] > k
        logits += left + np.outer(goes_right, right - left)
        intercepts = intercepts + left
        splits[(feature, threshold)] = splits.get((feature, threshold), 0.0) + (right - left)
    return SharedStumps(intercepts, splits)
