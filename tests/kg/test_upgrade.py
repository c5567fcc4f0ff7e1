"""A store written before the catalog graph v2 (whytag 256cdc6, 2026-12-06: three-quad observations, features
wt:BPM …) is upgraded in place when opened, and answers with the same tags and reasons.

tests/kg/data holds that store as sorted N-Quads (a 40-row random table, model sets learned with `sparse` and
`ripper`, both tagged) and what `whytag explain --detail --format json` said of four tracks then.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph
import pytest

from whytag.kg.store import open_store
from whytag.kg.tracks import find_track
from whytag.kg.validate import validate_store
from whytag.reasoning.explain import explain
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.rederive import rederive

DATA = Path(__file__).parent / "data"
WT = "https://w3id.org/whytag/ontology#"
RENAMED = {"BPM": "bpm", "SpectralCentroid": "spectralCentroid", "Dom": "dom", "Mode": "minorness", "MFCC1": "mfcc1"}


def count(store, pattern: str) -> int:
    return int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}").rows[0][0])


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    path = tmp_path_factory.mktemp("old") / "graph"
    old = pyoxigraph.Store(str(path))
    old.bulk_load(gzip.decompress((DATA / "store-2026-12-06.nq.gz").read_bytes()), format=pyoxigraph.RdfFormat.N_QUADS)
    assert len(old) == 9806
    del old  # releases the folder's lock
    with open_store(path) as store:  # the schema digest differs: upgraded here
        yield store


def renamed(value):
    """The 2026-12-06 answer with its feature IRIs as today's."""
    if isinstance(value, dict):
        return {k: renamed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v) for v in value]
    if isinstance(value, str) and value.startswith(WT):
        return WT + RENAMED.get(value[len(WT):], value[len(WT):])
    return value


def test_values_are_track_properties_and_no_observation_is_left(upgraded):
    assert count(upgraded, "GRAPH ?g { ?o ?p ?x FILTER(CONTAINS(STR(?p), 'ofTrack') || CONTAINS(STR(?p), 'Observation')"
                           " || CONTAINS(STR(?p), 'observationCount') || ?p = <" + WT + "value>) }") == 0
    assert count(upgraded, "GRAPH ?g { ?t a wt:Track ; wt:bpm ?v }") == 40
    assert count(upgraded, "GRAPH ?g { ?t a wt:Track ; ?f ?v } GRAPH ?s { ?f a wt:Feature }") == 40 * 5
    assert count(upgraded, "GRAPH ?g { ?x ?p ?o FILTER(?o = <" + WT + "BPM>) }") == 0
    assert count(upgraded, "GRAPH ?g { ?r owl:onProperty ?p . ?p owl:inverseOf ?q }") == 0
    assert count(upgraded, "GRAPH ?g { ?r a wt:Rule ; wt:sparql ?q FILTER(CONTAINS(?q, 'ofTrack')) }") == 0
    predicted = count(upgraded, "GRAPH ?g { ?a wt:predicted true }")
    assert predicted == 127 == count(upgraded, "GRAPH ?g { ?t wt:taggedAs ?tag }")
    assert validate_store(upgraded) == []


def kept(now, before):
    """`now` with only the fields the 2026-12-06 answer had (later whytags add fields, e.g. training ranges)."""
    if isinstance(now, dict) and isinstance(before, dict):
        return {k: kept(now[k], before[k]) if k in now else None for k in before}
    if isinstance(now, list) and isinstance(before, list) and len(now) == len(before):
        return [kept(a, b) for a, b in zip(now, before)]
    return now


def test_the_same_reasons_as_before(upgraded):
    expected = json.loads((DATA / "store-2026-12-06-explain.json").read_text())
    for name, before in expected.items():
        track = find_track(upgraded, name)
        now = {"track": str(track),
               "explanations": [e.as_dict(5) for e in explain(upgraded, track, detail=True) if e.predicted]}
        assert kept(json.loads(json.dumps(now)), renamed(before)) == renamed(before), name


def test_the_same_tags_from_the_store_and_again(upgraded):
    assert [r for r in rederive(upgraded, 200) if not r.agrees] == []
    stored = {(str(t), str(tag), float(s)) for t, tag, s in upgraded.values(
        "SELECT ?t ?tag ?s WHERE { GRAPH ?g { ?a wt:track ?t ; wt:tag ?tag ; wt:score ?s ; wt:predicted true } }")}
    again = {(str(a.track), str(a.tag), a.score) for name in ("sparse-set", "ripper-set")
             for a in apply_model(upgraded, name) if a.predicted}
    assert again == stored


def test_each_rule_s_sparql_finds_the_tracks_it_fires_on(upgraded):
    for rule, text, n in upgraded.values("""SELECT ?rule ?q (COUNT(DISTINCT ?j) AS ?n) WHERE {
            GRAPH ?m { ?rule a wt:Rule ; wt:sparql ?q } OPTIONAL { GRAPH ?tg { ?j wt:rule ?rule } }
        } GROUP BY ?rule ?q"""):
        fires = {str(row[0]) for row in upgraded.values(text)}
        assert all(t.startswith("urn:whytag:track/") for t in fires), rule
        assert len(fires) >= int(n), rule  # every written justification citing the rule is of a track it fires on
