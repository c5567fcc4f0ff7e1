"""Tracks in the store from what users type: a track IRI, an audio file (by path or content), a row id, or a name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rdflib import Literal, URIRef

from whytag.errors import WhytagError
from whytag.extractors.audio import AudioError, sha256_of
from whytag.kg.iris import checked_iri, looks_like_iri, table_track
from whytag.kg.metadata import display_name
from whytag.kg.queries import query
from whytag.kg.store import GraphStore

CANDIDATES = 10  # tracks an ambiguous name lists


class TrackNotFound(WhytagError, LookupError):
    """Text that names no track in the store (or several); the message quotes it and says what to do."""


def find_track(store: GraphStore, text: str) -> URIRef:
    """A track in the store from its IRI, an audio file (by content hash), a table row id (rdfs:label), or its name
    ("Artist - Title", or a title); a name several tracks have is an error listing them."""
    if looks_like_iri(text):
        iri = checked_iri(text, "track")
        if not store.select(query("track-exists", track=iri)).rows[0][0]:
            raise TrackNotFound(f"{text}: no track with that IRI in {store.location}")
        return iri
    if is_file(text):
        try:
            digest = Literal(sha256_of(text))
        except OSError as err:
            raise AudioError(f"{text}: cannot read the file ({err.strerror or err})") from None
        rows = store.select(query("tracks-by-audio-hash", sha256=digest)).rows
        if not rows:
            raise TrackNotFound(f"{text}: this audio was never ingested (run `whytag ingest {text}` first)")
        return URIRef(rows[0][0])
    for loose in (False, True):  # exact matches first (an index lookup); then a scan of every row id and title
        rows = store.select(query("tracks-by-row-id-text" if loose else "tracks-by-row-id", label=Literal(text))).rows
        if len(rows) > 1:
            raise TrackNotFound(f"{text}: several tracks with that row id")
        if rows:
            return URIRef(rows[0][0])
        named = tracks_named(store, text, ignore_case=loose)
        if named:
            break
    if len(named) == 1:
        return named[0]
    if not named:
        raise TrackNotFound(f"{text}: no track with that path, IRI, id, or name (\"Artist - Title\", or a title)")
    names = track_names(store, named)
    listed = "; ".join(names[t].listed() for t in named[:CANDIDATES])
    more = f" and {len(named) - CANDIDATES} more" if len(named) > CANDIDATES else ""
    raise TrackNotFound(f"{text}: {len(named)} tracks have that name: {listed}{more}; give the path or IRI of one")


@dataclass(frozen=True)
class TrackName:
    """What a track is called: its title and artist credit (kg.metadata), else its file's path, else its IRI."""

    iri: URIRef
    title: str | None = None
    credit: str | None = None
    path: str | None = None

    def text(self) -> str:
        """"Artist - Title" where the metadata says, else the file's path, else the IRI."""
        return display_name(self.title, self.credit) or self.path or str(self.iri)

    def listed(self) -> str:
        """The name, the file where it is not the name already, and the IRI: one candidate of an ambiguous name."""
        where = f" ({self.path})" if self.path and self.title else ""
        return f"{self.text()}{where} <{self.iri}>"


def track_names(store: GraphStore, tracks: list[URIRef]) -> dict[URIRef, TrackName]:
    """Each track's TrackName (one query for all)."""
    names = {t: TrackName(t) for t in tracks}
    if tracks:
        for track, title, credit, path in store.values(query("track-names", t=tracks)):
            names[URIRef(track)] = TrackName(URIRef(track), title, credit, path)
    return names


def tracks_named(store: GraphStore, text: str, ignore_case: bool = False) -> list[URIRef]:
    """Tracks whose name is `text`: "Artist - Title" (the artist as credited, or one of its artists) or a title
    alone; exactly (an index lookup), or `ignore_case` (a scan of every title: 0.1 s at 10,000 tracks)."""
    splits = [(text[:m.start()], text[m.end():]) for m in re.finditer(" - ", text)]
    titles = sorted({text, *(title for _, title in splits)})
    fold = str.casefold if ignore_case else str
    wanted = {(None, fold(text)), *((fold(artist), fold(title)) for artist, title in splits)}
    text_query = query("tracks-titled-ignoring-case", lower=[(Literal(t.lower()),) for t in titles]) if ignore_case \
        else query("tracks-titled", title=[(Literal(t),) for t in titles])
    found: set[URIRef] = set()
    for track, title, credit, artist in store.values(text_query):
        keys = {(None, fold(title))} | {(fold(a), fold(title)) for a in (credit, artist) if a}
        if keys & wanted:
            found.add(URIRef(track))
    return sorted(found)


def is_file(text: str) -> bool:
    """Whether `text` names an existing file (False for text no file can be named, e.g. with a NUL)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def label_tracks(store: GraphStore, ids: pd.Index, base_dir: Path, table_source: str | None) -> dict[str, URIRef]:
    """Map a labels file's ids to track IRIs: rows of an imported table, or what `catalog_tracks` finds.

    Ids that name no track are left out (the caller counts them); a path is read relative to `base_dir`.
    """
    if table_source is not None:
        return {i: table_track(table_source, str(i)) for i in ids}
    return catalog_tracks(store, ids, base_dir)[0]


def catalog_tracks(store: GraphStore, ids: Iterable, base_dir: Path) -> tuple[dict, dict[str, str]]:
    """Tracks named by a table's ids — a track IRI, an audio path (relative to `base_dir`; a moved file by its
    content), a file name, or a table row id —, and for each id naming none (or several) the reason.

    The store's tracks are read once (their paths, hashes and row ids), not once per id.
    """
    tracks, paths, hashes = set(), {}, {}
    names: dict[str, set[URIRef]] = {}
    for track, path, digest, label in store.values(query("catalog-track-ids")):
        track = URIRef(track)
        tracks.add(track)
        if path is not None:
            paths[path], hashes[digest] = track, track
            names.setdefault(Path(path).name, set()).add(track)
        if label is not None:
            names.setdefault(str(label), set()).add(track)
    found, missing = {}, {}
    for i in ids:
        text = str(i)
        if looks_like_iri(text):
            if URIRef(text) in tracks:
                found[i] = URIRef(text)
            else:
                missing[text] = "no track with that IRI"
            continue
        path = _resolved(base_dir, text)
        if path in paths:
            found[i] = paths[path]
        elif path is not None and is_file(path) and (digest := sha256_of(path)) in hashes:  # moved: by content
            found[i] = hashes[digest]
        elif len(names.get(text, ())) == 1:
            found[i] = next(iter(names[text]))
        elif names.get(text):
            missing[text] = f"names {len(names[text])} tracks (give the path or IRI)"
        else:
            missing[text] = "names no track in the store (not the IRI, path, file name or row id of one)"
    return found, missing


def _resolved(base_dir: Path, text: str) -> str | None:
    """`text` as an absolute path under `base_dir`, as ingest records paths; None for text no path can be."""
    try:
        return str((base_dir / text).resolve())
    except (OSError, ValueError):
        return None
