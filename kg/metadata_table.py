"""Catalog metadata from a table (CSV/TSV), for tracks whose files carry no tags: one row a track.

The track column (`track`, `path`, `file` or `iri`; else the first column) names each track as
`kg.tracks.catalog_tracks` reads it: an IRI, an audio path relative to the table, a file name, or a
feature table's row id. The other columns are fields of `extractors.tags.NAMES` (or the spellings in
ALIASES); several artists or artist ids in one cell are separated by ";". An empty cell leaves that field
as it was; a column whytag does not know is named, not recorded; rows naming no track are reported at the end.
A table that can set nothing (no rows, no known column, no row naming a track) is refused in one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from whytag.errors import WhytagError
from whytag.extractors.tags import NAMES, metadata_from
from whytag.kg.iris import DEFAULT_BASE
from whytag.kg.metadata import write_metadata
from whytag.kg.store import GraphStore
from whytag.kg.tables import names, read_table
from whytag.kg.tracks import catalog_tracks

TRACK_COLUMNS = ("track", "path", "file", "iri")
ALIASES = {"artist_credit": "artist", "album_artist": "albumartist", "track_number": "tracknumber",
           "tracknumber": "tracknumber", "year": "date", "recording_id": "musicbrainz_trackid",
           "musicbrainz_recordingid": "musicbrainz_trackid", "musicbrainz_recording_id": "musicbrainz_trackid",
           "release_id": "musicbrainz_albumid", "musicbrainz_releaseid": "musicbrainz_albumid",
           "musicbrainz_release_id": "musicbrainz_albumid", "artist_id": "musicbrainz_artistid",
           "artist_ids": "musicbrainz_artistid", "musicbrainz_artist_id": "musicbrainz_artistid"}


class MetadataTableError(WhytagError, ValueError):
    """A metadata table that cannot be used at all; the message names the file and the reason."""


@dataclass
class MetadataImport:
    """What `import_metadata` did: tracks written, columns not known, and one line per row that failed."""

    written: int = 0
    unknown: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def import_metadata(store: GraphStore, path: str | Path, base: str = DEFAULT_BASE) -> MetadataImport:
    """Write the metadata of a table's rows into their tracks' graphs (BATCH tracks an update)."""
    path = Path(path)
    frame = read_table(path)
    column = next((c for c in frame.columns if c.strip().lower() in TRACK_COLUMNS), None)
    if frame.index.name.strip().lower() not in TRACK_COLUMNS and column is not None:
        frame = read_table(path, column)
    fields = {column: _field(column) for column in frame.columns}
    report = MetadataImport(unknown=[c for c, name in fields.items() if name is None])
    if not len(frame.index):  # said, not "set the metadata of 0 track(s); 0 problem(s)"
        raise MetadataTableError(f"{path}: the table has no rows, so no track's metadata was set")
    if len(report.unknown) == len(fields):
        raise MetadataTableError(f"{path}: no column whytag knows ({names(report.unknown) or 'only the track column'})"
                                 f"; the known ones are {', '.join(NAMES)}")
    found, missing = catalog_tracks(store, frame.index, path.resolve().parent)
    if not found:
        raise MetadataTableError(f"{path}: none of its {len(frame.index)} row(s) names a track in the store (an IRI, "
                                 f"an audio path relative to the table, a file name or a row id; the first: "
                                 f"{names(frame.index[:1])!r})")
    lines = frame.index.get_indexer(list(missing)) + 2  # the file's line of each: after the header, from 1
    report.failures += [f"{path}: line {n}: {text!r} {reason}" for (text, reason), n in zip(missing.items(), lines)]
    items = []
    known = frame[[c for c, name in fields.items() if name is not None]]
    for line, (track_id, row) in enumerate(zip(known.index, known.itertuples(index=False, name=None)), start=2):
        if track_id not in found:
            continue
        values: dict[str, list[str]] = {}
        for column, cell in zip(known.columns, row):
            if not pd.isna(cell):
                values.setdefault(fields[column], []).append(str(cell))
        meta = metadata_from(values, f"{path}: line {line}")
        report.failures += meta.problems
        items.append((found[track_id], meta))
    report.written = write_metadata(store, items, base)
    return report


def _field(column: str) -> str | None:
    """The field of extractors.tags.NAMES a column holds (headers compared ignoring case, spaces and hyphens)."""
    key = re.sub(r"[\s\-]+", "_", column.strip().lower())
    return key if key in NAMES else ALIASES.get(key)
