"""Rules in the graph fire inside the store, and an assignment's justifications add up to its score."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from whytag.kg.tables import import_features
from whytag.kg.validate import validate_store
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel, annotate
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.rules import ModelInfo, read_models, write_models


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, 40), "Spectral-Centroid": rng.uniform(500, 4000, 40),
                          "dom": rng.uniform(0, 0.5, 40)}, index=[f"t{i}" for i in range(40)])
    frame.loc["t0", ["BPM", "Spectral-Centroid", "dom"]] = [120.0, 1800.0, 0.22]  # exactly on thresholds
    return frame


def models(frame: pd.DataFrame) -> list[TagModel]:
    fast = Rule("energetic", (Condition("BPM", ">=", 120.0),), 1.4)
    bright_fast = Rule("energetic", (Condition("BPM", ">=", 120.0), Condition("Spectral-Centroid", ">", 1800.0)), 0.7)
    dark = Rule("calm", (Condition("Spectral-Centroid", "<", 1800.0),), 2.0)
    blues = Rule("calm", (Condition("dom", ">", 0.22), Condition("BPM", "<", 100.0)), -0.5)
    y = (frame["BPM"] > 110).to_numpy()
    annotate([fast, bright_fast], frame, y)
    annotate([dark, blues], frame, ~y)
    return [TagModel("energetic", -1.0, [fast, bright_fast]), TagModel("calm", -0.8, [dark, blues])]


def stored(store, frame, single_label=False):
    tracks = import_features(store, frame, "synthetic")
    info = ModelInfo("toy", "toy-moods", "hand-written", "synthetic", single_label)
    write_models(store, info, models(frame))
    return tracks, info


def test_models_round_trip_through_the_graph(store, table):
    _, info = stored(store, table)
    read_info, read = read_models(store, "toy")
    assert read_info == info
    original = {m.tag: m for m in models(table)}
    for model in read:
        assert np.allclose(model.logit(table), original[model.tag].logit(table), atol=0)


def test_justifications_add_up_to_the_score_exactly(store, table):
    tracks, _ = stored(store, table)
    assignments = apply_model(store, "toy", every_score=True)
    assert len(assignments) == 2 * len(table)
    expected = {m.tag: dict(zip(tracks, m.logit(table))) for m in models(table)}
    for a in assignments:
        assert a.logit == pytest.approx(expected[a.notation][a.track], abs=1e-12)
        assert a.score == pytest.approx(1 / (1 + math.exp(-a.logit)), abs=1e-15)
    sums = store.select("""SELECT ?a ?score (SUM(?c) AS ?total) WHERE {
        ?a a wt:TagAssignment ; wt:score ?score ; wt:justifiedBy/wt:contribution ?c } GROUP BY ?a ?score""").rows
    assert len(sums) == len(assignments)
    for _, score, total in sums:
        assert float(score) == pytest.approx(1 / (1 + math.exp(-float(total))), abs=1e-12)


def test_boundary_values_follow_the_operators(store, table):
    tracks, _ = stored(store, table)
    # BPM 120 (>= fires), centroid 1800 (> and < do not)
    apply_model(store, "toy", tracks=[tracks[0]], every_score=True)
    fired = {str(r[0]).rsplit("/", 1)[-1] for r in store.select(
        f"SELECT ?rule WHERE {{ ?a wt:track <{tracks[0]}> ; wt:justifiedBy/wt:rule ?rule }}").rows}
    assert fired == {"0"}  # only "BPM >= 120" of energetic


def test_each_feature_reason_links_its_fired_rules_whose_tests_hold_on_the_track_s_values(store, table):
    tracks, _ = stored(store, table)
    apply_model(store, "toy", every_score=True)
    rows = store.select("""SELECT ?j ?name ?v ?op ?th WHERE {
        ?a wt:track ?t ; wt:justifiedBy ?j . ?j wt:rule ?rule . ?t ?f ?v . ?f wt:featureName ?name .
        ?rule wt:hasCondition ?c . ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }""").rows
    assert rows
    ops = {">=": float.__ge__, ">": float.__gt__, "<": float.__lt__}
    assert all(ops[str(op)](float(v), float(th)) for _, _, v, op, th in rows)  # every fired rule's test holds


def test_one_reason_per_feature_effect_whose_parts_add_up(store, table):
    """Each reason = its fired rules' weights + its linear term − its offset, read back from the graph."""
    tracks = import_features(store, table, "synthetic")
    model = models(table)[0]
    model.linear = [LinearTerm("BPM", 0.01, 110.0)]
    model.centre(table)
    write_models(store, ModelInfo("toy", "toy-moods"), [model])
    assignments = apply_model(store, "toy", every_score=True)
    reasons = store.select("""SELECT ?a ?j ?c ?offset (SUM(COALESCE(?w, 0)) AS ?rules) WHERE {
        ?a wt:justifiedBy ?j . ?j wt:contribution ?c ; wt:effect ?e . ?e wt:offset ?offset .
        OPTIONAL { ?j wt:rule/wt:weight ?w } } GROUP BY ?a ?j ?c ?offset""").rows
    assert len(reasons) == 2 * len(table)  # effects (BPM) and (BPM, Spectral-Centroid), for every track
    linear = {str(j): float(k) * (float(v) - float(m)) for j, k, v, m in store.select("""SELECT ?j ?k ?v ?m WHERE {
        ?a wt:track ?track ; wt:justifiedBy ?j . ?j wt:effect ?e .
        ?t wt:effect ?e ; wt:coefficient ?k ; wt:center ?m ; wt:feature ?f . ?track ?f ?v }""").rows}
    for _, j, c, offset, rules in reasons:
        assert float(c) == pytest.approx(float(rules) + linear.get(str(j), 0.0) - float(offset), abs=1e-12)
    expected = dict(zip(tracks, model.reasons(table)[("BPM",)]))
    bpm = {str(a): float(c) for a, j, c, _, _ in reasons if str(j).endswith("/j/bpm")}
    assert all(bpm[str(a.iri)] == pytest.approx(expected[a.track], abs=1e-12) for a in assignments)
    assert abs(sum(bpm.values())) < 1e-9  # centred: the training tracks' reasons average to zero
    totals = store.select("""SELECT ?logit (SUM(?c) AS ?total) WHERE {
        ?a wt:logit ?logit ; wt:justifiedBy/wt:contribution ?c } GROUP BY ?a ?logit""").rows
    assert len(totals) == len(table)
    assert all(float(total) == pytest.approx(float(logit), abs=1e-9) for logit, total in totals)


def test_rules_share_condition_nodes_and_predicted_tags_keep_their_links(store, table):
    tracks, info = stored(store, table)
    shared = store.select(f"""SELECT ?c (COUNT(?rule) AS ?n) WHERE {{ GRAPH <{info.graph}> {{
        ?rule wt:hasCondition ?c . ?c wt:feature wt:bpm ; wt:operator ">=" }} }} GROUP BY ?c""").rows
    assert len(shared) == 1 and int(shared[0][1]) == 2  # "BPM >= 120" of two energetic rules: one node
    links = """SELECT ?a ?rule ?tag WHERE { ?a wt:predicted true ; wt:track ?t ; wt:justifiedBy ?j .
               ?j wt:rule ?rule . ?t wt:taggedAs ?tag }"""
    apply_model(store, "toy", every_score=True)
    every = {tuple(row) for row in store.select(links).rows}
    apply_model(store, "toy")  # predicted only: the links are found for the written assignments alone
    assert {tuple(row) for row in store.select(links).rows} == every and every


def test_single_label_predicts_one_tag_per_track(store, table):
    stored(store, table, single_label=True)
    assignments = apply_model(store, "toy", every_score=True)
    predicted = pd.Series([a.track for a in assignments if a.predicted])
    assert predicted.is_unique and len(predicted) == len(table)


def test_rule_sparql_form_selects_the_tracks_the_rule_fires_on(store, table):
    tracks, _ = stored(store, table)
    by_label = dict(zip(tracks, table.index))
    for model in models(table):
        for rule in model.rules:
            from whytag.reasoning.rules import rule_sparql
            selected = {by_label[r[0]] for r in store.select(rule_sparql(rule)).rows}
            assert selected == set(table.index[rule.fires(table)])


def test_tagged_graph_conforms_and_retagging_replaces(store, table):
    stored(store, table)
    apply_model(store, "toy", every_score=True)
    first = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0]
    apply_model(store, "toy", every_score=True)
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0] == first
    assert validate_store(store) == []


def test_explanation_reads_the_graph_in_plain_words(store, table):
    from whytag.reasoning.explain import explain

    tracks, _ = stored(store, table)
    apply_model(store, "toy", every_score=True)  # no level is materialised: explain derives "fast" from 120 BPM
    [energetic] = explain(store, tracks[0], tag="energetic", detail=True)
    assert energetic.logit == pytest.approx(-1.0 + 1.4)
    assert sum(r.contribution for r in energetic.reasons) == pytest.approx(energetic.logit, abs=1e-12)
    assert energetic.base_rate == pytest.approx(-1.0)  # hand-written models are not centred
    text = energetic.text(detail=True)
    assert text.startswith("energetic, 0.60 (")
    assert "  tempo 120 BPM — fast: +1.4\n" in text  # one line per feature effect, words from the ontology
    assert "rule 0: tempo ≥ 120 → +1.4" in text  # --detail: the rule inside the reason
    assert "spectral centroid 1800 Hz and tempo 120 BPM — fast: +0\n" in text  # the interaction's reason
    assert "of the reasons' weight" in text.splitlines()[-1]
    assert {e.tag for e in explain(store, tracks[0])} == {"energetic", "calm"}


def test_levels_are_rederived_in_place(store, table):
    """Only music-knowledge levels are materialised; a second run replaces, never duplicates; stale levels in any
    graph go (a tertile level a store written before 2026-12-07 holds among them), and missing ones come back."""
    from whytag.kg.namespaces import WT
    from whytag.reasoning.concepts import assert_levels, tertile_levels, write_levels

    tracks = import_features(store, table, "synthetic")
    write_levels(store, tertile_levels(table, "synthetic"))
    quads = "SELECT ?g ?t ?l WHERE { GRAPH ?g { ?t wt:hasLevel ?l } }"
    assert assert_levels(store, batch=16) == len(table)  # each track's tempo; no tertile is materialised
    levels = set(store.values(quads))
    assert len(levels) == len(table)
    assert (str(tracks[0]), str(tracks[0]), str(WT.TempoFast)) in levels  # t0: exactly 120 BPM
    assert assert_levels(store, batch=16) == len(table)
    assert set(store.values(quads)) == levels
    a, b = tracks[0], tracks[1]
    tertile = next(level.level for level in tertile_levels(table, "synthetic"))
    store.update(f"""INSERT DATA {{ GRAPH <{a}> {{ <{a}> wt:hasLevel wt:TempoSlow , wt:{tertile} }}
        GRAPH <urn:x:other> {{ <{a}> wt:hasLevel wt:ModeMinor . <urn:x:no-track> wt:hasLevel wt:ModeMinor }} }} ;
        DELETE WHERE {{ GRAPH <{b}> {{ <{b}> wt:hasLevel ?l }} }}""")
    assert assert_levels(store) == len(table) + 1  # what is no track keeps its level
    assert set(store.values(quads)) == levels | {("urn:x:other", "urn:x:no-track", str(WT.ModeMinor))}


def test_tagging_through_the_python_api_stores_the_levels(store, table, monkeypatch):
    """apply_model (the Python API, the demo pipeline), not only `whytag tag`, stores each track's music-knowledge
    levels, which the queries read (fast and minor; the catalog pages), and compacts the store once for the tags and
    the levels (it compacted after the levels, then again)."""
    from whytag.kg.namespaces import WT
    from whytag.kg.store import GraphStore

    tracks, _ = stored(store, table)
    assert not list(store.values("SELECT ?t WHERE { GRAPH ?g { ?t wt:hasLevel ?l } }"))
    compactions, compact = [], GraphStore.compact
    monkeypatch.setattr(GraphStore, "compact", lambda graph: compactions.append(graph) or compact(graph))
    apply_model(store, "toy")
    assert compactions == [store]
    fast = {t for (t,) in store.values(f"SELECT ?t WHERE {{ GRAPH ?t {{ ?t wt:hasLevel <{WT.TempoFast}> }} }}")}
    assert fast == {str(t) for t, bpm in zip(tracks, table["BPM"]) if bpm >= 120.0}
    assert 0 < len(fast) < len(table)


def test_nothing_to_explain_says_why(store, table):
    """A tag the track was not predicted, a tag or a set the store does not hold, or no tagging yet: each its own
    reason, not one 'run whytag tag first' for all."""
    from whytag.reasoning.explain import explain, nothing_to_explain

    tracks, _ = stored(store, table, single_label=True)
    assert str(nothing_to_explain(store, "t1", tracks[1])) == "t1: no tag assignments (run `whytag tag` first)"
    apply_model(store, "toy")
    [predicted] = explain(store, tracks[1])
    other = ({"energetic", "calm"} - {predicted.tag}).pop()
    assert explain(store, tracks[1], tag=other) == []
    assert str(nothing_to_explain(store, "t1", tracks[1], other)) == (
        f"t1: no stored {other!r} score: it was not predicted (its tags: {predicted.tag}), and `whytag tag` "
        "stores only predicted tags unless given --every-score")
    assert str(nothing_to_explain(store, "t1", tracks[1], "blues")) == (
        "t1: no tag 'blues' in model set toy (`whytag models` lists their vocabularies)")
    assert str(nothing_to_explain(store, "t1", tracks[1], None, "mods")) == (
        "t1: no model set named 'mods' in the store (it holds toy)")
    assert str(nothing_to_explain(store, "t1", tracks[1], None, "moods")) == (
        "t1: no model set named 'moods' in the store (it holds toy; `whytag tag --model moods` loads and applies it)")


def test_by_default_only_predicted_tags_are_written(store, table):
    stored(store, table, single_label=True)
    assignments = apply_model(store, "toy")
    written = store.select("SELECT ?a ?p WHERE { ?a a wt:TagAssignment ; wt:predicted ?p }").rows
    assert len(written) == len(table) == sum(a.predicted for a in assignments)
    assert all(p.toPython() is True for _, p in written)


def test_tuned_multilabel_thresholds_travel_with_the_model(store):
    from whytag.reasoning.learners import BoostedRulesLearner

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"BPM": rng.uniform(60, 180, 80), "dom": rng.uniform(0, 0.5, 80)},
                     index=[f"m{i}" for i in range(80)])
    Y = pd.DataFrame({"fast": (X.BPM > 130).astype(int), "tense": ((X.dom > 0.3) ^ (rng.random(80) < 0.2)).astype(int)})
    learner = BoostedRulesLearner(threshold="f1").fit(X, Y)
    tracks = import_features(store, X, "thresholds")
    write_models(store, ModelInfo("tuned", "moods"), learner.models_.values())
    _, read = read_models(store, "tuned")
    assert {m.tag: m.threshold for m in read} == pytest.approx(learner.thresholds_.to_dict())
    predicted = {(a.track, a.notation) for a in apply_model(store, "tuned") if a.predicted}
    expected = learner.predict(X)
    assert predicted == {(t, tag) for t, row in zip(tracks, X.index) for tag in Y.columns if expected.loc[row, tag]}


def linear_model() -> TagModel:
    """A rule plus two linear terms; "Spectral-Centroid" is missing for one track below."""
    rule = Rule("bright", (Condition("BPM", ">=", 120.0),), 0.5)
    return TagModel("bright", -0.3, [rule], linear=[LinearTerm("Spectral-Centroid", 0.002, 1800.0),
                                                      LinearTerm("dom", -4.0, 0.25)])


def test_linear_terms_round_trip_and_add_up_to_the_logit(store, table):
    table = table.copy()
    table.loc["t1", "Spectral-Centroid"] = np.nan  # no observation: that term contributes nothing
    tracks = import_features(store, table, "linear")
    write_models(store, ModelInfo("lin", "toy-moods"), [linear_model()])
    [read] = read_models(store, "lin")[1]
    assert read.linear == linear_model().linear
    assignments = {a.track: a for a in apply_model(store, "lin", every_score=True)}
    expected = dict(zip(tracks, linear_model().logit(table)))
    for track, a in assignments.items():
        assert a.logit == pytest.approx(expected[track], abs=1e-12)
    rows = store.select("""SELECT ?track ?c ?v ?coef ?center WHERE {
        ?a wt:track ?track ; wt:justifiedBy ?j . ?j wt:effect ?e ; wt:contribution ?c . ?track ?f ?v .
        ?term wt:effect ?e ; wt:feature ?f ; wt:coefficient ?coef ; wt:center ?center }""").rows
    assert len(rows) == 2 * len(table) - 1
    assert all(float(c) == pytest.approx(float(k) * (float(v) - float(m)), abs=1e-12) for _, c, v, k, m in rows)
    sums = store.select("""SELECT ?a ?logit (SUM(?c) AS ?total) WHERE {
        ?a wt:logit ?logit ; wt:justifiedBy/wt:contribution ?c } GROUP BY ?a ?logit""").rows
    assert len(sums) == len(table)
    assert all(float(total) == pytest.approx(float(logit), abs=1e-12) for _, logit, total in sums)
    assert validate_store(store) == []


def test_explanation_words_a_linear_term(store, table):
    from whytag.reasoning.explain import explain

    tracks = import_features(store, table, "linear")
    write_models(store, ModelInfo("lin", "toy-moods"), [linear_model()])
    apply_model(store, "lin", every_score=True)
    [bright] = explain(store, tracks[0], tag="bright", detail=True)  # centroid 1800 Hz = the centre; dom 0.22
    assert sum(r.contribution for r in bright.reasons) == pytest.approx(bright.logit, abs=1e-12)
    text = bright.text(detail=True)
    assert "  dom ratio 0.22: +0.12\n" in text
    assert "linear: -4 per unit × (0.22 − training mean 0.25) = +0.12" in text


def test_a_feature_measured_again_keeps_one_value_the_last(store, table):
    """Two extractors measured BPM on one track after the table's import: the track keeps one BPM value,
    the last written, which tagging reads; validate names the overlap of the extractors."""
    from whytag.extractors.base import FeatureSet
    from whytag.kg.extraction import write_measurements
    from whytag.kg.validate import partial_extractions
    from whytag.reasoning.reasoner import read_values

    tracks, _ = stored(store, table)
    track = tracks[3]
    first, second = FeatureSet("a-first", "1"), FeatureSet("z-last", "1")
    first.add("BPM", 61.5, group="signal")
    second.add("BPM", 177.0, group="signal")
    for features in (first, second):
        write_measurements(store, track, None, [features])
    assert [float(v) for (v,) in store.values(f"SELECT ?v WHERE {{ GRAPH ?g {{ <{track}> wt:bpm ?v }} }}")] == [177.0]
    values = read_values(store, [tracks[2], track], ["BPM", "dom"])
    assert values.loc[track, "BPM"] == 177.0 and values.loc[tracks[2], "BPM"] == table.loc["t2", "BPM"]
    assert values.loc[track, "dom"] == table.loc["t3", "dom"]
    justified = [a for a in apply_model(store, "toy", [track], every_score=True) if a.notation == "energetic"]
    assert justified[0].logit == pytest.approx(models(table)[0].logit(pd.DataFrame({"BPM": [177.0],
        "Spectral-Centroid": [table.loc["t3", "Spectral-Centroid"]], "dom": [table.loc["t3", "dom"]]}))[0], abs=1e-12)
    assert any("measure a common feature" in str(v) for v in partial_extractions(store))
