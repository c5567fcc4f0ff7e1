"""Tagging a catalog in batches: the same tags as one pass, memory of a batch, interrupted runs named,
and the in-store SPARQL path re-deriving the written scores."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from rdflib import URIRef
from whytag_testing import tags_of_each_track

from whytag.kg.namespaces import WT
from whytag.kg.queries import query
from whytag.kg.tables import import_features
from whytag.kg.validate import interrupted_runs, stale_tag_counts
from whytag.reasoning import reasoner
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel, annotate
from whytag.reasoning.reasoner import read_values, tag_batches, tags_graph
from whytag.reasoning.rederive import rederive
from whytag.reasoning.rules import ModelInfo, write_models

TRACKS = 60


@pytest.fixture
def catalog(store):
    """60 tracks, a two-tag model set with rules, an interaction and linear terms (one on a feature the ontology
    does not list, so each track's graph describes it), written to the store."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, TRACKS), "Spectral-Centroid": rng.uniform(500, 4000, TRACKS),
                          "dom": rng.uniform(0, 0.5, TRACKS), "Made-Up": rng.uniform(0, 1, TRACKS)},
                         index=[f"t{i:02d}" for i in range(TRACKS)])
    frame.loc["t07", "dom"] = np.nan  # a track missing one feature: its rules on dom never fire
    fast = Rule("energetic", (Condition("BPM", ">=", 120.0),), 1.4)
    both = Rule("energetic", (Condition("BPM", ">=", 100.0), Condition("Spectral-Centroid", ">", 1800.0)), 0.7)
    dark = Rule("calm", (Condition("Spectral-Centroid", "<", 1800.0),), 2.0)
    models = [TagModel("energetic", -1.0, [fast, both], linear=[LinearTerm("dom", 3.0, 0.25),
                                                                LinearTerm("Made-Up", 1.5, 0.5)]),
              TagModel("calm", -0.8, [dark], linear=[LinearTerm("BPM", -0.02, 120.0)])]
    y = (frame["BPM"] > 110).to_numpy()
    annotate([fast, both], frame, y)
    annotate([dark], frame, ~y)
    for model in models:
        model.centre(frame)
    tracks = import_features(store, frame, "synthetic")
    write_models(store, ModelInfo("toy", "toy-moods", "hand-written", "synthetic"), models)
    return store, frame, tracks, models


def graph_without_run(store, graph: URIRef) -> set:
    """The tagging graph's triples, less the run node (its times differ between runs)."""
    return {t for t in store.graph_triples(graph) if not str(t[0]).endswith("/run")}


def test_small_batches_write_exactly_what_one_batch_writes(catalog):
    store, frame, tracks, models = catalog
    one = [a for batch in tag_batches(store, "toy", every_score=True, batch_size=1000) for a in batch]
    graph = tags_graph(ModelInfo("toy", ""))
    whole = graph_without_run(store, graph)
    sizes = [len(batch) for batch in tag_batches(store, "toy", every_score=True, batch_size=7)]
    assert sizes == [7 * 2] * (TRACKS // 7) + [(TRACKS % 7) * 2]  # two tags a track, batch by batch
    assert graph_without_run(store, graph) == whole
    expected = {m.tag: dict(zip(tracks, m.logit(frame))) for m in models}
    assert all(a.logit == pytest.approx(expected[a.notation][a.track], abs=1e-12) for a in one)


def test_an_interrupted_run_keeps_whole_batches_and_is_named_until_rerun(catalog):
    store, *_ = catalog
    batches = tag_batches(store, "toy", batch_size=10)
    first = next(batches)
    batches.close()  # stopped after one batch, as a killed process would be
    tagged = {row[0] for row in store.select("SELECT DISTINCT ?t WHERE { GRAPH ?g { ?a wt:track ?t } }").rows}
    assert tagged == {a.track for a in first if a.predicted}
    assert [v.path for v in interrupted_runs(store)] == ["endedAtTime"]
    list(tag_batches(store, "toy", batch_size=10))
    assert interrupted_runs(store) == []
    count = store.select(f"SELECT ?n WHERE {{ GRAPH ?g {{ ?run a wt:Tagging ; <{WT.trackCount}> ?n }} }}").rows
    assert int(count[0][0]) == TRACKS


def test_the_run_s_tag_counts_match_its_assignments_until_one_is_edited(catalog):
    store, *_ = catalog
    batches = list(tag_batches(store, "toy", batch_size=7))
    by_tag = Counter(a.notation for batch in batches for a in batch if a.predicted)
    # as for a shipped vocabulary, each tag's notation also in a second graph (the schema's, beside the model's)
    store.update("INSERT { GRAPH <urn:test:vocabulary> { ?t skos:notation ?n } } "
                 "WHERE { GRAPH ?a { ?c wt:countedTag ?t } GRAPH ?b { ?t skos:notation ?n } }")
    rows = store.rows(query("tag-counts"))
    stored = {str(n): int(c) for n, c in rows}
    counted = {str(n): int(c) for n, c in store.rows(
        "SELECT ?n (COUNT(DISTINCT ?a) AS ?c) WHERE { ?a wt:predicted true ; wt:tag/skos:notation ?n } GROUP BY ?n")}
    assert stored == counted == {tag: by_tag[tag] for tag in stored} and sum(stored.values()) > 0
    assert len(rows) == len(stored)  # one row a tag, though its notation is in the vocabulary and the model graph
    assert stale_tag_counts(store) == []
    store.update("""DELETE { GRAPH ?g { ?a wt:predicted true } } INSERT { GRAPH ?g { ?a wt:predicted false } }
                    WHERE { { SELECT ?g ?a WHERE { GRAPH ?g { ?a wt:predicted true } } LIMIT 1 } }""")
    assert [v.path for v in stale_tag_counts(store)] == ["trackCount"]
    list(tag_batches(store, "toy"))
    assert stale_tag_counts(store) == []


def test_the_store_rederives_the_written_scores_and_notices_an_edit(catalog):
    store, frame, tracks, _ = catalog
    list(tag_batches(store, "toy", every_score=False))
    checked = rederive(store, 1000)
    predicted = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?a wt:predicted true } }").rows[0][0]
    assert len(checked) == int(predicted) > 0
    assert all(r.agrees for r in checked), [str(r) for r in checked if not r.agrees]
    bpm = dict(zip(map(str, tracks), frame["BPM"]))  # the lowest BPM: +500 then moves it past the training range's edge
    victim = min((r.assignment for r in checked if str(r.assignment).endswith("/calm")),  # its linear term reads BPM
                 key=lambda a: bpm[str(a).split("/tags/")[0]])
    track = store.select(f"SELECT ?t WHERE {{ GRAPH ?g {{ <{victim}> wt:track ?t }} }}").rows[0][0]
    store.update(f"""DELETE {{ GRAPH ?g {{ ?t wt:bpm ?v }} }} INSERT {{ GRAPH ?g {{ ?t wt:bpm ?w }} }}
        WHERE {{ GRAPH ?g {{ ?t wt:bpm ?v }} FILTER(?t = <{track}>) BIND(?v + 500.0 AS ?w) }}""")
    after = {r.assignment: r for r in rederive(store, 1000)}
    assert not after[victim].agrees  # BPM moved by 500: the calm logit moved by −10
    assert all(r.agrees for a, r in after.items() if not str(a).startswith(str(track) + "/"))


def test_a_value_is_one_quad_and_its_unit_comes_from_the_feature(catalog):
    store, *_ = catalog
    rows = store.select("""SELECT ?f (COUNT(DISTINCT ?t) AS ?n) WHERE { GRAPH ?t { ?t ?f ?v }
                           GRAPH ?s { ?f a wt:Feature } } GROUP BY ?f""").rows
    assert sorted((str(f).rsplit("#", 1)[1], int(n)) for f, n in rows) == [
        ("bpm", TRACKS), ("dom", TRACKS - 1), ("madeUp", TRACKS), ("spectralCentroid", TRACKS)]
    units = store.select("SELECT ?symbol WHERE { GRAPH ?s { wt:bpm wt:defaultUnit ?u . ?u qudt:symbol ?symbol } }").rows
    assert [str(u) for (u,) in units] == ["BPM"]


def test_a_stopped_retag_leaves_each_track_its_old_or_new_tags_and_ends_with_the_run_s_tracks(catalog):
    store, frame, tracks, models = catalog
    graph = tags_graph(ModelInfo("toy", ""))
    list(tag_batches(store, "toy", every_score=True))
    old = tags_of_each_track(store, graph)
    for model in models:
        model.intercept += 0.5  # every score moves: each track's new tags differ from its old ones
    write_models(store, ModelInfo("toy", "toy-moods", "hand-written", "synthetic"), models)
    batches = tag_batches(store, "toy", every_score=True, batch_size=10)
    first = next(batches)
    batches.close()  # stopped after one batch, as a killed process would be
    now = tags_of_each_track(store, graph)
    renewed = {str(a.track) for a in first}
    assert set(now) == set(old) and len(renewed) == 10
    assert all((now[t] != old[t]) == (t in renewed) for t in now)  # the batch's tracks new, the rest as they were
    assert [v.path for v in interrupted_runs(store)] == ["endedAtTime"] and stale_tag_counts(store) == []
    list(tag_batches(store, "toy", every_score=True, tracks=[URIRef(t) for t in sorted(old)[:5]], batch_size=2))
    assert set(tags_of_each_track(store, graph)) == set(sorted(old)[:5])  # a run ends holding its tracks' tags only
    assert interrupted_runs(store) == [] and stale_tag_counts(store) == []


def test_values_are_read_ahead_only_while_no_write_runs(catalog, monkeypatch):
    """The tagger reads a read-ahead's values only once every batch it gave the writer has landed, and tags as a
    single batch does: reads beside the store's writes ran several times slower (bench/RESULTS.md, 18:30)."""
    store, *_ = catalog
    one = [a for batch in tag_batches(store, "toy", every_score=True, batch_size=1000) for a in batch]
    in_flight: list[bool] = [False]  # a write handed to the writer and not yet waited for
    reads_beside_a_write: list[bool] = []

    class Recorded(reasoner.WriteBehind):
        def submit(self, write, *args) -> None:
            super().submit(write, *args)
            in_flight[0] = True

        def wait(self) -> None:
            super().wait()
            in_flight[0] = False

    def recorded_read(*args):
        reads_beside_a_write.append(in_flight[0])
        return read_values(*args)

    monkeypatch.setattr(reasoner, "WriteBehind", Recorded)
    monkeypatch.setattr(reasoner, "read_values", recorded_read)
    monkeypatch.setattr(reasoner, "READ_AHEAD", 14)  # two batches of 7 a read-ahead: five of them
    batches = [a for batch in tag_batches(store, "toy", every_score=True, batch_size=7) for a in batch]
    assert store.concurrent and len(reads_beside_a_write) == -(-TRACKS // 7)
    assert not any(reads_beside_a_write)
    assert [(a.track, a.tag, a.logit) for a in batches] == [(a.track, a.tag, a.logit) for a in one]
