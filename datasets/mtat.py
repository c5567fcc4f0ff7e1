"""MagnaTagATune (Law et al. 2009): 25,863 29-second clips with 188 binary tags; whytag uses the top 50.

Layout: `ROOT/annotations_final.csv` (tab-separated despite its name: `clip_id`, 188 tag columns of
0/1, `mp3_path`) and the mp3 folders `ROOT/0` … `ROOT/f` that `mp3_path` points into (e.g.
`f/american_bach_soloists-…-30-59.mp3`). Track ids are the `clip_id`s as text. The vocabulary is the
50 most frequent tags over all clips (ties keep the file's column order); clips with none of them
are kept, with all-zero labels. The split is the standard 12:1:3 one by the first hex digit of the
mp3 folder: folders 0–b train, c valid, d–f test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from whytag.datasets.base import Dataset, DatasetError

ANNOTATIONS = "annotations_final.csv"
FOLDERS = "0123456789abcdef"
PART_OF_FOLDER = {f: "train" for f in FOLDERS[:12]} | {"c": "valid"} | {f: "test" for f in "def"}
TOP = 50


class MagnaTagATune(Dataset):
    """MagnaTagATune top-50 tags: multi-label, 12:1:3 split by mp3 folder."""

    name = "mtat-top50"
    parts = ("train", "valid", "test")

    def required_paths(self) -> list[Path]:
        return [self.root / ANNOTATIONS]

    def _read(self) -> tuple[dict[str, Path], pd.DataFrame]:
        path = self.root / ANNOTATIONS
        try:
            table = pd.read_csv(path, sep="\t", dtype={"clip_id": str, "mp3_path": str})
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise DatasetError(f"{path}: not a tab-separated table ({str(err).splitlines()[0]})") from None
        missing = [c for c in ("clip_id", "mp3_path") if c not in table.columns]
        tags = [c for c in table.columns if c not in ("clip_id", "mp3_path")]
        if missing or len(tags) < TOP:
            raise DatasetError(f"{path}: expected columns clip_id, {TOP}+ tag columns and mp3_path; "
                               f"found {len(table.columns)} column(s) starting {', '.join(table.columns[:4])}")
        bad_paths = table.loc[~table["mp3_path"].fillna("").str.split("/").str[0].isin(list(FOLDERS)), "clip_id"]
        if len(bad_paths):
            raise DatasetError(f"{path}: {len(bad_paths)} row(s) whose mp3_path is not in a folder 0–f "
                               f"(clip_id {', '.join(bad_paths[:3])})")
        table = table.set_index("clip_id")
        counts = table[tags].sum()
        top = sorted(tags, key=lambda t: -counts[t])[:TOP]  # sorted() is stable: ties keep column order
        paths = {clip: self.root / mp3 for clip, mp3 in table["mp3_path"].items()}
        return paths, table[top].astype(int)

    def _split_ids(self, name: str) -> list[str]:
        return sorted(clip for clip, path in self._index[0].items() if PART_OF_FOLDER[path.parent.name] == name)
