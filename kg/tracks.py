"""Tracks in the store from what users type: a track IRI, an audio file (by path or content), or a row id."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rdflib import Literal, URIRef

from whytag.errors import WhytagError
from whytag.extractors.audio import AudioError, sha256_of
from whytag.kg.iris import checked_iri, looks_like_iri, table_track, track_iri
from whytag.kg.store import GraphStore


class TrackNotFound(WhytagError, LookupError):
    """Text that names no track in the store (or several); the message quotes it and says what to do."""


def find_track(store: GraphStore, text: str) -> URIRef:
    """A track in the store from its IRI, an audio file (by content hash), or a table row id (rdfs:label)."""
    if looks_like_iri(text):
        iri = checked_iri(text, "track")
        if not store.select(f"ASK {{ GRAPH ?g {{ <{iri}> a wt:Track }} }}").rows[0][0]:
            raise TrackNotFound(f"{text}: no track with that IRI in {store.location}")
        return iri
    if is_file(text):
        try:
            digest = Literal(sha256_of(text))
        except OSError as err:
            raise AudioError(f"{text}: cannot read the file ({err.strerror or err})") from None
        rows = store.select(f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?t mo:available_as ?f . "
                            f"?f wt:sha256 {digest.n3()} }} }}").rows
        if not rows:
            raise TrackNotFound(f"{text}: this audio was never ingested (run `whytag ingest {text}` first)")
        return URIRef(rows[0][0])
    rows = store.select(f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?t a wt:Track ; rdfs:label ?l }} "
                        f"FILTER(STR(?l) = {Literal(text).n3()}) }}").rows
    if len(rows) != 1:
        raise TrackNotFound(f"{text}: {'no track' if not rows else 'several tracks'} with that path, IRI or id")
    return URIRef(rows[0][0])


def is_file(text: str) -> bool:
    """Whether `text` names an existing file (False for text no file can be named, e.g. with a NUL)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def label_tracks(store: GraphStore, ids: pd.Index, base_dir: Path, table_source: str | None) -> dict[str, URIRef]:
    """Map a labels file's ids to track IRIs: rows of an imported table, audio paths, or track IRIs.

    Ids that name no track are left out (the caller counts them); a path is read relative to `base_dir`.
    """
    if table_source is not None:
        return {i: table_track(table_source, str(i)) for i in ids}
    paths = {str(p): URIRef(t) for t, p in store.select(
        "SELECT ?t ?p WHERE { GRAPH ?g { ?t mo:available_as ?f . ?f wt:path ?p } }").rows}
    resolved = {}
    for i in ids:
        text = str(i)
        if looks_like_iri(text):
            resolved[i] = URIRef(text)
            continue
        path = (base_dir / text).resolve()
        if str(path) in paths:
            resolved[i] = paths[str(path)]
        elif path.is_file():  # moved since ingest: identify by content
            resolved[i] = track_iri(sha256_of(path))
    return resolved
