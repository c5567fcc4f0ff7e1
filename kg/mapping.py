"""FeatureSets and audio facts ↔ triples, and observations back to a feature table.

Every subject a stage writes has an IRI under the track's IRI that names the stage (…/file/…,
…/obs/<extractor>/…, …/extraction/<extractor>), so a stage can replace its own output in a
track's graph without touching what other stages wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import pandas as pd
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from whytag.extractors.audio import AudioInfo
from whytag.extractors.base import FeatureSet
from whytag.kg import ntriples as nt
from whytag.kg.namespaces import DEFAULT_BASE, EXTRACTORS_GRAPH, MO, QUDT, UNIT, WT, feature_iri, slug, track_iri
from whytag.kg.ntriples import NTriples
from whytag.kg.store import GraphStore, Triple, triples_block, values_clause
from whytag.ontology import FEATURES

GROUP_IRIS = {"signal": WT.SignalGroup, "dnn": WT.DnnGroup, "symbolic": WT.SymbolicGroup}
# an observation's predicates in N-Triples, formatted once (feature_triples writes millions of them)
_OF_TRACK, _FEATURE, _VALUE = (nt.iri(p) for p in (WT.ofTrack, WT.feature, WT.value))


@dataclass(frozen=True)
class FeatureInfo:
    """What the ontology says about a feature: its IRI, canonical name, unit, group and label."""

    iri: URIRef
    name: str
    unit: str
    group: str
    label: str


@cache
def known_features() -> dict[str, FeatureInfo]:
    """Features declared in ontology/features.ttl, by canonical name and by alias."""
    graph = Graph().parse(FEATURES, format="turtle")
    groups = {v: k for k, v in GROUP_IRIS.items()}
    table: dict[str, FeatureInfo] = {}
    for iri in graph.subjects(RDF.type, WT.Feature):
        name = str(graph.value(iri, WT.featureName))
        unit = str(graph.value(iri, WT.defaultUnit)).rsplit("/", 1)[-1]
        info = FeatureInfo(URIRef(iri), name, unit, groups[graph.value(iri, WT.inGroup)],
                           str(graph.value(iri, RDFS.label)))
        table[name] = info
        for alias in graph.objects(iri, WT.featureAlias):
            table[str(alias)] = info
    return table


def feature_node(name: str) -> URIRef:
    """The wt:Feature individual for a feature name or alias (unknown names get a derived IRI)."""
    info = known_features().get(name)
    return info.iri if info else feature_iri(name)


def canonical_name(name: str) -> str:
    """The ontology's name for a feature column (Dominants → dom); unknown names pass through."""
    info = known_features().get(name)
    return info.name if info else name


def canonical_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename a feature table's columns to canonical feature names."""
    return frame.rename(columns={c: canonical_name(c) for c in frame.columns})


def file_iri(track: URIRef, path: str) -> URIRef:
    """One audio file of a track, keyed by its path (the same audio may sit at several paths)."""
    return URIRef(f"{track}/file/{hashlib.sha1(path.encode()).hexdigest()[:16]}")


def audio_triples(info: AudioInfo, base: str = DEFAULT_BASE) -> tuple[URIRef, list[Triple]]:
    """The track and audio-file facts ingest records; deterministic, so re-ingesting changes nothing."""
    track = track_iri(info.sha256, base)
    audio_file = file_iri(track, info.path)
    triples: list[Triple] = [
        (track, RDF.type, WT.Track),
        (track, MO.available_as, audio_file),
        (audio_file, RDF.type, WT.AudioFile),
        (audio_file, WT.path, Literal(info.path)),
        (audio_file, WT["format"], Literal(info.format)),
        (audio_file, WT.sampleRate, Literal(info.sample_rate, datatype=XSD.integer)),
        (audio_file, WT.channels, Literal(info.channels, datatype=XSD.integer)),
        (audio_file, WT.duration, Literal(info.duration, datatype=XSD.double)),
        (audio_file, WT.sha256, Literal(info.sha256)),
        (audio_file, WT.byteSize, Literal(info.size, datatype=XSD.integer)),
    ]
    return track, triples


def observations_prefix(track: URIRef, extractor: str) -> str:
    """What the IRIs of one extractor's observations of one track start with."""
    return f"{track}/obs/{slug(extractor)}/"


def observation_iri(track: URIRef, extractor: str, feature: str) -> URIRef:
    return URIRef(observations_prefix(track, extractor) + slug(feature))


def extraction_iri(track: URIRef, extractor: str) -> URIRef:
    """The activity of one extractor's run on one track (what generated its observations)."""
    return URIRef(f"{track}/extraction/{slug(extractor)}")


def extractor_iri(extractor: str) -> URIRef:
    """The software agent of an extractor, shared by every track it measured."""
    return URIRef(f"urn:whytag:extractor/{slug(extractor)}")


def extractor_triples(extractor: str, features: Iterable[str]) -> list[Triple]:
    """What an extractor is and which features it measures, for the catalog-wide extractors graph."""
    agent = extractor_iri(extractor)
    return [(agent, RDF.type, WT.Extractor), (agent, RDFS.label, Literal(extractor)),
            *((agent, WT.measures, feature_node(name)) for name in features)]


def extractors_declared(measured: Mapping[str, Iterable[str]]) -> dict[URIRef, list[Triple]]:
    """Which features each extractor (by name) measures, as triples of EXTRACTORS_GRAPH: what a write of
    observations passes as `also`, so none is ever without it (adding what is there changes nothing).

    That is an observation's provenance: it carries no prov:wasGeneratedBy of its own (a triple per
    value), and was generated by the extraction in its track's graph whose extractor wt:measures its
    feature (docs/queries/value-provenance.rq).
    """
    return {EXTRACTORS_GRAPH: list({t for extractor, features in measured.items()
                                      for t in extractor_triples(extractor, features)})}


def declare_extractors(store: GraphStore, measured: Mapping[str, Iterable[str]]) -> None:
    """Write `extractors_declared` on its own, before a bulk import's observations."""
    store.add(EXTRACTORS_GRAPH, extractors_declared(measured)[EXTRACTORS_GRAPH])


def feature_triples(track: URIRef, features: FeatureSet, used: URIRef | None = None) -> NTriples:
    """Observations for every value in a FeatureSet, and the extraction that made them (`used`: its input).

    Three triples a value (track, feature, value): the class follows from wt:value's domain, the unit
    is the feature's wt:defaultUnit (written on a value only when the extractor used another), and the
    extraction that generated it is the one in the track's graph whose extractor wt:measures the
    feature (extractors_declared). A catalog holds millions of observations, so what is the same for
    every value of a feature or an extraction is said once there. Returned as N-Triples text
    (kg.ntriples): importing a feature table writes millions of these, and rdflib terms cost more
    to build than the store takes to load them.
    """
    activity = extraction_iri(track, features.extractor)
    agent = extractor_iri(features.extractor)
    triples: list[Triple] = [
        (activity, RDF.type, WT.Extraction),
        (activity, PROV.wasAssociatedWith, agent),
        (activity, PROV.startedAtTime, _timestamp(features.started)),
        (activity, WT.softwareVersion, Literal(features.version)),  # of this run; the agent: EXTRACTORS_GRAPH
    ]
    if features.ended is not None:
        triples.append((activity, PROV.endedAtTime, _timestamp(features.ended)))
    if used is not None:
        triples.append((activity, PROV.used, used))
    # Written with the observations in one transaction, so fewer of them in the graph means a partial write.
    triples.append((activity, WT.observationCount, Literal(len(features.values), datatype=XSD.integer)))
    known = known_features()
    track_nt, prefix = nt.iri(track), nt.iri(observations_prefix(track, features.extractor))[:-1]
    lines = []
    for value in features.values:
        info = known.get(value.name)
        tail, feature = _observation_terms(value.name)
        obs = prefix + tail  # observation_iri, without building an rdflib term
        lines.append(f"{obs} {_OF_TRACK} {track_nt} .\n{obs} {_FEATURE} {feature} .\n"
                     f"{obs} {_VALUE} {nt.double(value.value)} .\n")
        if info is None or info.unit != value.unit:
            triples.append((observation_iri(track, features.extractor, value.name), QUDT.unit, UNIT[value.unit]))
        if info is None:  # a feature the ontology does not list yet: describe it where it is used
            node = feature_node(value.name)
            triples += [
                (node, RDF.type, WT.Feature),
                (node, WT.featureName, Literal(value.name)),
                (node, RDFS.label, Literal(value.name)),
                (node, WT.inGroup, GROUP_IRIS[value.group]),
            ]
    return NTriples(triples_block(triples) + "".join(lines))


@cache
def _observation_terms(name: str) -> tuple[str, str]:
    """An observation of feature `name` in N-Triples: its IRI's end (after observations_prefix, with the
    closing '>') and its feature. Formatted once per name: a catalog's import writes millions."""
    return f"{slug(name)}>", nt.iri(feature_node(name))


def _timestamp(moment: datetime) -> Literal:
    """Whole seconds: enough for provenance, and OWL reasoners (HermiT) reject longer fractions."""
    return Literal(moment.replace(microsecond=0), datatype=XSD.dateTime)


def extractor_output_pattern(track: URIRef, extractor: str) -> str:
    """SPARQL pattern over ?s ?p ?o matching an extractor's earlier output in a track's graph."""
    prefixes = [observations_prefix(track, extractor), str(extraction_iri(track, extractor))]
    test = " || ".join(f'STRSTARTS(STR(?s), "{p}")' for p in prefixes)
    return f"?s ?p ?o FILTER({test})"


def write_features(store: GraphStore, track: URIRef, features: FeatureSet, audio_file: URIRef | None) -> None:
    """Replace one extractor's observations on one track, in one transaction."""
    store.write_graph(track, feature_triples(track, features, audio_file),
                      clear=extractor_output_pattern(track, features.extractor),
                      also=extractors_declared({features.extractor: features.as_dict()}))


def union_pattern(patterns: list[str]) -> str:
    """SPARQL group patterns over ?s ?p ?o joined by UNION: what several stages' `clear` patterns match together."""
    return " UNION ".join(f"{{ {p} }}" for p in patterns)


def observation_values(store: GraphStore, tracks: Sequence[str], features: Sequence[str]) -> Iterator[tuple[int, int, float]]:
    """(track's position, feature's position, value) for every observation of one of `features` (IRIs) in the
    graphs of `tracks` (track IRIs), read in one query: what bulk readers of a batch's values use."""
    return _by_position(store, tracks, features, "?v", "?o wt:feature ?f ; wt:value ?v .")


def observation_iris(store: GraphStore, tracks: Sequence[str], features: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """(track's position, feature's position, observation IRI), as `observation_values` reads values."""
    return _by_position(store, tracks, features, "?o", "?o wt:feature ?f .")


def _by_position(store: GraphStore, tracks: Sequence[str], features: Sequence[str], column: str,
                 pattern: str) -> Iterator[tuple[int, int, object]]:
    """Rows (track position, feature position, `column`) of `pattern` (over ?o and ?f) in the tracks' graphs."""
    if not tracks or not features:
        return iter(())
    track_rows = " ".join(f"(<{t}> {i})" for i, t in enumerate(tracks))
    feature_rows = " ".join(f"(<{f}> {j})" for j, f in enumerate(features))
    # Track and feature come back as positions: a number travels in the row, while Oxigraph looks up each
    # IRI of an answer (two thirds of the time when they were asked for). The inner SELECT runs first:
    # joined on the features' VALUES first, Oxigraph read every observation of each feature in the store.
    rows = store.values(f"""SELECT ?i ?j {column} WHERE {{
        {{ SELECT ?i ?f {column} WHERE {{ VALUES (?track ?i) {{ {track_rows} }}
                                   GRAPH ?track {{ {pattern} }} }} }}
        VALUES (?f ?j) {{ {feature_rows} }} }}""")
    return ((int(i), int(j), cell) for i, j, cell in rows)


def feature_table(store: GraphStore, tracks: list[URIRef] | None = None, batch: int = 1000) -> pd.DataFrame:
    """Observations as a table: one row per track IRI, one column per canonical feature name.

    With `tracks`, only theirs, read in batches (a catalog's labelled tracks, not the whole catalog).
    """
    names = {str(info.iri): name for name, info in known_features().items() if name == info.name}
    scopes = [""] if tracks is None else [
        values_clause("track", tracks[i:i + batch]) for i in range(0, len(tracks), batch)]
    records = [(track, names.get(f) or name, value) for scope in scopes for track, f, name, value in store.values(f"""
        SELECT ?track ?f ?name ?value WHERE {{ {scope}
          GRAPH ?g {{ ?obs wt:ofTrack ?track ; wt:feature ?f ; wt:value ?value . }}
          OPTIONAL {{ GRAPH ?s {{ ?f wt:featureName ?name }} }} }}""")]
    records = [r for r in records if r[1] is not None]
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame(records, columns=["track", "feature", "value"])
    return frame.pivot_table(index="track", columns="feature", values="value", aggfunc="last")
