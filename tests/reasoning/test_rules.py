"""A rule's OWL body class means what the rule means: HermiT puts exactly the firing tracks in it."""

from __future__ import annotations

import pandas as pd
from rdflib import Graph, URIRef
from whytag_testing import hermit_world

from whytag.extractors.base import FeatureSet
from whytag.kg.mapping import feature_triples
from whytag.kg.namespaces import RDF, WT
from whytag.ontology import schema_files
from whytag.reasoning.model import Condition, Rule, TagModel
from whytag.reasoning.rules import ModelInfo, model_graph


def test_hermit_classifies_tracks_into_rule_bodies(owlready2, tmp_path):
    rule = Rule("energetic", (Condition("BPM", ">=", 120.0), Condition("Spectral-Centroid", "<", 1800.0)), 1.0)
    info = ModelInfo("owl", "moods")
    graph = Graph()
    for path in schema_files():
        graph.parse(path, format="turtle")
    graph += model_graph(info, [TagModel("energetic", 0.0, [rule])])
    values = {"fires": (120.0, 1700.0), "too-slow": (119.9, 1700.0), "too-bright": (130.0, 1800.0)}
    for name, (bpm, centroid) in values.items():
        track = URIRef(f"urn:whytag:track/{name}")
        features = FeatureSet("test", "1")
        features.add("BPM", bpm, "PER-MIN")
        features.add("Spectral-Centroid", centroid, "HZ")
        graph.add((track, RDF.type, WT.Track))
        graph.parse(data=feature_triples(track, features), format="nt")
    world = hermit_world(owlready2, graph, tmp_path)
    body = world[f"{info.rule_iri(rule, 0)}/body"]
    members = {i.iri.rsplit("/", 1)[-1] for i in body.instances()}
    assert members == {"fires"}
    assert pd.Series(values).map(lambda v: v[0] >= 120 and v[1] < 1800).sum() == 1
