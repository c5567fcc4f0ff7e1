"""The extract stage: measure every ingested track's audio and write the observations to its graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from tqdm import tqdm

from whytag.extractors.base import FeatureSet
from whytag.extractors.batch import GROUPS, extract_many
from whytag.kg.mapping import write_features
from whytag.kg.store import GraphStore


@dataclass
class ExtractReport:
    """Tracks measured (with how many values each) and one line per failure."""

    done: dict[URIRef, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def audio_files(store: GraphStore, tracks: list[URIRef] | None = None) -> dict[str, tuple[URIRef, URIRef]]:
    """One readable audio path per ingested track → (track, audio file node)."""
    scope = f"VALUES ?t {{ {' '.join(f'<{t}>' for t in tracks)} }}" if tracks is not None else ""
    rows = store.select(f"""SELECT ?t ?f ?p WHERE {{ {scope} GRAPH ?g {{ ?t mo:available_as ?f . ?f wt:path ?p }} }}
                            ORDER BY ?t ?p""").rows
    chosen: dict[URIRef, tuple[str, URIRef]] = {}
    for track, audio_file, path in rows:
        if URIRef(track) not in chosen or (not Path(chosen[URIRef(track)][0]).exists() and Path(str(path)).exists()):
            chosen[URIRef(track)] = (str(path), URIRef(audio_file))
    return {path: (track, audio_file) for track, (path, audio_file) in chosen.items()}


def write_measurements(store: GraphStore, track: URIRef, audio_file: URIRef, measured: list[FeatureSet]) -> int:
    """Write each extractor's output to the track's graph (replacing that extractor's earlier run)."""
    count = 0
    for features in measured:
        if "chords" in features.extras:  # the symbolic stage reasons over chord events in the graph
            from whytag.kg.chords import write_symbolic

            features = write_symbolic(store, track, audio_file, features)
        else:
            write_features(store, track, features, audio_file)
        count += len(features.values)
    return count


def extract_tracks(store: GraphStore, groups: tuple[str, ...] = GROUPS, tracks: list[URIRef] | None = None,
                   workers: int | None = None, progress: bool = True) -> ExtractReport:
    """Extract features for ingested tracks (all, or `tracks`); failures are collected, the rest go on."""
    files = audio_files(store, tracks)
    report = ExtractReport()
    for path, measured, error in extract_many(list(files), groups, workers=workers, progress=progress):
        if error is not None:
            report.failures.append(error)
            if progress:
                tqdm.write(f"error: {error}")
            continue
        track, audio_file = files[path]
        report.done[track] = write_measurements(store, track, audio_file, measured)
    return report
