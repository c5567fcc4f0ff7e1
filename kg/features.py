"""What the ontology says about each feature (ontology/features.ttl, the one place it is said): IRI,
canonical name, unit, group, family, label and description, read once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from whytag.extractors.base import GROUPS
from whytag.kg.iris import feature_iri
from whytag.kg.namespaces import WT
from whytag.ontology import FEATURES, ONTOLOGY

GROUP_IRIS = {group: WT[f"{group.capitalize()}Group"] for group in GROUPS}  # signal → wt:SignalGroup


@dataclass(frozen=True)
class FeatureInfo:
    """What the ontology says about a feature: its IRI, canonical name, unit (a QUDT unit's local name),
    group, label and description; whether a listener perceives it (raw descriptors such as MFCCs do not,
    and are learned from only when asked); and the words for a binary one's two values or a categorical
    one's values (empty for a number)."""

    iri: URIRef
    name: str
    unit: str
    group: str
    label: str
    description: str
    perceptual: bool = True
    true_text: str = ""
    false_text: str = ""
    categories: tuple[str, ...] = ()
    family: str = ""  # what a listener hears it as part of: rhythm, dynamics, timbre… (its wt:inFamily's label)


@dataclass(frozen=True)
class Family:
    """A feature family (wt:FeatureFamily): its IRI, label, description and place when pages list them."""

    iri: URIRef
    label: str
    description: str
    order: int


@cache
def families() -> dict[str, Family]:
    """The feature families the ontology declares, by label, in their order."""
    graph = Graph().parse(ONTOLOGY, format="turtle")
    found = [Family(URIRef(f), str(graph.value(f, RDFS.label)), str(graph.value(f, RDFS.comment) or ""),
                    int(graph.value(f, WT.familyOrder))) for f in graph.subjects(RDF.type, WT.FeatureFamily)]
    return {family.label: family for family in sorted(found, key=lambda f: f.order)}


@cache
def known_features() -> dict[str, FeatureInfo]:
    """Features declared in ontology/features.ttl, by canonical name, by alias, and by any name whose
    derived IRI is theirs (MFCC1 is MFCC-1): two names never share an IRI as different features."""
    graph = Graph().parse(FEATURES, format="turtle")
    groups = {v: k for k, v in GROUP_IRIS.items()}
    family_labels = {family.iri: label for label, family in families().items()}
    table: dict[str, FeatureInfo] = {}
    for iri in graph.subjects(RDF.type, WT.Feature):
        name = str(graph.value(iri, WT.featureName))
        unit = str(graph.value(iri, WT.defaultUnit)).rsplit("/", 1)[-1]
        categories = str(graph.value(iri, WT.categoryLabels) or "")
        info = FeatureInfo(URIRef(iri), name, unit, groups[graph.value(iri, WT.inGroup)],
                           str(graph.value(iri, RDFS.label)), str(graph.value(iri, RDFS.comment) or ""),
                           graph.value(iri, WT.perceptual) != Literal(False),
                           str(graph.value(iri, WT.trueText) or ""), str(graph.value(iri, WT.falseText) or ""),
                           tuple(c.strip() for c in categories.split(",")) if categories else (),
                           family_labels.get(graph.value(iri, WT.inFamily), ""))
        table[name] = info
        for alias in graph.objects(iri, WT.featureAlias):
            table[str(alias)] = info
    return _NamesByIri(table)


class _NamesByIri(dict):
    """The known features by name; a name not listed is looked up by the IRI it would be given."""

    def __init__(self, table: dict[str, FeatureInfo]) -> None:
        super().__init__(table)
        self.by_iri = {info.iri: info for info in table.values()}

    def __missing__(self, name: str) -> FeatureInfo:
        info = self.by_iri.get(feature_iri(name))
        if info is None:
            raise KeyError(name)
        return info

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name) -> bool:
        return self.get(name) is not None


@cache
def features_by_iri() -> dict[str, FeatureInfo]:
    """The same features by IRI (as text): how wording finds a feature a graph names."""
    return {str(info.iri): info for info in known_features().values()}


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
