"""Ingest: record audio files as tracks in the graph, one transaction per file, failures collected."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from tqdm import tqdm

from whytag.extractors.audio import AudioError, AudioInfo, find_audio, probe
from whytag.kg.iris import DEFAULT_BASE
from whytag.kg.mapping import audio_triples
from whytag.kg.store import GraphStore, triples_block


@dataclass
class IngestReport:
    """What an ingest did: the tracks written (with their files) and one line per failure."""

    tracks: list[tuple[URIRef, AudioInfo]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # files whose content changed since an earlier ingest


def ingest(store: GraphStore, paths: Iterable[str | os.PathLike], base: str = DEFAULT_BASE,
           progress: bool = True) -> IngestReport:
    """Probe each audio file under `paths` and write its track graph; bad files are reported, not fatal."""
    files, missing = find_audio(list(paths))
    report = IngestReport(failures=list(missing))
    for path in tqdm(files, desc="ingest", unit="file", disable=not progress, leave=False):
        try:
            info = probe(path)
        except (AudioError, OSError) as err:
            message = str(err) if isinstance(err, AudioError) else f"{path}: {err.strerror or err}"
            report.failures.append(message)
            if progress:
                tqdm.write(f"error: {message}")
            continue
        track, triples = audio_triples(info, base)
        earlier = [row[0] for row in store.select(_claims(track, info.path, "SELECT DISTINCT ?t")).rows]
        store.update(f"{_claims(track, info.path, 'DELETE { GRAPH ?g { ?t mo:available_as ?f . ?f ?p ?o } }')} ;\n"
                     f"INSERT DATA {{ GRAPH <{track}> {{\n{triples_block(triples)}\n}} }}")
        report.changed += [f"{info.path}: changed since it was ingested as {old}, which no longer claims it"
                           for old in earlier]
        report.tracks.append((track, info))
    return report


def _claims(track: URIRef, path: str, head: str) -> str:
    """`head` over the audio files of other tracks at `path`: content overwritten in place since an earlier ingest.

    One path holds one content, so those claims are stale; ingest removes them in the transaction that
    records the new content, and the old track keeps its features but no longer points at the file.
    """
    return (f"{head} WHERE {{ GRAPH ?g {{ ?t mo:available_as ?f . ?f wt:path {Literal(path).n3()} ; ?p ?o }} "
            f"FILTER(?t != <{track}>) }}")
