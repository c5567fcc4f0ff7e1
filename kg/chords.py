"""Chord events ↔ triples, OWL 2 RL reasoning over functional harmony, and the 32 harmonic features in SPARQL.

A track's chord events are asserted with facts only (symbol, root, quality, onset, duration, the
degree of the root in the key, the key and its mode, and `wt:next` to the following event). The
`reasonable` OWL 2 RL reasoner, run over those facts and ontology/harmony.ttl, decides each event's
function (wt:Tonic, wt:Subdominant, wt:Dominant, wt:SecondaryDominant = the paper's "glob"); its
inferred rdf:type triples are stored with the events. The features are SPARQL aggregates over that
reasoned graph: the ratio of events of a function among all events (dom, sub) and the ratio of
function n-grams along `wt:next` among all n-grams of that length (sub-dom, sub-dom-tonic, ...).
Provenance: each event is wt:countedFor every feature that counted an n-gram starting at it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import reasonable
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, XSD

from whytag.extractors.base import FeatureSet, FeatureValue
from whytag.extractors.symbolic import PITCH_CLASSES, ChordEvent
from whytag.kg.features import feature_node, known_features
from whytag.kg.iris import chord_prefix, extraction_iri
from whytag.kg.mapping import extractor_output, extractors_declared, feature_triples
from whytag.kg.namespaces import KEYS, WT, sparql_prefixes
from whytag.kg.ntriples import NTriples, triples_block
from whytag.kg.queries import Named, query
from whytag.kg.store import GraphStore, Triple
from whytag.ontology import HERE

HARMONY = HERE / "harmony.ttl"
FUNCTIONS = {"tonic": WT.Tonic, "sub": WT.Subdominant, "dom": WT.Dominant, "glob": WT.SecondaryDominant}
QUALITIES = {"maj": WT.MajorTriad, "min": WT.MinorTriad, "7": WT.DominantSeventh, "dim": WT.DiminishedTriad}
NGRAM_QUERIES = {1: "chord-unigrams", 2: "chord-bigrams", 3: "chord-trigrams"}  # by the n-grams' length
MODES = {"major": WT.MajorMode, "minor": WT.MinorMode}
DEGREES = tuple(WT["Degree" + numeral] for numeral in (
    "I", "FlatII", "II", "FlatIII", "III", "IV", "SharpIV", "V", "FlatVI", "VI", "FlatVII", "VII"))  # by semitone


def symbolic_feature_names() -> list[str]:
    """The 32 harmonic features declared in features.ttl (dom, sub, bigrams, trigrams), by canonical name."""
    return sorted({info.name for info in known_features().values() if info.group == "symbolic"})




def chord_triples(track: URIRef, extractor: str, key: str, scale: str, events: list[ChordEvent]) -> list[Triple]:
    """Asserted facts only: the key with its mode, and each event with its degree in that key, in order."""
    prefix = chord_prefix(track, extractor)
    key_node, tonic = URIRef(prefix + "key"), PITCH_CLASSES[key]
    triples: list[Triple] = [
        (key_node, RDF.type, KEYS.Key), (key_node, RDFS.label, Literal(f"{key} {scale}")),
        (key_node, WT.tonicPitchClass, Literal(tonic, datatype=XSD.integer)), (key_node, WT.mode, MODES[scale]),
    ]
    nodes = [URIRef(f"{prefix}{i}") for i in range(len(events))]
    for node, event in zip(nodes, events):
        triples += [
            (node, RDF.type, WT.ChordEvent), (node, WT.inTrack, track),
            (node, WT.chordSymbol, Literal(event.symbol)),
            (node, WT.onset, Literal(float(event.onset), datatype=XSD.double)),
            (node, WT.duration, Literal(float(event.duration), datatype=XSD.double)),
            (node, WT.rootPitchClass, Literal(event.root, datatype=XSD.integer)),
            (node, WT.quality, QUALITIES[event.quality]),
            (node, WT.degree, DEGREES[(event.root - tonic) % 12]),
            (node, WT.inKey, key_node),
        ]
    triples += [(a, WT.next, b) for a, b in zip(nodes, nodes[1:])]
    return triples


@cache
def _harmony() -> tuple[Triple, ...]:
    """The harmony module and the whytag ontology it builds on, parsed once."""
    graph = Graph().parse(HARMONY, format="turtle").parse(HERE / "whytag.ttl", format="turtle")
    return tuple(graph)


def reason(facts: Graph) -> list[Triple]:
    """Run the OWL 2 RL reasoner over facts + ontology; return the rdf:type triples it inferred on chord events."""
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(list(_harmony()) + list(facts))
    events = set(facts.subjects(RDF.type, WT.ChordEvent))
    return [(s, p, o) for s, p, o in reasoner.reason()
            if p == RDF.type and s in events and str(o).startswith(str(WT)) and (s, p, o) not in facts]


def feature_values(reasoned: Graph) -> dict[str, tuple[float, list[URIRef]]]:
    """The 32 features of one track's reasoned chord graph: name → (ratio, first events of the counted n-grams).

    The queries run on Oxigraph's SPARQL engine, as in the store (rdflib's own engine loses the
    OPTIONAL rows of n-grams that never occur).
    """
    engine = Graph(store="Oxigraph")
    engine += reasoned
    by_length: dict[int, dict[str, tuple[URIRef, ...]]] = {}
    for name in symbolic_feature_names():
        classes = tuple(FUNCTIONS[part] for part in name.split("-"))
        by_length.setdefault(len(classes), {})[name] = classes
    values: dict[str, tuple[float, list[URIRef]]] = {}
    for n, patterns in by_length.items():
        rows = [(Literal(name), *classes) for name, classes in patterns.items()]
        for name, value, starts in engine.query(sparql_prefixes() + query(NGRAM_QUERIES[n], name=rows)):
            values[str(name)] = (float(value), [URIRef(e) for e in str(starts or "").split()])
    return values


def write_symbolic(store: GraphStore, track: URIRef, audio_file: URIRef | None,
                   transcription: FeatureSet) -> FeatureSet:
    """Assert chord events, reason, compute the 32 features, and replace this stage's output in one transaction.

    `transcription` is SymbolicExtractor.extract's FeatureSet (key, scale and chords in extras); the
    returned copy carries the 32 feature values.
    """
    clear, triples, measured = symbolic_changes(track, audio_file, transcription)
    store.write_graph(track, triples, clear=clear, also=extractors_declared({measured.extractor: measured.as_dict()}))
    return measured


def symbolic_changes(track: URIRef, audio_file: URIRef | None,
                     transcription: FeatureSet) -> tuple[list[Named], NTriples, FeatureSet]:
    """What write_symbolic writes, without writing it: the named updates removing this stage's earlier output in the
    track's graph, the new triples (events, inferred functions, values) and the measured FeatureSet."""
    extractor = transcription.extractor
    facts = Graph()
    for triple in chord_triples(track, extractor, str(transcription.extras["key"]),
                               str(transcription.extras["scale"]), list(transcription.extras["chords"])):
        facts.add(triple)
    for triple in reason(facts):
        facts.add(triple)
    values = feature_values(facts)
    measured = replace(transcription,
                       values=[FeatureValue(n, v, "UNITLESS", "symbolic") for n, (v, _) in values.items()])
    written = feature_triples(track, measured, audio_file)
    activity = extraction_iri(track, extractor)
    events = list(facts.subjects(RDF.type, WT.ChordEvent))
    clear = [extractor_output(track, extractor, values),
             Named("remove-chord-events", {"prefix": Literal(chord_prefix(track, extractor))})]
    counted = [(e, WT.countedFor, feature_node(name)) for name, (_, starts) in values.items() for e in starts]
    chords: list[Triple] = [*facts, *counted, *((e, PROV.wasGeneratedBy, activity) for e in events)]
    return clear, NTriples(triples_block(chords) + written), measured

