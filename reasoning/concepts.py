"""Numeric features → perceptual levels (slow/moderate/fast tempo, low/mid/high brightness, …).

Levels come from stated thresholds: music knowledge (ontology/levels.ttl) or tertiles of a training
table. The thresholds are triples, so "why is this track fast?" is a query. Only the music-knowledge
levels (fast, minor, loud: what a catalog is browsed by) are materialised as `wt:hasLevel`; a tertile
level is derived from the value and its thresholds where it is read (explain, the pages, why-tagged.rq),
as DESIGN.md says ("materialised where a rule or query uses them"): one per feature per track was
~30% of a catalog's quads, and it went stale for tracks added after `learn`.
"""

from __future__ import annotations

import pickle
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from whytag.kg import ntriples as nt
from whytag.kg.iris import CONCEPTS_GRAPH, level_stem, wt_individual
from whytag.kg.mapping import feature_node, feature_values, known_features
from whytag.kg.namespaces import WT
from whytag.kg.ntriples import NTriples, line
from whytag.kg.queries import query
from whytag.kg.store import GraphStore, Triple

KNOWLEDGE = "music knowledge"
"""How every threshold source from ontology/levels.ttl starts (wt:thresholdSource)."""
TERTILES = (("Low", "low"), ("Mid", "middling"), ("High", "high"))
_HAS_LEVEL = nt.iri(WT.hasLevel)


@dataclass(frozen=True)
class LevelThreshold:
    """Level `level` holds for a track when lower <= value of `feature` < upper (None: unbounded)."""

    feature: str  # its canonical name (its IRI from stated_levels)
    level: str  # local name of the wt:PerceptualLevel, e.g. SpectralCentroidHigh (its IRI from stated_levels)
    label: str
    lower: float | None
    upper: float | None
    source: str

    def holds(self, value: float) -> bool:
        """Whether the level holds for `value`: lower <= value < upper."""
        return (self.lower is None or value >= self.lower) and (self.upper is None or value < self.upper)


def prefer_level(chosen: str | None, source: str) -> bool:
    """Whether a feature's level stated by `source` replaces the level `chosen` for it so far (None: none
    yet): a level from music knowledge (ontology/levels.ttl) beats one from training tertiles."""
    return chosen is None or source.startswith(KNOWLEDGE)


def stated_levels(store: GraphStore) -> dict[str, list[LevelThreshold]]:
    """Every level stated in the store, by its feature's IRI (each LevelThreshold's `feature` and `level` IRIs,
    pages link them): read once
    by a caller deriving many values' levels (explanations, track pages), not joined with each track's values in
    SPARQL (150 ms a track page at 10,000 tracks)."""
    stated: dict[str, list[LevelThreshold]] = {}
    for feature, level, label, lower, upper, source in sorted(store.values(query("level-bounds")), key=str):
        stated.setdefault(feature, []).append(LevelThreshold(feature, level, label, lower, upper, source))
    return stated


def level_of(value: float, levels: list[LevelThreshold]) -> str | None:
    """The label of the level among `levels` (one feature's) that holds for `value`, music knowledge's before a
    training set's tertiles (prefer_level); None where none holds."""
    chosen = None
    for level in levels:
        if level.holds(value) and prefer_level(chosen, level.source):
            chosen = level.label
    return chosen


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
        stem = level_stem(feature)
        bounds = ((None, cut1), (cut1, cut2), (cut2, None))
        for (suffix, word), (lower, upper) in zip(TERTILES, bounds):
            levels.append(LevelThreshold(feature, stem + suffix, f"{word} {name}", lower, upper,
                                         f"tertiles of {source}"))
    return levels


def levels_triples(levels: list[LevelThreshold]) -> list[Triple]:
    """Level individuals and their thresholds as triples."""
    triples: list[Triple] = []
    for level in levels:
        node, threshold = wt_individual(level.level), wt_individual(level.level + "Threshold")
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


def assert_levels(store: GraphStore, batch: int = 1000, compact: bool = True) -> int:
    """Re-derive every track's materialised wt:hasLevel (the music-knowledge levels) from its values; return
    the count. A level of any other source held by a track (a store written before 2026-12-07) is removed.
    The store is compacted after a run that wrote, unless not to `compact` (a caller compacting next anyway).

    The thresholds are read once; per batch of tracks the values and
    the levels held are read in bulk, each level decided as `lower <= value < upper`, and the difference
    kept (compressed) until every batch is read: reads between bulk loads took twice as long. Then each
    batch's levels become exactly the derived ones in one step that lands whole or not at all (new levels
    alone are loaded natively; stale ones are deleted in the Update that inserts the new), so a track's
    levels never go missing, and a run that changes nothing writes nothing. Levels are N-Triples text
    (kg.ntriples): rdflib terms cost more to build than the store takes to load them. One SPARQL Update
    joining every threshold with every value took 116 ms a track.
    """
    thresholds = _thresholds(store)
    tracks = sorted(t for (t,) in store.values(query("track-iris")))
    track_nt = {t: nt.iri(t) for t in tracks}
    had_levels = store.select(query("any-level")).rows[0][0].toPython()
    features = list(thresholds)
    changes: list[bytes] = []
    derived_count = 0
    for start in range(0, len(tracks), batch):
        part = tracks[start:start + batch]
        derived: dict[str, set[str]] = {}  # a track's levels go in its graph, beside its values
        for i, j, value in feature_values(store, part, features):
            for level, lower, upper in thresholds[features[j]]:
                if (lower is None or value >= lower) and (upper is None or value < upper):
                    derived.setdefault(part[i], set()).add(line(track_nt[part[i]], _HAS_LEVEL, level))
        derived_count += sum(map(len, derived.values()))
        held: dict[str, set[str]] = {}
        if had_levels:
            for track, graph, level in store.values(query("held-levels", track=part)):
                held.setdefault(graph, set()).add(line(track_nt[track], _HAS_LEVEL, nt.iri(level)))
        stale, new = _difference(held, derived), _difference(derived, held)
        if stale or new:
            changes.append(zlib.compress(pickle.dumps((stale, new)), 1))  # as text: ~1 GB at 100,000 tracks
    for packed in changes:
        stale, new = pickle.loads(zlib.decompress(packed))
        store.change(stale, new)
    if changes and compact:
        store.compact()
    if not had_levels:  # every wt:hasLevel in the store is one just derived
        return derived_count
    return int(store.select(query("level-count")).rows[0][0])


def _thresholds(store: GraphStore) -> dict[str, list[tuple[str, float | None, float | None]]]:
    """Each feature's materialised levels (music knowledge) as (level IRI in N-Triples, lower, upper)."""
    thresholds: dict[str, set[tuple[str, float | None, float | None]]] = {}
    for feature, level, lower, upper in store.values(query("level-thresholds", knowledge=Literal(KNOWLEDGE))):
        thresholds.setdefault(feature, set()).add((nt.iri(level), lower, upper))
    return {feature: list(levels) for feature, levels in thresholds.items()}


def _difference(lines: dict[str, set[str]], minus: dict[str, set[str]]) -> dict[str, NTriples]:
    """Per graph, the N-Triples lines of `lines` not in `minus`, as one text (graphs left with none omitted)."""
    return {g: NTriples("".join(rest)) for g, held in lines.items() if (rest := held - minus.get(g, set()))}


def _range_text(level: LevelThreshold) -> str:
    if level.lower is None:
        return f"{level.feature} below {level.upper:.4g}"
    if level.upper is None:
        return f"{level.feature} of {level.lower:.4g} or more"
    return f"{level.feature} from {level.lower:.4g} to below {level.upper:.4g}"
