"""Synthetic catalogs of any size, resampled from the paper's GTZAN table: for scale benchmarks and tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from whytag.datasets.paper_tables import ID_COLUMN, load_gtzan

NOISE = 0.05  # of each column's std: resampled rows are near, not equal, to the real clips


def synthetic_catalog(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """n tracks `s000001`… (features, genre): GTZAN rows drawn with replacement, each value plus noise.

    The noise is NOISE × the column's std × a standard normal; Length is left out (every clip is 30 s).
    """
    X, genres = load_gtzan()
    X = X.drop(columns=["Length"])
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(X), n)
    values = X.to_numpy()[rows] + NOISE * X.std().to_numpy() * rng.standard_normal((n, X.shape[1]))
    ids = pd.Index([f"s{i:06d}" for i in range(1, n + 1)], name=ID_COLUMN)
    return pd.DataFrame(values, index=ids, columns=X.columns), pd.Series(genres.to_numpy()[rows], index=ids)
