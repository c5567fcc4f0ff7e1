"""Quantile binning whose bins map back to exact numeric thresholds (for learners that need categories)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from whytag.reasoning.model import Condition


def quantile_thresholds(values: pd.Series, n_bins: int) -> np.ndarray:
    """Sorted distinct interior cut points that split the observed values into about n_bins quantile bins."""
    present = values.dropna().to_numpy(dtype=float)
    if len(present) == 0 or n_bins < 2:
        return np.array([], dtype=float)
    cuts = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return cuts[cuts > present.min()]


def to_codes(X: pd.DataFrame, cuts: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each value's bin index (bin i is [cuts[i-1], cuts[i])); a missing value gets code -1."""
    codes = {f: np.searchsorted(cuts[f], X[f].to_numpy(dtype=float), side="right") for f in X.columns}
    out = pd.DataFrame(codes, index=X.index)
    return out.where(X.notna().to_numpy(), -1)


def bin_edges(cuts: np.ndarray, index: int) -> tuple[float, float]:
    """The [lo, hi) interval of bin `index` given sorted cut points (outer bins are open-ended)."""
    lo = cuts[index - 1] if index > 0 else -math.inf
    hi = cuts[index] if index < len(cuts) else math.inf
    return float(lo), float(hi)


def interval_conditions(feature: str, lo: float, hi: float) -> list[Condition]:
    """`feature >= lo` and `feature < hi`, leaving out an infinite side."""
    conditions = []
    if lo > -math.inf:
        conditions.append(Condition(feature, ">=", lo))
    if hi < math.inf:
        conditions.append(Condition(feature, "<", hi))
    return conditions
