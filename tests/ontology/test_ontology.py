"""The ontology is consistent (HermiT), labelled and commented, and its shapes accept good data only."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from whytag_testing import hermit_world

from whytag.kg.iris import wt_individual
from whytag.kg.namespaces import WT, WT_NS
from whytag.kg.validate import validate_graph
from whytag.ontology import HERE, SHAPES, schema_files

TRACK = URIRef("urn:whytag:track/sha256-" + "ab" * 32)


def schema() -> Graph:
    graph = Graph()
    for path in schema_files():
        graph.parse(path, format="turtle")
    return graph


def good_data() -> Graph:
    """A track with a file, one feature value with its extraction (whose extractor measures its feature), a rule
    and a justified tag assignment."""
    data = Graph()
    f, act, agent = (URIRef(f"{TRACK}/{x}") for x in ("file/1", "extraction/x", "agent"))
    rule, cond, model = URIRef("urn:whytag:rule/1"), URIRef("urn:whytag:rule/1/c0"), URIRef("urn:whytag:model/1")
    assignment, just, tag = URIRef("urn:whytag:a/1"), URIRef("urn:whytag:a/1/j0"), URIRef("https://w3id.org/whytag/vocab/gtzan/blues")
    d = lambda v: Literal(v, datatype=XSD.double)  # noqa: E731
    i = lambda v: Literal(v, datatype=XSD.integer)  # noqa: E731
    for t in [
        (TRACK, RDF.type, WT.Track), (TRACK, URIRef("http://purl.org/ontology/mo/available_as"), f),
        (f, RDF.type, WT.AudioFile), (f, WT.path, Literal("/music/a.wav")), (f, WT["format"], Literal("wav")),
        (f, WT.sampleRate, i(44100)), (f, WT.channels, i(2)), (f, WT.duration, d(30.0)),
        (f, WT.sha256, Literal("ab" * 32)),
        (TRACK, WT.bpm, d(96.0)),
        (act, RDF.type, WT.Extraction), (act, URIRef("http://www.w3.org/ns/prov#wasAssociatedWith"), agent),
        (act, URIRef("http://www.w3.org/ns/prov#used"), f), (act, WT.softwareVersion, Literal("1.0")),
        (agent, RDF.type, WT.Extractor), (agent, RDFS.label, Literal("x")), (agent, WT.measures, WT.bpm),
        (model, RDF.type, WT.TagModel), (model, WT.forTag, tag), (model, WT.intercept, d(-1.0)),
        (model, WT.link, Literal("logistic")), (model, WT.hasRule, rule),
        (rule, RDF.type, WT.Rule), (rule, WT.forTag, tag), (rule, WT.hasCondition, cond), (rule, WT.weight, d(1.4)),
        (rule, WT.support, i(214)), (rule, WT.precision, d(0.86)),
        (cond, RDF.type, WT.Condition), (cond, WT.feature, WT.bpm), (cond, WT.operator, Literal(">=")),
        (cond, WT.threshold, d(90.0)),
        (assignment, RDF.type, WT.TagAssignment), (assignment, WT.track, TRACK), (assignment, WT.tag, tag),
        (assignment, WT.score, d(0.6)), (assignment, WT.justifiedBy, just), (TRACK, WT.taggedAs, tag),
        (just, RDF.type, WT.Justification), (just, WT.rule, rule), (just, WT.contribution, d(1.4)),
    ]:
        data.add(t)
    return data


def test_every_term_has_label_and_comment():
    graph = Graph().parse(HERE / "whytag.ttl", format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {s for k in kinds for s in graph.subjects(RDF.type, k) if isinstance(s, URIRef)}
    assert len(terms) > 60
    unlabelled = [t for t in terms if graph.value(t, RDFS.label) is None or graph.value(t, RDFS.comment) is None]
    assert unlabelled == []


def test_features_and_vocabularies_are_labelled():
    graph = schema()
    features = set(graph.subjects(RDF.type, WT.Feature))
    assert len(features) >= 85  # the paper's 61, voice, and the extra signal features
    assert all(graph.value(f, RDFS.comment) and graph.value(f, WT.featureName) for f in features)
    families = set(graph.subjects(RDF.type, WT.FeatureFamily))
    assert all(len(set(graph.objects(f, WT.inFamily)) & families) == 1 for f in features)  # the pages group by it
    tags = set(graph.subjects(RDF.type, URIRef("http://www.w3.org/2004/02/skos/core#Concept")))
    assert len(tags) == 10 + 56 + 50


def test_good_data_conforms():
    assert validate_graph(good_data()) == []


def test_bad_data_is_rejected_with_readable_messages():
    data = good_data()
    assignment = URIRef("urn:whytag:a/1")
    data.set((assignment, WT.score, Literal(1.7, datatype=XSD.double)))
    data.remove((assignment, WT.justifiedBy, None))
    data.set((URIRef(f"{TRACK}/file/1"), WT.sha256, Literal("not-a-hash")))
    data.set((TRACK, WT.bpm, Literal("NaN", datatype=XSD.double)))
    messages = [str(v) for v in validate_graph(data)]
    assert any("score in [0, 1]" in m and "1.7" in m for m in messages), messages
    assert any("at least one wt:Justification" in m for m in messages), messages
    assert any("64 lowercase hex" in m for m in messages), messages
    assert any("must be a finite xsd:double" in m for m in messages), messages
    unmeasured = good_data()
    unmeasured.remove((None, WT.measures, WT.bpm))
    unmeasured.remove((None, WT.softwareVersion, None))
    assert sorted(v.message for v in validate_graph(unmeasured)) == [
        "A feature value's feature must be one some wt:Extractor wt:measures: that is where its provenance is read.",
        "An extraction needs exactly one wt:softwareVersion string (of the extractor it ran)."]
    infinite = good_data()
    infinite.set((TRACK, WT.bpm, Literal("INF", datatype=XSD.double)))
    assert [v.message for v in validate_graph(infinite)] == ["A feature value must be a finite xsd:double."]
    twice = good_data()
    twice.add((TRACK, WT.bpm, Literal(120.0, datatype=XSD.double)))
    assert [v.message for v in validate_graph(twice)] == [
        "A track has at most one value of a feature (the last extraction that measured it)."]
    text = good_data()
    text.set((TRACK, WT.bpm, Literal("fast")))
    assert [v.message for v in validate_graph(text)] == ["A feature value must be a finite xsd:double."]


def test_shapes_parse_and_cover_every_instance_class():
    shapes = Graph().parse(SHAPES, format="turtle")
    targets = set(shapes.objects(None, URIRef("http://www.w3.org/ns/shacl#targetClass")))
    for cls in (WT.Track, WT.AudioFile, WT.Extraction, WT.ChordEvent, WT.Rule,
                WT.Condition, WT.TagModel, WT.TagAssignment, WT.Justification, WT.LevelThreshold, WT.Feature):
        assert cls in targets, cls


def test_ontology_and_sample_data_are_consistent(owlready2, tmp_path):
    hermit_world(owlready2, schema() + good_data(), tmp_path)  # raises if inconsistent


def test_reasoner_catches_inconsistent_data(owlready2, tmp_path):
    data = schema() + good_data()
    data.add((TRACK, RDF.type, WT.Rule))  # a track is never a rule: the classes are disjoint
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        hermit_world(owlready2, data, tmp_path)


def test_an_unlabelled_ontology_term_is_flagged():
    data = good_data()
    undocumented = wt_individual("Undocumented")  # a term no Turtle file declares, so not one of WT's
    data.add((undocumented, RDF.type, OWL.Class))
    messages = [str(v) for v in validate_graph(data)]
    assert any(m.startswith(f"{undocumented}") and "rdfs:label" in m for m in messages), messages
    assert any(m.startswith(f"{undocumented}") and "rdfs:comment" in m for m in messages), messages


def declared_terms() -> set[str]:
    """Local names of every wt: term the ontology's Turtle files declare (as a subject)."""
    graph = Graph()
    for path in HERE.glob("*.ttl"):
        graph.parse(path, format="turtle")
    return {str(s)[len(WT_NS):] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(WT_NS)}


def test_the_wt_namespace_is_the_ontology():
    """WT holds exactly the declared terms (a new term goes into both), and every wt: term the Turtle
    files use is declared there."""
    declared, namespace = declared_terms(), set(WT.__annotations__)
    missing = sorted(declared - namespace)
    assert missing == [], "add to kg/namespaces.py's WT:\n" + "\n".join(f"    {t}: URIRef" for t in missing)
    assert sorted(namespace - declared) == []
    graph = Graph()
    for path in HERE.glob("*.ttl"):
        graph.parse(path, format="turtle")
    used = {str(t)[len(WT_NS):] for triple in graph for t in triple
            if isinstance(t, URIRef) and str(t).startswith(WT_NS)}
    assert sorted(used - declared) == []


def test_an_unknown_wt_term_raises():
    assert WT.Track == URIRef(WT_NS + "Track") and WT["format"] == URIRef(WT_NS + "format")
    with pytest.raises(AttributeError):
        WT.noSuchTerm  # noqa: B018
    with pytest.raises(AttributeError):
        WT["noSuchTerm"]


def test_sparql_in_the_package_names_declared_terms_only():
    """The wt: terms in whytag's queries (.rq files, and SPARQL text in its modules) are all declared:
    a typo there would match nothing rather than fail."""
    root = HERE.parent
    upgrading = {"upgrade.py", "v1-layout-sign.rq", "rule-queries-over-observations.rq"}  # read old terms, delete them
    texts = [p for p in root.rglob("*") if p.suffix in (".rq", ".py") and not {"tests", "bench", ".venv"} & set(p.parts)
             and p.name not in upgrading]
    used = {m.group(1): p for p in texts for m in re.finditer(r"\bwt:(\w+)", p.read_text(encoding="utf-8"))}
    assert {t: str(p) for t, p in used.items() if t not in declared_terms()} == {}
