"""Symbolic stage: chord transcription, functions decided by OWL reasoners, and the 32 n-gram features."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from whytag_testing import hermit_world

from whytag.extractors import symbolic
from whytag.extractors.audio import AudioInfo
from whytag.extractors.base import Audio, FeatureSet
from whytag.extractors.essentia_quiet import es
from whytag.extractors.symbolic import ChordEvent, SymbolicExtractor, chord_symbol
from whytag.kg import chords
from whytag.kg.iris import EXTRACTORS_GRAPH
from whytag.kg.mapping import audio_triples, declare_extractors, feature_triples, file_iri
from whytag.kg.namespaces import WT
from whytag.kg.validate import validate_graph
from whytag.ontology import HERE

RATE = 44100
TRACK = URIRef("urn:whytag:track/sha256-" + "cd" * 32)
EXTRACTOR = SymbolicExtractor.name
INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "7": (0, 4, 7, 10)}
FUNCTION_OF = {v: k for k, v in chords.FUNCTIONS.items()}


def events(progression: list[tuple[int, str]], seconds: float = 2.0) -> list[ChordEvent]:
    """Chord events from (root pitch class, quality) pairs, `seconds` each."""
    return [ChordEvent(chord_symbol(r, q), r, q, i * seconds, seconds) for i, (r, q) in enumerate(progression)]


def transcription(key: str, scale: str, progression: list[tuple[int, str]]) -> FeatureSet:
    return FeatureSet(EXTRACTOR, SymbolicExtractor.version,
                      extras={"key": key, "scale": scale, "chords": events(progression)})


def facts(key: str, scale: str, progression: list[tuple[int, str]]) -> Graph:
    graph = Graph()
    for triple in chords.chord_triples(TRACK, EXTRACTOR, key, scale, events(progression)):
        graph.add(triple)
    return graph


def reasoned(key: str, scale: str, progression: list[tuple[int, str]]) -> Graph:
    graph = facts(key, scale, progression)
    for triple in chords.reason(graph):
        graph.add(triple)
    return graph


def functions(graph: Graph) -> list[str | None]:
    """The function token of each event in onset order (None: no function)."""
    ordered = sorted(graph.subjects(RDF.type, WT.ChordEvent), key=lambda e: float(graph.value(e, WT.onset)))
    return [next((FUNCTION_OF[c] for c in graph.objects(e, RDF.type) if c in FUNCTION_OF), None) for e in ordered]


def synthesise(progression: list[tuple[int, str]], seconds: float = 2.0) -> np.ndarray:
    """Chords of harmonic tones (bass root + close voicing), decaying like a struck instrument, at 44.1 kHz."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.minimum(1.0, t / 0.01) * np.exp(-t / 1.5)
    parts = []
    for root, quality in progression:
        midi = [48 + root] + [60 + (root + i) % 12 for i in INTERVALS[quality]]
        freqs = [440.0 * 2 ** ((m - 69) / 12) for m in midi]
        wave = sum(0.7**h * np.sin(2 * np.pi * f * (h + 1) * t) for f in freqs for h in range(6))
        parts.append(wave * envelope)
    audio = np.concatenate(parts)
    return (0.3 * audio / np.abs(audio).max()).astype(np.float32)


# --- functions are the reasoner's decision ------------------------------------------------------------

def test_reasoner_not_python_assigns_functions():
    asserted = facts("C", "major", [(2, "min"), (7, "maj"), (0, "maj")])
    assert not set(asserted.subjects(RDF.type, WT.Dominant)), "extraction must not assert functions"
    graph = reasoned("C", "major", [(2, "min"), (7, "maj"), (0, "maj")])
    assert functions(graph) == ["sub", "dom", "tonic"]


def test_blues_dominant_sevenths():
    # I7 is V7/IV (glob), IV7 a subdominant, V7 a dominant.
    graph = reasoned("C", "major", [(0, "7"), (5, "7"), (7, "7"), (0, "7")])
    assert functions(graph) == ["glob", "sub", "dom", "glob"]


def test_major_and_minor_keys():
    # In A major: V/V (B), vi (F#m), iii (C#m, no function), secondary dominant of vi (C#7).
    assert functions(reasoned("A", "major", [(11, "maj"), (6, "min"), (1, "min"), (1, "7")])) == \
        ["glob", "tonic", None, "glob"]
    # In A minor: i, iv, V7, bVI, V/iv (A major), V/V (B major), and C major (III: no function).
    assert functions(reasoned("A", "minor", [(9, "min"), (2, "min"), (4, "7"), (5, "maj"), (9, "maj"), (11, "maj"),
                                             (0, "maj")])) == ["tonic", "sub", "dom", "tonic", "glob", "glob", None]


# --- the 32 features ------------------------------------------------------------------------------------

def test_ii_v_i_features():
    values = {k: v for k, (v, _) in
              chords.feature_values(reasoned("C", "major", [(2, "min"), (7, "7"), (0, "maj")])).items()}
    assert len(values) == 32 and set(values) == set(chords.symbolic_feature_names())
    expected = {"sub-dom-tonic": 1.0, "sub-dom": 0.5, "dom-tonic": 0.5, "dom": 1 / 3, "sub": 1 / 3}
    assert values == pytest.approx({name: expected.get(name, 0.0) for name in values})


def test_features_match_a_plain_count():
    """The SPARQL aggregates agree with counting n-grams of function tokens by hand, on random progressions."""
    rng = random.Random(7)
    for _ in range(6):
        progression = [(rng.randrange(12), rng.choice(["maj", "min", "7"])) for _ in range(rng.randrange(0, 14))]
        graph = reasoned("D", rng.choice(["major", "minor"]), progression)
        tokens = functions(graph)
        for name, (value, starts) in chords.feature_values(graph).items():
            pattern = name.split("-")
            grams = [tokens[i:i + len(pattern)] for i in range(len(tokens) - len(pattern) + 1)]
            hits = sum(g == pattern for g in grams)
            assert value == pytest.approx(hits / len(grams) if grams else 0.0), name
            assert len(starts) == hits


def test_write_symbolic_replaces_only_its_own_output(store):
    info = AudioInfo("/music/x.wav", "wav", RATE, 1, 8.0, "cd" * 32, 1000)
    track, ingest = audio_triples(info)
    audio_file = file_iri(track, info.path)
    other = list(Graph().parse(data=feature_triples(track, FeatureSet("whytag.signal", "1", extras={}), audio_file),
                               format="nt"))
    declare_extractors(store, {"whytag.signal": []})
    store.write_graph(track, ingest + other)

    measured = chords.write_symbolic(store, track, audio_file,
                                     transcription("C", "major", [(2, "min"), (7, "7"), (0, "maj"), (0, "7")]))
    assert measured.as_dict()["sub-dom-tonic"] == 0.5  # one of the two trigrams
    rows = store.select(f"""SELECT ?e WHERE {{ GRAPH <{track}> {{ ?e a wt:Dominant ; wt:chordSymbol "G7" }} }}""").rows
    assert len(rows) == 1
    obs = store.select(f"""SELECT ?v (COUNT(?e) AS ?n) WHERE {{ GRAPH <{track}> {{
        <{track}> wt:subDomTonic ?v . ?e wt:countedFor wt:subDomTonic ; a wt:Subdominant }} }} GROUP BY ?v""").rows
    assert [(float(v), int(n)) for v, n in obs] == [(0.5, 1)]
    assert validate_graph(store.graph_triples(track) + store.graph_triples(EXTRACTORS_GRAPH)) == []

    size = len(store.graph_triples(track))
    chords.write_symbolic(store, track, None, transcription("C", "major", [(2, "min"), (7, "7"), (0, "maj"), (0, "7")]))
    assert len(store.graph_triples(track)) == size - 1  # same output again (minus prov:used, no file this time)
    chords.write_symbolic(store, track, None, transcription("C", "major", [(7, "maj")]))
    graph = store.graph_triples(track)
    assert len(set(graph.subjects(RDF.type, WT.ChordEvent))) == 1
    assert {(s, p) for s, p, _ in ingest + other} <= {(s, p) for s, p, _ in graph}  # ingest and signal untouched


# --- OWL DL check with HermiT -------------------------------------------------------------------------

def _hermit(owlready2, data: Graph, tmp_path) -> object:
    return hermit_world(owlready2, Graph().parse(HERE / "whytag.ttl").parse(chords.HARMONY) + data, tmp_path)


def test_hermit_finds_harmony_consistent_and_agrees(owlready2, tmp_path):
    progression = [(0, "maj"), (9, "min"), (2, "min"), (5, "7"), (2, "maj"), (7, "7"), (0, "7"), (0, "maj")]
    world = _hermit(owlready2, facts("C", "major", progression), tmp_path)
    by_hermit = {name: {str(i.iri) for i in world[str(cls)].instances()} for name, cls in chords.FUNCTIONS.items()}
    graph = reasoned("C", "major", progression)
    by_rl = {name: {str(e) for e in graph.subjects(RDF.type, cls)} for name, cls in chords.FUNCTIONS.items()}
    assert by_hermit == by_rl and functions(graph) == ["tonic", "tonic", "sub", "sub", "glob", "dom", "glob", "tonic"]


def test_hermit_rejects_a_chord_with_two_functions(owlready2, tmp_path):
    data = facts("C", "major", [(7, "maj")])
    data.add((URIRef(f"{chords.chord_prefix(TRACK, EXTRACTOR)}0"), RDF.type, WT.Tonic))  # V is not a tonic
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(owlready2, data, tmp_path)


# --- transcription from audio -----------------------------------------------------------------------

def test_generated_progression_transcribes_roots_qualities_and_key():
    progression = [(0, "maj"), (9, "min"), (5, "maj"), (7, "7"), (0, "maj"), (2, "min"), (7, "7"), (0, "maj")]
    audio = Audio(synthesise(progression), RATE)
    extractor = SymbolicExtractor()
    features = extractor.extract(audio)
    key, scale, found = features.extras["key"], features.extras["scale"], features.extras["chords"]
    assert (key, scale) == ("C", "major")
    assert "essentia" in features.version and features.extractor == "whytag.symbolic"
    heard = [next((e for e in found if e.onset <= 2.0 * i + 1.0 < e.onset + e.duration), None)
             for i in range(len(progression))]
    roots = sum(e is not None and e.root == r for e, (r, _) in zip(heard, progression))
    exact = sum(e is not None and (e.root, e.quality) == truth for e, truth in zip(heard, progression))
    assert roots == len(progression) and exact >= len(progression) - 1, [e.symbol for e in found]
    assert all(b.onset == pytest.approx(a.onset + a.duration) for a, b in zip(found, found[1:]))
    assert all((a.root, a.quality) != (b.root, b.quality) for a, b in zip(found, found[1:]))  # merged


def _essentia_chroma(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chroma frame by frame with Essentia (FrameGenerator, Windowing, Spectrum, SpectralPeaks, 2 x HPCP at
    440 Hz)."""
    window, spectrum = es.Windowing(type="blackmanharris62"), es.Spectrum()
    peaks = es.SpectralPeaks(minFrequency=20, maxFrequency=3500, maxPeaks=60, magnitudeThreshold=1e-5,
                             orderBy="magnitude", sampleRate=RATE)
    settings = dict(size=36, minFrequency=20, maxFrequency=3500, weightType="cosine")
    chord = es.HPCP(**settings, harmonics=8, bandPreset=True, bandSplitFrequency=500, nonLinear=True, windowSize=0.5)
    key = es.HPCP(**settings, bandPreset=False, nonLinear=False, windowSize=1.0)
    found = [peaks(spectrum(window(frame))) for frame in
             es.FrameGenerator(x, frameSize=symbolic.FRAME, hopSize=symbolic.HOP, startFromZero=True)]
    return np.array([chord(f, m) for f, m in found]), np.array([key(f, m) for f, m in found])


def test_chroma_matches_essentia_frame_by_frame():
    """The NumPy chroma (whytag.extractors.chroma) is Essentia's per-frame HPCP chain, to float rounding."""
    noise = np.random.default_rng(3).standard_normal(8 * RATE).astype(np.float32)
    x = synthesise([(0, "maj"), (9, "min"), (5, "maj"), (7, "7")]) + 0.01 * noise
    for length in (len(x), 3 * symbolic.HOP + 1, symbolic.FRAME - 100):
        expected_chord, expected_key = _essentia_chroma(x[:length])
        chord, key = symbolic._chroma(x[:length])
        assert chord.shape == key.shape == expected_chord.shape
        np.testing.assert_allclose(chord, expected_chord, atol=1e-3)
        np.testing.assert_allclose(key, expected_key, atol=1e-4)


def test_silence_gives_no_chords_and_zero_features(store):
    features = SymbolicExtractor().extract(Audio(np.zeros(RATE * 3, np.float32), RATE))
    assert features.extras["chords"] == []
    measured = chords.write_symbolic(store, TRACK, None, features)
    assert set(measured.as_dict().values()) == {0.0} and len(measured.values) == 32


def test_degree_iris_match_the_ontology():
    """Python's interval → degree table and harmony.ttl's wt:semitones say the same thing."""
    harmony = Graph().parse(chords.HARMONY)
    assert [int(harmony.value(degree, WT.semitones)) for degree in chords.DEGREES] == list(range(12))
