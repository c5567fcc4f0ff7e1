"""Tracks from feature values without audio: a feature table, or Essentia MusicExtractor JSON files.

MusicExtractor's JSON is also the format of AcousticBrainz's dumps (millions of recordings): `metadata`
(`tags`, lists of strings, with the MusicBrainz recording id; `audio_properties`), `lowlevel`, `rhythm`,
`tonal`. Its descriptors become the paper's features through extractors.signal's one mapping.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.extractors.signal import music_extractor_features
from whytag.kg.features import known_features
from whytag.kg.iris import DEFAULT_BASE, feature_file_track, table_iri
from whytag.kg.metadata import recording_links
from whytag.kg.store import GraphStore, Triple
from whytag.kg.tables import import_features, names, numeric_features, read_table, write_tracks

EXTRACTOR = "essentia-music-extractor"
RECORDING_TAG = "musicbrainz_recordingid"


class FeatureFileError(WhytagError, ValueError):
    """A MusicExtractor JSON file that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class Recording:
    """One MusicExtractor JSON file's track: its IRI, label, the paper's features and recording id."""

    track: URIRef
    label: str
    values: dict[str, float]
    recording: str | None


@dataclass
class FeatureImport:
    """What `ingest_features` recorded: the tracks, the table columns it did not know, the files that failed."""

    tracks: list[URIRef] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def ingest_features(store: GraphStore, path: str | Path, base: str = DEFAULT_BASE) -> FeatureImport:
    """Record the tracks of a feature table, a MusicExtractor JSON file, or a folder of them (walked).

    A bad file in a folder is reported and the others kept; a bad file given alone is an error.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".json")
        if not files:
            raise FeatureFileError(f"{path}: no .json files in the folder")
        return _ingest_json(store, files, path.name, base)
    if path.suffix.lower() == ".json":
        return _ingest_json(store, [path], path.stem, base, strict=True)
    return _ingest_table(store, path, base)


def _ingest_table(store: GraphStore, path: Path, base: str) -> FeatureImport:
    """A table's rows as tracks, with the columns the ontology knows; the others are named, not recorded."""
    frame = read_table(path)
    known = known_features()
    unknown = [c for c in frame.columns if c not in known]
    features = numeric_features(frame.drop(columns=unknown))
    return FeatureImport(import_features(store, features, path.stem, base), unknown)


def _ingest_json(store: GraphStore, files: list[Path], source: str, base: str, strict: bool = False) -> FeatureImport:
    """MusicExtractor JSON files as tracks (a recording read twice is one track, the last file's values)."""
    report, recordings = FeatureImport(), {}
    for file in files:
        try:
            recording = read_music_extractor(file, base)
        except FeatureFileError as err:
            if strict:
                raise
            report.failures.append(str(err))
            continue
        recordings[recording.track] = recording
    if recordings:
        rows = list(recordings.values())
        table = pd.DataFrame([r.values for r in rows], index=[r.label for r in rows], dtype=float)
        facts: dict[URIRef, list[Triple]] = {r.track: recording_links(r.track, r.recording) for r in rows
                                             if r.recording}
        write_tracks(store, table, list(recordings), table_iri(source), EXTRACTOR, facts)
        report.tracks = list(recordings)
    return report


def read_music_extractor(path: Path, base: str = DEFAULT_BASE) -> Recording:
    """One MusicExtractor/AcousticBrainz JSON file as a Recording; a file that is not one raises FeatureFileError."""
    try:
        content = path.read_bytes()
        data = json.loads(content)
    except OSError as err:
        raise FeatureFileError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FeatureFileError(f"{path}: not JSON ({err})") from None
    if not isinstance(data, dict):
        raise FeatureFileError(f"{path}: not MusicExtractor output (a JSON object with lowlevel, rhythm, tonal)")
    descriptors = flat_descriptors(data)
    try:
        values = music_extractor_features(descriptors)
    except (KeyError, TypeError, ValueError) as err:
        raise FeatureFileError(f"{path}: a descriptor is not a number or key name ({err})") from None
    if not values:
        raise FeatureFileError(f"{path}: no MusicExtractor descriptor whytag reads (lowlevel, rhythm, tonal)")
    recording = recording_id(descriptors, path)
    return Recording(feature_file_track(recording, content, base), recording or path.stem, values, recording)


def flat_descriptors(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested JSON objects as MusicExtractor's dotted descriptor names: {"rhythm": {"bpm": 120}} → rhythm.bpm."""
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        flat.update(flat_descriptors(value, f"{name}.") if isinstance(value, dict) else {name: value})
    return flat


def recording_id(descriptors: Mapping[str, Any], path: Path) -> str | None:
    """The MusicBrainz recording id in metadata.tags (a list of strings in AcousticBrainz, or one string), checked."""
    value = descriptors.get(f"metadata.tags.{RECORDING_TAG}")
    value = value[0] if isinstance(value, list) and value else value
    if not value:
        return None
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise FeatureFileError(f"{path}: {RECORDING_TAG} {names([value])!r} is not a MusicBrainz id") from None
