"""Ingest: record audio files as tracks in the graph, one transaction per file, failures collected."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from tqdm import tqdm

from whytag.extractors.audio import AudioError, AudioInfo, find_audio, probe
from whytag.extractors.tags import Metadata, TagError, read_tags
from whytag.kg.iris import DEFAULT_BASE
from whytag.kg.mapping import audio_triples
from whytag.kg.metadata import metadata_update
from whytag.kg.queries import query, update
from whytag.kg.queries.build import insert_data
from whytag.kg.store import GraphStore, StoreError


@dataclass
class IngestReport:
    """What an ingest did: the tracks written (with their files) and one line per failure."""

    tracks: list[tuple[URIRef, AudioInfo]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files whose content changed since an earlier ingest
    notes: list[str] = field(default_factory=list)  # tags that could not be read or were left out, and why


def ingest(store: GraphStore, paths: Iterable[str | os.PathLike], base: str = DEFAULT_BASE,
           progress: bool = True) -> IngestReport:
    """Probe each audio file under `paths` and write its track graph with the catalog metadata of its own tags;
    bad files are reported, not fatal, and bad tags only noted (the audio is still a track)."""
    files, missing = find_audio(list(paths))
    report = IngestReport(failures=list(missing))
    for path in tqdm(files, desc="ingest", unit="file", disable=not progress, leave=False):
        try:
            _record(store, path, probe(path), base, report)
        except (AudioError, OSError, StoreError) as err:  # a bad file, or a store that cannot take it (a full disk)
            message = (str(err) if isinstance(err, AudioError) else f"{path}: not recorded ({err})"
                       if isinstance(err, StoreError) else f"{path}: {err.strerror or err}")
            report.failures.append(message)
            if progress:
                tqdm.write(f"error: {message}")
    if report.tracks:  # a transaction a track leaves small uncompacted files (see GraphStore.compact)
        store.compact()
    return report


def _record(store: GraphStore, path: str | os.PathLike, info: AudioInfo, base: str, report: IngestReport) -> None:
    """Write a probed file's track graph and its tags' metadata in one transaction, moving its path from any track
    that claimed it."""
    track, triples = audio_triples(info, base)
    meta = _tags(path, report)
    claim = {"track": track, "path": Literal(info.path)}
    earlier = [row[0] for row in store.select(query("other-claims", **claim)).rows]
    store.update(" ;\n".join([update("remove-other-claims", **claim),
                               insert_data({track: triples}),
                               *metadata_update({track: meta}, base)]))
    report.changed += [f"{info.path}: changed since it was ingested as {old}, which no longer claims it"
                       for old in earlier]
    report.tracks.append((track, info))


def _tags(path: str | os.PathLike, report: IngestReport) -> Metadata:
    """The file's own catalog metadata; what cannot be read is noted in `report`, and the track kept."""
    try:
        meta = read_tags(path)
    except TagError as err:
        report.notes.append(str(err))
        return Metadata()
    report.notes += meta.problems
    return meta
