"""One loader per dataset, one interface."""

from __future__ import annotations

from pathlib import Path

from whytag.datasets.base import Dataset, DatasetError
from whytag.datasets.csvlist import CsvList
from whytag.datasets.gtzan import GTZAN
from whytag.datasets.jamendo import MTGJamendo
from whytag.datasets.mtat import MagnaTagATune
from whytag.datasets.paper_tables import load_gtzan, load_jamendo_moodtheme
from whytag.datasets.synthetic import synthetic_catalog

DATASETS: dict[str, type[Dataset]] = {"gtzan": GTZAN, "mtat": MagnaTagATune, "jamendo": MTGJamendo, "csv": CsvList}


def open_dataset(name: str, root: str | Path, **options) -> Dataset:
    """The loader registered as `name` for the dataset at `root` (options such as split= or subset= go to it)."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name](root, **options)


__all__ = ["DATASETS", "Dataset", "DatasetError", "load_gtzan", "load_jamendo_moodtheme", "open_dataset",
           "synthetic_catalog"]
