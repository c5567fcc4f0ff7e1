"""GTZAN (Tzanetakis & Cook 2002): 1,000 30-second clips, 100 in each of 10 genres, one genre per clip.

Layout: `ROOT/genres/<genre>/<genre>.000NN.au` (the original archive; `.wav` copies and Kaggle's
`genres_original/` folder name are accepted too). Track ids are the file stems, e.g. `blues.00042`.
Feature tables may name clips by file name or path, or by the paper's numeric code (genre index in
GENRES × 100000 + clip number, e.g. 800007 = reggae.00007); `track_id()` maps all of them. Two splits:
- "random" (default): the paper's 80/20 split, sklearn `train_test_split(ids, train_size=0.8,
  random_state=4)` over the sorted track ids; parts "train" and "test".
- "filtered": the fault-filtered, artist-filtered split of Kereliuk, Sturm & Larsen (2015); parts
  "train", "valid", "test", read from the authors' lists `ROOT/train_filtered.txt`,
  `ROOT/valid_filtered.txt` and `ROOT/test_filtered.txt` (one clip per line, e.g.
  `blues/blues.00029.au`). whytag does not ship these lists; put the authors' files there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from whytag.datasets.base import Dataset, DatasetError, check

GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
CLIPS_PER_GENRE = 100
FILTERED_LISTS = {"train": "train_filtered.txt", "valid": "valid_filtered.txt", "test": "test_filtered.txt"}
CLIP = re.compile(r"\b([a-z]+)\.(\d{5})\b")
PAPER_CODE = re.compile(r"\d+(\.0)?")  # the paper's feature table numbers clips genre_index·100000 + clip


class GTZAN(Dataset):
    """GTZAN genre collection: single-label, ten genres, random 80/20 or fault-filtered split."""

    name = "gtzan"

    def __init__(self, root: str | Path, split: str = "random") -> None:
        super().__init__(root)
        if split not in ("random", "filtered"):
            raise DatasetError(f"GTZAN split {split!r}: choose 'random' (the paper's 80/20) or 'filtered'")
        self.scheme = split
        self.parts = ("train", "test") if split == "random" else tuple(FILTERED_LISTS)

    @property
    def genres_dir(self) -> Path:
        """`ROOT/genres`, or Kaggle's `ROOT/genres_original` when only that one exists."""
        kaggle = self.root / "genres_original"
        return kaggle if kaggle.is_dir() and not (self.root / "genres").is_dir() else self.root / "genres"

    def required_paths(self) -> list[Path]:
        return [self.genres_dir / genre for genre in GENRES]

    def _read(self) -> tuple[dict[str, Path], pd.Series]:
        paths = {}
        for genre in GENRES:
            for n in range(CLIPS_PER_GENRE):
                track = f"{genre}.{n:05d}"
                au, wav = (self.genres_dir / genre / f"{track}{ext}" for ext in (".au", ".wav"))
                paths[track] = wav if wav.is_file() and not au.is_file() else au
        labels = pd.Series({track: track.split(".")[0] for track in paths}, name="label")
        return paths, labels.sort_index()

    def track_id(self, row_id: object) -> str:
        """A clip's id from a file name or path (`blues/blues.00042.au`) or the paper's code genre·100000 + clip."""
        text = str(row_id)
        match = CLIP.search(text)
        if match and match.group(1) in GENRES:
            return f"{match.group(1)}.{match.group(2)}"
        if PAPER_CODE.fullmatch(text) and float(text) < len(GENRES) * 100000:
            code = int(float(text))
            return f"{GENRES[code // 100000]}.{code % 100000:05d}"
        return text

    def _split_ids(self, name: str) -> list[str]:
        if self.scheme == "random":
            return self.random_split(name)
        path = self.root / FILTERED_LISTS[name]
        if not path.is_file():
            raise DatasetError(f"{path}: missing (the fault-filtered {name} list of Kereliuk, Sturm & Larsen 2015; "
                               f"whytag does not ship it)")
        ids, problems = [], []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            match = CLIP.search(line)
            if match and match.group(1) in GENRES:
                ids.append(f"{match.group(1)}.{match.group(2)}")
            else:
                problems.append(f"{path}:{number}: {line.strip()!r} is not a GTZAN clip such as blues/blues.00000.au")
        check(problems)
        return ids
