"""Ingest: record audio files as tracks in the graph, one transaction per file, failures collected."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import URIRef
from tqdm import tqdm

from whytag.extractors.audio import AudioError, AudioInfo, find_audio, probe
from whytag.kg.mapping import audio_triples
from whytag.kg.namespaces import DEFAULT_BASE
from whytag.kg.store import GraphStore


@dataclass
class IngestReport:
    """What an ingest did: the tracks written (with their files) and one line per failure."""

    tracks: list[tuple[URIRef, AudioInfo]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


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
        store.write_graph(track, triples, clear=None)
        report.tracks.append((track, info))
    return report
