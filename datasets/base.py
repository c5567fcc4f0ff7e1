"""The one interface every dataset loader shares (mirdata style), and the plumbing they have in common.

A loader knows where a dataset keeps its metadata and audio, reads the labels of every track (a
Series of class names when each track has exactly one label, else a 0/1 DataFrame with one column
per tag), and the track ids of its official splits. `validate()` says, one line per problem and
naming the exact path, what is missing or malformed, so a half-downloaded dataset is easy to fix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from whytag.errors import DatasetError

MAX_LISTED = 20  # problems listed one per line before the rest are only counted


class Dataset(ABC):
    """A labelled audio collection on disk: track ids, their audio files, labels and official splits."""

    name: str = ""
    parts: tuple[str, ...] = ("train", "test")  # the names `split()` accepts

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @abstractmethod
    def required_paths(self) -> list[Path]:
        """Metadata files and folders that must exist before labels or splits can be read."""

    @abstractmethod
    def _read(self) -> tuple[dict[str, Path], pd.Series | pd.DataFrame]:
        """Track id → audio path, and the labels indexed by track id (raise DatasetError on bad content)."""

    @abstractmethod
    def _split_ids(self, name: str) -> list[str]:
        """Track ids of one part of the official split (`name` is one of `parts`)."""

    @cached_property
    def _index(self) -> tuple[dict[str, Path], pd.Series | pd.DataFrame]:
        """`_read()` once, after checking that the required metadata exists."""
        missing = [f"{path}: missing" for path in self.required_paths() if not path.exists()]
        if missing:
            raise DatasetError("\n".join(missing))
        return self._read()

    def track_ids(self) -> list[str]:
        """Every track id of the dataset, sorted."""
        return sorted(self._index[0])

    def audio_path(self, track_id: str) -> Path:
        """Where the audio of `track_id` is (or should be) on disk."""
        try:
            return self._index[0][track_id]
        except KeyError:
            raise DatasetError(f"{self.root}: no track {track_id!r} in {self.name}") from None

    def track_id(self, row_id: object) -> str:
        """The track id that a feature table's row id names (the id itself unless a loader knows other forms)."""
        return str(row_id)

    def labels(self) -> pd.Series | pd.DataFrame:
        """Labels indexed by track id: class names (single-label) or one 0/1 column per tag (multi-label)."""
        return self._index[1].copy()

    @property
    def single_label(self) -> bool:
        """True when every track carries exactly one label (accuracy is then the headline metric)."""
        return isinstance(self._index[1], pd.Series)

    @property
    def vocabulary(self) -> list[str]:
        """The tag (or class) names, in the order the dataset defines them."""
        labels = self._index[1]
        return sorted(labels.unique()) if isinstance(labels, pd.Series) else list(labels.columns)

    def split(self, name: str) -> list[str]:
        """Track ids of one part (e.g. "train", "valid", "test") of the dataset's official split."""
        if name not in self.parts:
            raise DatasetError(f"{self.name} has no split part {name!r}; choose one of {', '.join(self.parts)}")
        index = self._index[0]
        ids = self._split_ids(name)
        unknown = [i for i in ids if i not in index]
        if unknown:
            raise DatasetError(f"{self.root}: split part {name!r} lists {len(unknown)} track(s) the dataset does "
                               f"not have, e.g. {', '.join(unknown[:3])}")
        return ids

    def validate(self) -> list[str]:
        """Everything missing or malformed, one line per problem naming its path; empty when usable."""
        try:
            index = self._index
        except DatasetError as err:
            return str(err).splitlines()
        problems = missing_audio(index[0].values())
        for part in self.parts:
            try:
                self.split(part)
            except DatasetError as err:
                problems += str(err).splitlines()
        return problems

    def random_split(self, name: str, train_size: float = 0.8, seed: int = 4) -> list[str]:
        """A seeded random train/test split of the sorted track ids (sklearn's train_test_split)."""
        train, test = train_test_split(self.track_ids(), train_size=train_size, random_state=seed)
        return sorted(train if name == "train" else test)


def check(problems: list[str]) -> None:
    """Raise DatasetError with the problems, one per line (the first MAX_LISTED, then a count), if any."""
    if problems:
        more = [f"… and {len(problems) - MAX_LISTED} more problem(s)"] if len(problems) > MAX_LISTED else []
        raise DatasetError("\n".join(problems[:MAX_LISTED] + more))


def missing_audio(paths: Iterable[Path]) -> list[str]:
    """Lines for missing or empty audio files: one per absent folder, then files one by one up to a cap."""
    absent_folders: dict[Path, int] = defaultdict(int)
    lines: list[str] = []
    hidden = 0
    for path in sorted(paths):
        if path.parent.is_dir() and path.is_file() and path.stat().st_size > 0:
            continue
        if not path.parent.is_dir():
            absent_folders[path.parent] += 1
        elif len(lines) < MAX_LISTED:
            lines.append(f"{path}: {'empty file' if path.is_file() else 'missing audio file'}")
        else:
            hidden += 1
    folders = [f"{folder}: missing folder ({n} audio file(s) expected in it)" for folder, n in absent_folders.items()]
    return folders + lines + ([f"… and {hidden} more missing or empty audio files"] if hidden else [])
