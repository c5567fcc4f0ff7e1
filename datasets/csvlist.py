"""Any collection described by a CSV/TSV list of audio files and their tags: `path,tag[,tag…]`.

ROOT is the list itself, or a folder holding `labels.csv` or `labels.tsv` (what `whytag demo`
writes). Each row is an audio path (relative to the list's folder, or absolute) followed by its
tags, one per cell, or several in one cell separated by ';' (the demo's `path,tags` form). A first
row whose first cell is `path`, `file`, `filename` or `audio` is a header. A row with no tag is a
track with none of the tags. Track ids are the paths as written. The labels are single-label when
every track has exactly one tag, else multi-label. There is no official split: "train"/"test" are
a seeded random 80/20 split of the sorted ids, as for GTZAN.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from whytag.datasets.base import Dataset, DatasetError, check
from whytag.kg.tables import labels_from

HEADER_WORDS = {"path", "file", "filename", "audio"}
LIST_NAMES = ("labels.csv", "labels.tsv")


class CsvList(Dataset):
    """A user's own collection: a list of audio paths with their tags."""

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        candidates = [self.root / name for name in LIST_NAMES]
        self.list_file = self.root if not self.root.is_dir() else next((c for c in candidates if c.is_file()),
                                                                       candidates[0])
        self.name = self.list_file.stem

    def required_paths(self) -> list[Path]:
        return [self.list_file]

    def _read(self) -> tuple[dict[str, Path], pd.Series | pd.DataFrame]:
        delimiter = "\t" if self.list_file.suffix.lower() in (".tsv", ".tab") else ","
        with self.list_file.open(newline="") as handle:
            rows = list(csv.reader(handle, delimiter=delimiter))
        tags_of: dict[str, list[str]] = {}
        problems = []
        for number, row in enumerate(rows, 1):
            cells = [cell.strip() for cell in row]
            if not any(cells) or (number == 1 and cells[0].lower() in HEADER_WORDS):
                continue
            if not cells[0]:
                problems.append(f"{self.list_file}:{number}: no audio path in the first column")
            elif cells[0] in tags_of:
                problems.append(f"{self.list_file}:{number}: {cells[0]} is listed twice")
            tags_of[cells[0]] = [t.strip() for cell in cells[1:] for t in cell.split(";") if t.strip()]
        check(problems)
        if not tags_of:
            raise DatasetError(f"{self.list_file}: no tracks listed")
        labels = labels_from(pd.DataFrame({"tags": {p: ";".join(t) for p, t in tags_of.items()}}), ["tags"])
        return {p: self.list_file.parent / p for p in tags_of}, labels.sort_index()

    def _split_ids(self, name: str) -> list[str]:
        return self.random_split(name)
