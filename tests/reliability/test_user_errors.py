"""Each case of issue #14 a new user met on the CLI: one clear line, the right exit code, nothing lost or wrong."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from whytag_cli import RATE, assert_one_clear_line, chords_clip, run_whytag


@pytest.fixture
def ingested(tmp_path, clips):
    """A store holding the three clips as tracks (no extraction: these tests need none)."""
    store = tmp_path / "graph"
    result = run_whytag("ingest", "--quiet", str(clips), store=store)
    assert result.returncode == 0, result.stderr
    return store


def test_empty_labels_file_is_one_line(tmp_path, ingested):
    labels = tmp_path / "labels.csv"
    labels.write_text("")
    assert_one_clear_line(run_whytag("learn", "--labels", str(labels), store=ingested), "labels.csv", "empty")


def test_single_column_labels_file_is_not_split_at_a_letter(tmp_path, ingested):
    labels = tmp_path / "one.csv"
    labels.write_text("path\nhello.wav\nhhh.wav\nwhich.wav\n")
    line = assert_one_clear_line(run_whytag("learn", "--labels", str(labels), store=ingested),
                                 "one.csv", "only its id column")
    assert "'h'" not in line


@pytest.mark.parametrize("args, words", [
    (["explain", "urn:x> ?p ?o } } #"], ["urn:x> ?p ?o } } #", "not a valid IRI", "'>'"]),
    (["export", "--graph", "urn:x> }"], ["--graph", "not a valid IRI"]),
    (["export", "--graph", "urn:whytag:track/none"], ["--graph", "no such graph"]),
    (["explain", "urn:whytag:track/sha256-0"], ["urn:whytag:track/sha256-0", "no track with that IRI"]),
])
def test_user_iris_are_checked_where_read(ingested, args, words):
    assert_one_clear_line(run_whytag(*args, store=ingested), *words)


def test_bad_base_iri_is_refused_before_any_store_exists(tmp_path, clips):
    store = tmp_path / "graph"
    assert_one_clear_line(run_whytag("ingest", "--base", "urn:my base/", str(clips), store=store),
                          "--base", "a space")
    assert not store.exists()


def test_explain_on_a_file_never_ingested_says_so(tmp_path, ingested):
    other = tmp_path / "other.wav"
    sf.write(other, chords_clip(1.0, 300.0), RATE)
    assert_one_clear_line(run_whytag("explain", str(other), store=ingested), "other.wav", "never ingested",
                          "whytag ingest")


def test_service_is_refused_unless_allowed(ingested):
    with socket.socket() as probe:  # a port nothing listens on: bind, note it, close
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sparql = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    assert_one_clear_line(run_whytag("query", sparql, store=ingested), "SERVICE", "--allow-service")
    assert_one_clear_line(run_whytag("query", "--allow-service", sparql, store=ingested), "query failed")
    # spellings Oxigraph reads as SERVICE and a scan of the text did not (#29): no space after a dot or the keyword
    for hidden in (f"SELECT * WHERE {{ ?s ?p ?o.SERVICE <http://127.0.0.1:{port}/> {{ }} }}",
                   f"PREFIX e: <http://127.0.0.1:{port}/> SELECT * WHERE {{ SERVICEe:sparql {{ }} }}"):
        assert_one_clear_line(run_whytag("query", hidden, store=ingested), "SERVICE", "--allow-service")


def test_parse_errors_point_into_the_users_text(ingested):
    line = assert_one_clear_line(run_whytag("query", "SELECT * WHERE {\n  ?s ?p }", store=ingested))
    assert "at 2:" in line


def test_mistyped_store_is_an_error_not_a_new_empty_graph(tmp_path, ingested):
    typo = tmp_path / "grpah"
    for args in (["query", "ASK {}"], ["explain", "x"], ["export"], ["validate"], ["tag"], ["extract"]):
        assert_one_clear_line(run_whytag(*args, store=typo), "grpah", "no store here")
    assert not typo.exists()
    assert run_whytag("--create", "query", "ASK {}", store=typo).returncode == 0
    assert typo.is_dir()


def test_a_folder_of_other_files_is_not_taken_for_a_store(tmp_path, clips):
    assert_one_clear_line(run_whytag("ingest", str(clips), store=clips), "not a whytag store")
    assert sorted(p.name for p in clips.iterdir()) == ["clip0.wav", "clip1.wav", "clip2.wav"]


def test_unknown_label_rows_are_counted_and_named(tmp_path):
    rng = np.random.default_rng(0)
    ids = [f"row{i}" for i in range(16)]
    features = pd.DataFrame(rng.normal(size=(16, 3)), columns=["bpm", "loudness", "spectral_centroid"], index=ids)
    features.index.name = "id"
    features.to_csv(tmp_path / "features.csv")
    labels = pd.DataFrame({"id": ids + ["ghost1", "ghost2"], "tag": ["a", "b"] * 9})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    store = tmp_path / "graph"
    args = ["learn", "--labels", str(tmp_path / "labels.csv"), "--features", str(tmp_path / "features.csv"),
            "--learner", "boosted"]
    strict = run_whytag(*args, "--strict", store=store)
    assert_one_clear_line(strict, "2 of 18 label rows", "ghost1, ghost2", "--strict")
    relaxed = run_whytag(*args, store=store)
    assert relaxed.returncode == 0, relaxed.stderr
    assert "2 of 18 label rows name no track" in relaxed.stderr and "ghost1, ghost2" in relaxed.stderr
    assert "from 16 tracks" in relaxed.stdout


def test_file_overwritten_in_place_is_claimed_only_by_its_new_track(tmp_path, ingested, clips):
    path = clips / "clip0.wav"
    sf.write(path, chords_clip(2.0, 311.0), RATE)
    again = run_whytag("ingest", "--quiet", str(path), store=ingested)
    assert again.returncode == 0 and "changed since it was ingested" in again.stderr
    rows = run_whytag("query", f'SELECT ?t WHERE {{ ?t mo:available_as/wt:path "{path.resolve()}" }}',
                      "--format", "csv", store=ingested).stdout.split()
    assert len(rows) == 2  # the header and the one track that holds this content now


def test_extract_refuses_a_file_changed_since_ingest(tmp_path, ingested, clips):
    sf.write(clips / "clip1.wav", chords_clip(2.0, 349.0), RATE)
    result = run_whytag("extract", "--quiet", "--groups", "signal", "--workers", "1", store=ingested)
    assert result.returncode == 1
    assert "clip1.wav: the file changed since it was ingested" in result.stderr
    assert "from 2 track(s); 1 failed" in result.stdout
