"""The extract stage: measure every ingested track's audio and write the values to its graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef
from tqdm import tqdm

from whytag.errors import WhytagError
from whytag.extractors.base import FeatureSet
from whytag.extractors.batch import DEFAULT_GROUPS, extract_many
from whytag.extractors.cluster import SCHEDULER_TIMEOUT
from whytag.kg.mapping import extractor_output, extractors_declared, feature_triples
from whytag.kg.ntriples import NTriples
from whytag.kg.queries import Named, query
from whytag.kg.store import GraphStore, StoreError


class NothingToExtract(WhytagError):
    """`extract` over the whole store finds no track with an audio file: nothing was ingested from audio yet."""


@dataclass
class ExtractReport:
    """Tracks measured (with how many values each) and one line per failure."""

    done: dict[URIRef, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AudioSource:
    """Where a track's audio is read from: its audio-file node and the SHA-256 it had when ingested."""

    track: URIRef
    audio_file: URIRef
    sha256: str


def audio_files(store: GraphStore, tracks: list[URIRef] | None = None) -> tuple[dict[str, AudioSource], list[str]]:
    """One readable audio path per ingested track, and a line for each path two tracks claim (stale graphs)."""
    rows = store.select(query("audio-files", t=tracks)).rows
    chosen: dict[URIRef, tuple[str, AudioSource]] = {}
    for track, audio_file, path, digest in rows:
        track = URIRef(track)
        if track not in chosen or (not Path(chosen[track][0]).exists() and Path(str(path)).exists()):
            chosen[track] = (str(path), AudioSource(track, URIRef(audio_file), str(digest)))
    sources: dict[str, AudioSource] = {}
    conflicts = []
    for path, source in chosen.values():
        if path in sources:
            conflicts.append(f"{path}: claimed by two tracks ({sources[path].track}, {source.track}); "
                             "re-run `whytag ingest` on it")
        else:
            sources[path] = source
    return sources, conflicts


def write_measurements(store: GraphStore, track: URIRef, audio_file: URIRef | None, measured: list[FeatureSet]) -> int:
    """Write every extractor's output for a track in one transaction, replacing their earlier runs.

    One transaction per track: a crash leaves the track as it was or fully measured, never half.
    """
    from whytag.kg.chords import symbolic_changes

    removals: list[Named] = []
    texts: list[NTriples] = []
    names: dict[str, dict[str, float]] = {}
    for features in measured:
        if "chords" in features.extras:  # the symbolic stage reasons over chord events in the graph
            clear, written, features = symbolic_changes(track, audio_file, features)
        else:
            clear = [extractor_output(track, features.extractor, [v.name for v in features.values])]
            written = feature_triples(track, features, audio_file)
        removals += clear
        texts.append(written)
        names[features.extractor] = features.as_dict()
    if removals:
        store.write_graph(track, NTriples("".join(texts)), clear=removals,
                          also=extractors_declared(names))
    return sum(map(len, names.values()))


def extract_tracks(store: GraphStore, groups: tuple[str, ...] = DEFAULT_GROUPS, tracks: list[URIRef] | None = None,
                   workers: int | None = None, progress: bool = True, scheduler: str | None = None,
                   scheduler_timeout: float = SCHEDULER_TIMEOUT) -> ExtractReport:
    """Extract features for ingested tracks (all, or `tracks`); failures are collected, the rest go on.

    With `scheduler` (a Dask scheduler's address) the cluster's workers measure the audio; the graph is
    still written here, one transaction per track as each result arrives.
    """
    files, conflicts = audio_files(store, tracks)
    if tracks is None and not files and not conflicts:  # said, not "extracted 0 feature values from 0 track(s)"
        raise NothingToExtract(f"{store.location}: no track has an audio file to extract from (run `whytag ingest "
                               "DIR` first; tracks from --features have none)")
    report = ExtractReport(failures=conflicts)
    expected = {path: source.sha256 for path, source in files.items()}
    for path, measured, error in extract_many(list(files), groups, workers=workers, progress=progress,
                                              expected=expected, scheduler=scheduler,
                                              scheduler_timeout=scheduler_timeout):
        if error is not None:
            report.failures.append(error)
            if progress:
                tqdm.write(f"error: {error}")
            continue
        source = files[path]
        try:
            report.done[source.track] = write_measurements(store, source.track, source.audio_file, measured)
        except StoreError as err:  # a full disk, say: this track stays as it was; name it and go on
            report.failures.append(f"{path}: measured, but its features were not written ({err})")
            if progress:
                tqdm.write(f"error: {report.failures[-1]}")
    if report.done:  # a transaction a track leaves small uncompacted files (see GraphStore.compact)
        store.compact()
    return report
