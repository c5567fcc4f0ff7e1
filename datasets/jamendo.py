"""MTG-Jamendo (Bogdanov et al. 2019): full-length Creative Commons tracks with genre, instrument and mood/theme tags.

Layout, as in the `data/` folder of github.com/MTG/mtg-jamendo-dataset (point ROOT there):
`ROOT/autotagging_<subset>.tsv` (subset `moodtheme`, `top50tags`, `genre` or `instrument`) and the
five official splits `ROOT/splits/split-<k>/autotagging_<subset>-{train,validation,test}.tsv`. Every
file has the header `TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS` and one row per track, with its
tags as further tab-separated fields such as `mood/theme---happy`. Audio is the MP3 at `PATH` (e.g.
`34/786434.mp3`) under `ROOT/audio/` unless another audio folder is given. Track ids are the
TRACK_IDs (`track_0786434`). As in the official splits, the vocabulary is the tags present in all
three parts of the chosen split; a tag's `category---` prefix is dropped when names stay unique
(mood/theme tags become `happy`, `sad`, …). Part "valid" reads the `-validation.tsv` file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from whytag.datasets.base import Dataset, DatasetError, check

SUBSETS = ("moodtheme", "top50tags", "genre", "instrument")
HEADER = ["TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS"]
PART_FILES = {"train": "train", "valid": "validation", "test": "test"}


def read_rows(path: Path) -> dict[str, tuple[str, list[str]]]:
    """TRACK_ID → (PATH, tags) from one MTG-Jamendo TSV, checking its header and every row."""
    lines = path.read_text().splitlines()
    if not lines or lines[0].split("\t")[:len(HEADER)] != HEADER:
        raise DatasetError(f"{path}: header is not {' '.join(HEADER)} (tab-separated)")
    rows, problems = {}, []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < len(HEADER) or not fields[0] or not fields[3]:
            problems.append(f"{path}:{number}: expected TRACK_ID, ARTIST_ID, ALBUM_ID, PATH, DURATION and tags")
        else:
            rows[fields[0]] = (fields[3], [t for t in fields[5:] if t])
    check(problems)
    return rows


class MTGJamendo(Dataset):
    """MTG-Jamendo auto-tagging subset: multi-label, official train/valid/test split number k (0–4)."""

    parts = ("train", "valid", "test")
    _split_rows: dict[str, dict[str, tuple[str, list[str]]]]  # part → its rows, set by _read

    def __init__(self, root: str | Path, subset: str = "moodtheme", split_index: int = 0,
                 audio_dir: str | Path | None = None) -> None:
        super().__init__(root)
        if subset not in SUBSETS:
            raise DatasetError(f"MTG-Jamendo subset {subset!r}: choose one of {', '.join(SUBSETS)}")
        self.subset = subset
        self.split_index = split_index
        self.audio_dir = Path(audio_dir) if audio_dir else self.root / "audio"
        self.name = f"jamendo-{subset}"

    def split_file(self, part: str) -> Path:
        """The official file listing one part of split number `split_index`."""
        return self.root / "splits" / f"split-{self.split_index}" / f"autotagging_{self.subset}-{PART_FILES[part]}.tsv"

    def required_paths(self) -> list[Path]:
        return [self.root / f"autotagging_{self.subset}.tsv"] + [self.split_file(p) for p in self.parts]

    def _read(self) -> tuple[dict[str, Path], pd.DataFrame]:
        rows = read_rows(self.root / f"autotagging_{self.subset}.tsv")
        self._split_rows = {part: read_rows(self.split_file(part)) for part in self.parts}
        in_every_part = set.intersection(*({t for _, tags in part.values() for t in tags}
                                           for part in self._split_rows.values()))
        short = {t: t.split("---", 1)[-1] for t in in_every_part}
        names = short if len(set(short.values())) == len(short) else {t: t for t in in_every_part}
        vocabulary = sorted(names.values())
        labels = pd.DataFrame([{names[t]: 1 for t in tags if t in names} for _, tags in rows.values()],
                              index=list(rows), columns=vocabulary).fillna(0).astype(int).sort_index()
        return {track: self.audio_dir / path for track, (path, _) in rows.items()}, labels

    def _split_ids(self, name: str) -> list[str]:
        return sorted(self._split_rows[name])
