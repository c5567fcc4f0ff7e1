"""The embedded store: one graph per track, atomic writes, IRIs from audio bytes, schema loaded once."""

from __future__ import annotations

import shutil

import pytest
from rdflib import Literal

from whytag.extractors.audio import probe
from whytag.extractors.base import FeatureSet
from whytag.kg.ingest import ingest
from whytag.kg.mapping import feature_table, write_features
from whytag.kg.namespaces import SCHEMA_GRAPH, WT
from whytag.kg.store import StoreError, open_store


def count(store, pattern: str) -> int:
    return int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}").rows[0][0])


def test_ingest_gives_one_graph_per_track_named_by_hash(store, audio_folder):
    report = ingest(store, [audio_folder], progress=False)
    assert len(report.tracks) == 3
    graphs = {str(r[0]) for r in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?t a wt:Track } }").rows}
    assert graphs == {str(t) for t, _ in report.tracks}
    for track, info in report.tracks:
        assert str(track).endswith(info.sha256)
    ogg = next(info for _, info in report.tracks if info.path.endswith("c.ogg"))
    assert (ogg.channels, ogg.sample_rate) == (2, 22050) and abs(ogg.duration - 2.0) < 0.01


def test_reingest_changes_nothing_and_moved_file_keeps_its_iri(store, audio_folder, tmp_path):
    ingest(store, [audio_folder], progress=False)
    before = count(store, "GRAPH ?g { ?s ?p ?o }")
    ingest(store, [audio_folder], progress=False)
    assert count(store, "GRAPH ?g { ?s ?p ?o }") == before
    moved = tmp_path / "moved.wav"
    shutil.copy(audio_folder / "a.wav", moved)
    report = ingest(store, [moved], progress=False)
    assert report.tracks[0][0] == next(t for t, i in ingest(store, [audio_folder / "a.wav"], progress=False).tracks)
    assert count(store, "?t a wt:Track") == 3
    assert count(store, f"<{report.tracks[0][0]}> mo:available_as ?f") == 2  # both paths recorded


def test_bad_files_are_named_and_good_ones_kept(store, audio_folder):
    report = ingest(store, [audio_folder, audio_folder / "missing.wav"], progress=False)
    assert len(report.tracks) == 3
    assert len(report.failures) == 3
    joined = "\n".join(report.failures)
    assert "empty.wav: empty file" in joined
    assert "notes.mp3: " in joined and "missing.wav: no such file" in joined
    assert all("\n" not in f for f in report.failures)


def test_features_replace_only_their_extractor_output(store, audio_folder):
    report = ingest(store, [audio_folder / "a.wav"], progress=False)
    track, _ = report.tracks[0]
    first = FeatureSet("demo.x", "1")
    first.add("BPM", 120.0, "PER-MIN")
    first.add("Spectral-Centroid", 900.0, "HZ")
    other = FeatureSet("demo.y", "1")
    other.add("Dominants", 0.25, group="symbolic")  # an alias: stored as the canonical feature `dom`
    write_features(store, track, first, None)
    write_features(store, track, other, None)
    second = FeatureSet("demo.x", "2")
    second.add("BPM", 96.0, "PER-MIN")
    write_features(store, track, second, None)
    table = feature_table(store)
    assert table.loc[str(track), "BPM"] == 96.0
    assert table.loc[str(track), "dom"] == 0.25
    assert "Spectral-Centroid" not in table.columns  # the old run's value went with it
    assert count(store, f"GRAPH <{track}> {{ ?f a wt:AudioFile }}") == 1  # ingest's facts untouched


def test_failed_update_leaves_graph_untouched(store, audio_folder):
    track, _ = ingest(store, [audio_folder / "a.wav"], progress=False).tracks[0]
    before = store.graph_triples(track)
    bad = [(track, WT.value, Literal(1.0)), (track, Literal("a literal is no predicate"), Literal(2.0))]
    with pytest.raises(StoreError):
        store.write_graph(track, bad)  # replaces the graph, but the request is rejected as a whole
    assert set(store.graph_triples(track)) == set(before)


def test_schema_loaded_once_and_store_reopens(tmp_path):
    with open_store(tmp_path / "g") as store:
        n = count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}")
        assert n > 1000
    with open_store(tmp_path / "g") as store:
        assert count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}") == n


def test_store_errors_are_clear(tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(afile)
    with pytest.raises(StoreError, match="no store here"):
        open_store(tmp_path / "nothing", create=False)
    with pytest.raises(StoreError, match=r"file.txt/catalog: cannot create the store's folder \(Not a directory\)"):
        open_store(afile / "catalog")


def test_a_new_store_in_a_new_folder(tmp_path):
    with open_store(tmp_path / "new" / "deeper" / "catalog") as store:
        assert count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}") > 1000


def test_probe_reports_header_facts(audio_folder):
    info = probe(audio_folder / "b.flac")
    assert info.format == "flac" and info.sample_rate == 22050 and info.channels == 1
    assert abs(info.duration - 1.5) < 1e-6 and len(info.sha256) == 64


@pytest.mark.parametrize("tracks", [3, 400])  # a transaction below BULK_FROM triples, Oxigraph's bulk loader above
def test_batch_writes_land_whole_or_not_at_all(tmp_path, tracks):
    from rdflib import URIRef

    from whytag.kg.store import BULK_FROM

    def batch(prefix: str, bad: bool = False) -> dict:
        graphs = {URIRef(f"urn:test:{prefix}/{i}"): [(URIRef(f"urn:test:{prefix}/{i}/o{j}"), WT.value, Literal(float(j)))
                                                       for j in range(30)] for i in range(tracks)}
        if bad:  # the last triple of the last graph cannot be parsed: nothing of the batch may be written
            graphs[URIRef(f"urn:test:{prefix}/{tracks - 1}")].append((URIRef("urn:test:bad%zz"), WT.value, Literal(1.0)))
        return graphs

    assert (tracks * 30 >= BULK_FROM) == (tracks == 400)
    with open_store(tmp_path / "g") as store:
        store.add_graphs(batch("a"))
        written = count(store, "GRAPH ?g { ?s wt:value ?v }")
        assert written == tracks * 30
        with pytest.raises(StoreError, match=r"g: write failed: .*%zz"):
            store.add_graphs(batch("b", bad=True))
        assert count(store, "GRAPH ?g { ?s wt:value ?v }") == written
        store.add_graphs(batch("b"), fresh=True)
        assert count(store, "GRAPH ?g { ?s wt:value ?v }") == 2 * written
        assert count(store, "GRAPH <urn:test:b/2> { ?s wt:value 29e0 }") == 1
