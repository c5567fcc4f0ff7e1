"""Numeric features → perceptual levels (slow/moderate/fast tempo, low/mid/high brightness, …).

Levels come from stated thresholds: music knowledge (ontology/levels.ttl) or tertiles of a training
table. The thresholds are triples, and `wt:hasLevel` is asserted on every track whose observation falls
in a level's range, so "why is this track fast?" is a query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from whytag.kg.mapping import feature_node, known_features
from whytag.kg.namespaces import WT, feature_iri
from whytag.kg.store import GraphStore, Triple

CONCEPTS_GRAPH = URIRef("urn:whytag:graph/concepts")
TERTILES = (("Low", "low"), ("Mid", "middling"), ("High", "high"))


@dataclass(frozen=True)
class LevelThreshold:
    """Level `level` holds for a track when lower <= value of `feature` < upper (None: unbounded)."""

    feature: str
    level: str  # local name of the wt:PerceptualLevel, e.g. SpectralCentroidHigh
    label: str
    lower: float | None
    upper: float | None
    source: str


def tertile_levels(X: pd.DataFrame, source: str, features: list[str] | None = None) -> list[LevelThreshold]:
    """Low / middling / high levels per feature, split at the training data's tertiles."""
    known = known_features()
    levels = []
    for feature in features or list(X.columns):
        values = X[feature].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(np.unique(values)) < 3:
            continue  # binary or constant features have no tertiles
        cut1, cut2 = np.quantile(values, [1 / 3, 2 / 3])
        name = known[feature].label if feature in known else feature
        stem = str(feature_iri(feature)).rsplit("#", 1)[-1]
        bounds = ((None, cut1), (cut1, cut2), (cut2, None))
        for (suffix, word), (lower, upper) in zip(TERTILES, bounds):
            levels.append(LevelThreshold(feature, stem + suffix, f"{word} {name}", lower, upper,
                                         f"tertiles of {source}"))
    return levels


def levels_triples(levels: list[LevelThreshold]) -> list[Triple]:
    """Level individuals and their thresholds as triples."""
    triples: list[Triple] = []
    for level in levels:
        node, threshold = WT[level.level], WT[level.level + "Threshold"]
        triples += [
            (node, RDF.type, WT.PerceptualLevel), (node, SKOS.inScheme, WT.PerceptualLevels),
            (node, RDFS.label, Literal(level.label, lang="en")),
            (node, RDFS.comment, Literal(f"{level.label}: {_range_text(level)} ({level.source}).", lang="en")),
            (threshold, RDF.type, WT.LevelThreshold), (threshold, WT.feature, feature_node(level.feature)),
            (threshold, WT.level, node), (threshold, WT.thresholdSource, Literal(level.source)),
        ]
        if level.lower is not None:
            triples.append((threshold, WT.lowerBound, Literal(float(level.lower), datatype=XSD.double)))
        if level.upper is not None:
            triples.append((threshold, WT.upperBound, Literal(float(level.upper), datatype=XSD.double)))
    return triples


def write_levels(store: GraphStore, levels: list[LevelThreshold]) -> None:
    """Replace the learned levels (the knowledge levels stay in the schema graph)."""
    store.write_graph(CONCEPTS_GRAPH, levels_triples(levels))


def assert_levels(store: GraphStore, batch: int = 1000) -> int:
    """Re-derive every track's wt:hasLevel from its observations and all thresholds; return the count.

    The thresholds (music knowledge and learned) are read once; per batch of tracks the observations are
    read in bulk, each level decided as `lower <= value < upper`, and the batch's old levels removed and
    the new ones loaded (two transactions: a crash between leaves a batch without levels until the next
    run). One SPARQL Update joining every threshold with every observation took 116 ms a track.
    """
    thresholds: dict[str, list[tuple[str, float | None, float | None]]] = {}
    for feature, level, lower, upper in store.values("""SELECT ?f ?level ?lo ?hi WHERE { GRAPH ?tg {
            ?th a wt:LevelThreshold ; wt:feature ?f ; wt:level ?level .
            OPTIONAL { ?th wt:lowerBound ?lo } OPTIONAL { ?th wt:upperBound ?hi } } }"""):
        thresholds.setdefault(feature, []).append((level, lower, upper))
    tracks = sorted(t for (t,) in store.values("SELECT DISTINCT ?track WHERE { GRAPH ?g { ?track a wt:Track } }"))
    for start in range(0, len(tracks), batch):
        scope = f"VALUES ?track {{ {' '.join(f'<{t}>' for t in tracks[start:start + batch])} }}"
        graphs: dict[URIRef, set[Triple]] = {}
        for track, graph, feature, value in store.values(f"""SELECT ?track ?g ?f ?v WHERE {{ {scope}
                GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v }} }}"""):
            for level, lower, upper in thresholds.get(feature, ()):
                if (lower is None or value >= lower) and (upper is None or value < upper):
                    graphs.setdefault(URIRef(graph), set()).add((URIRef(track), WT.hasLevel, URIRef(level)))
        store.update(f"DELETE {{ GRAPH ?g {{ ?track wt:hasLevel ?level }} }} WHERE {{ {scope} "
                     "GRAPH ?g { ?track wt:hasLevel ?level } }")
        store.add_graphs(graphs, fresh=True)
    store.compact()
    return int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?t wt:hasLevel ?l } }").rows[0][0])


def _range_text(level: LevelThreshold) -> str:
    if level.lower is None:
        return f"{level.feature} below {level.upper:.4g}"
    if level.upper is None:
        return f"{level.feature} of {level.lower:.4g} or more"
    return f"{level.feature} from {level.lower:.4g} to below {level.upper:.4g}"
