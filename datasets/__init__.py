"""One loader per dataset, one interface."""

from __future__ import annotations

from pathlib import Path

from whytag.datasets.base import Dataset, DatasetError
from whytag.datasets.csvlist import CsvList
from whytag.datasets.gtzan import GTZAN
from whytag.datasets.jamendo import MTGJamendo
from whytag.datasets.mtat import MagnaTagATune

DATASETS: dict[str, type[Dataset]] = {"gtzan": GTZAN, "mtat": MagnaTagATune, "jamendo": MTGJamendo, "csv": CsvList}


def open_dataset(name: str, root: str | Path, **options) -> Dataset:
    """The loader registered as `name` for the dataset at `root` (options such as split= or subset= go to it)."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name](root, **options)


__all__ = ["DATASETS", "Dataset", "DatasetError", "open_dataset"]
