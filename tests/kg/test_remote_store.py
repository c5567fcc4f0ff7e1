"""The store's functions against real SPARQL 1.1 server processes on loopback: Oxigraph server and Virtuoso 7."""

from __future__ import annotations

import pytest
from whytag_testing import double_tolerance

from whytag.kg.ingest import ingest
from whytag.kg.store import StoreError, open_store


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def endpoint(request, tmp_path_factory):
    """A fresh server: `oxigraph serve` without the union default graph (whytag must not need one), and Virtuoso 7."""
    from whytag_testing import sparql_server

    options = {"union_default_graph": False} if request.param == "oxigraph" else {}
    with sparql_server(request.param, tmp_path_factory.mktemp("server"), **options) as url:
        yield url


def test_ingest_and_query_through_an_endpoint(endpoint, audio_folder):
    store = open_store(endpoint)
    report = ingest(store, [audio_folder], progress=False)
    assert len(report.tracks) == 3 and len(report.failures) == 2
    count = store.select("SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { GRAPH ?g { ?t a wt:Track } }").rows[0][0]
    assert int(count) == 3
    features = store.select("SELECT (COUNT(?f) AS ?n) WHERE { GRAPH ?g { ?f a wt:Feature } }").rows[0][0]
    assert int(features) >= 82  # the schema graph was loaded through the endpoint too


def test_tagging_runs_inside_the_endpoint(endpoint):
    import numpy as np
    import pandas as pd

    from whytag.kg.tables import import_features
    from whytag.reasoning.model import Condition, Rule, TagModel
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import ModelInfo, write_models

    store = open_store(endpoint)
    frame = pd.DataFrame({"BPM": np.linspace(60, 180, 13)}, index=[f"r{i}" for i in range(13)])
    import_features(store, frame, "remote-table")
    write_models(store, ModelInfo("remote", "tempo"),
                 [TagModel("fast", -2.0, [Rule("fast", (Condition("BPM", ">=", 120.0),), 4.0)])])
    assignments = apply_model(store, "remote")
    by_value = {a.track.rsplit("/", 1)[-1]: a for a in assignments}
    assert len(by_value) == 13
    assert all(by_value[f"r{i}"].logit == (2.0 if frame.BPM.iloc[i] >= 120 else -2.0) for i in range(13))


def test_unreachable_endpoint_is_a_clear_error():
    with pytest.raises(StoreError, match="127.0.0.1:9"):
        open_store("http://127.0.0.1:9/query")


def test_learn_and_explain_need_no_union_default_graph(endpoint):
    import numpy as np
    import pandas as pd

    from whytag.kg.mapping import feature_table
    from whytag.kg.tables import import_features
    from whytag.reasoning.explain import explain
    from whytag.reasoning.training import learn

    store = open_store(endpoint)
    frame = pd.DataFrame({"BPM": np.linspace(60, 180, 24), "Spectral-Centroid": np.linspace(3000, 500, 24)},
                         index=[f"s{i}" for i in range(24)])
    tracks = import_features(store, frame, "served")
    assert feature_table(store).loc[str(tracks[0]), "BPM"] == 60.0  # the server has no union default graph
    Y = pd.DataFrame({"fast": (frame.BPM >= 120).astype(int)}, index=frame.index)
    learn(store, Y, dict(zip(frame.index, tracks)), "boosted-linear", "served", "tempo", "served table")
    from whytag.reasoning.reasoner import apply_model

    apply_model(store, "served")
    [why] = explain(store, tracks[-1], tag="fast", detail=True)
    assert why.predicted and "tempo 180 BPM — fast: +" in why.text()
    assert "would not be fast if tempo were < 120 BPM" in why.text()  # the counterfactual through the endpoint
    assert "training mean 120) = +" in why.text(detail=True)  # linear terms read through the endpoint too
    rounding = double_tolerance(endpoint)  # Virtuoso 7.2.5 sends the contributions and logit with 6 digits
    assert sum(r.contribution for r in why.reasons) == pytest.approx(why.logit, rel=rounding, abs=1e-12)


def test_export_reads_pages_that_add_up_to_the_whole(endpoint, monkeypatch):
    """Servers cap an answer's rows (Virtuoso: 10,000 by default): an export read 37 quads at a time (graphs
    grouped, the large ones in sorted pages) is the export read at once, and is N-Quads an rdflib reads."""
    from rdflib import Dataset

    from whytag.kg import export

    store = open_store(endpoint, read_only=True)
    whole = export.export(store, "nquads")
    monkeypatch.setattr(export, "PAGE", 37)
    paged = export.export(store, "nquads")
    assert sorted(paged.splitlines()) == sorted(whole.splitlines()) and len(whole.splitlines()) > 1000
    assert sum(1 for _ in Dataset().parse(data=paged, format="nquads").quads()) == len(set(whole.splitlines()))
