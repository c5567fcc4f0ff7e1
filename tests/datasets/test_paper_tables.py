"""The paper's feature tables as (X, Y), where they are looked for, and the synthetic catalog made from them."""

from __future__ import annotations

import re

import numpy as np
import pytest

from whytag.datasets import DatasetError, load_gtzan, synthetic_catalog
from whytag.datasets.gtzan import GENRES
from whytag.datasets.paper_tables import ENV, GTZAN_TABLE, table_path


def test_gtzan_is_999_clips_of_61_features_with_a_genre_each(gtzan) -> None:
    X, y = gtzan
    assert X.shape == (999, 61) and X.index.name == "Track" and (X.index == y.index).all()
    assert sorted(y.unique()) == list(GENRES) and "Length" in X.columns


def test_jamendo_is_56_tags_beside_the_features_and_vocal_flag(jamendo) -> None:
    X, Y = jamendo
    assert X.shape == (2270, 62) and Y.shape == (2270, 56) and "Vocal-Instrumental" in X.columns
    assert set(np.unique(Y.to_numpy())) == {0, 1} and not set(X.columns) & set(Y.columns)


def test_an_absent_table_names_where_it_was_looked_for(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=re.escape(f"{tmp_path / GTZAN_TABLE}: the paper's table") + f".* {ENV} "):
        table_path(GTZAN_TABLE)
    with pytest.raises(DatasetError, match="absent"):
        load_gtzan()


def test_the_synthetic_catalog_is_the_same_for_every_caller(gtzan) -> None:
    X, y = synthetic_catalog(50, seed=3)
    again, labels = synthetic_catalog(50, seed=3)
    assert X.equals(again) and y.equals(labels)
    assert list(X.index[[0, -1]]) == ["s000001", "s000050"] and X.index.name == "Track"
    assert list(X.columns) == [c for c in gtzan[0].columns if c != "Length"] and set(y) <= set(GENRES)
    assert not X.equals(synthetic_catalog(50, seed=4)[0])
