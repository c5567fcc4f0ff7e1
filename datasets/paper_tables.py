"""The feature tables published with Lyberatos et al. (IEEE Access 2025), as (X, Y) ready to learn from.

Both come from github.com/vaslyb/perceptible-music-tagging (Apache-2.0) and are not shipped: whytag
looks for them in the folder `$WHYTAG_PAPER_TABLES` names, else in `../shared/data` beside the repository.
- GTZAN (`gtzan_perceptual_features.csv`): 999 clips, 61 features, one-hot genre columns → a genre each.
- MTG-Jamendo mood/theme (`jamendo_moodtheme_dev.csv`): 2,270 tracks, 61 features plus
  `Vocal-Instrumental`, 56 binary mood/theme tag columns → a 0/1 tag frame.
Tables are read as `whytag learn` reads them (ids from `Track`, feature names made canonical).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from whytag.datasets.base import DatasetError
from whytag.datasets.gtzan import GENRES
from whytag.kg.tables import labels_from, numeric_features, read_table

ENV = "WHYTAG_PAPER_TABLES"
GTZAN_TABLE, JAMENDO_TABLE = "gtzan_perceptual_features.csv", "jamendo_moodtheme_dev.csv"
ID_COLUMN = "Track"
JAMENDO_FLAGS = ("Vocal-Instrumental",)  # 0/1 columns of the Jamendo table that are features, not tags


def tables_dir() -> Path:
    """The folder holding the tables: `$WHYTAG_PAPER_TABLES`, else `../shared/data` beside the repository."""
    return Path(os.environ.get(ENV) or Path(__file__).resolve().parents[2] / "shared" / "data")


def table_path(name: str) -> Path:
    """Where table `name` is; raises DatasetError saying where it was looked for when it is absent."""
    path = tables_dir() / name
    if not path.is_file():
        raise DatasetError(f"{path}: the paper's table {name} is absent; set {ENV} to the folder that holds it")
    return path


def load_gtzan(path: str | Path | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """GTZAN's features and the genre of each clip, both indexed by clip id."""
    table = read_table(path or table_path(GTZAN_TABLE), ID_COLUMN)
    genres = list(GENRES)
    return numeric_features(table, exclude=genres), labels_from(table, genres)


def load_jamendo_moodtheme(path: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Jamendo's features and its 0/1 mood/theme tag columns, both indexed by track id."""
    table = read_table(path or table_path(JAMENDO_TABLE), ID_COLUMN)
    tags = [c for c in table.columns if c not in JAMENDO_FLAGS and set(pd.unique(table[c])) <= {0, 1}]
    return numeric_features(table, exclude=tags), labels_from(table, tags)
