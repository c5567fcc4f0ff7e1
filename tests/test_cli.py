"""The `whytag` command end to end, run as a user runs it (a real subprocess, a real store)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rdflib import Dataset, Graph


def whytag(*args: str, store=None, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "whytag"] + (["--store", str(store)] if store else []) + list(args)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def ingested(tmp_path, audio_folder):
    store = tmp_path / "graph"
    result = whytag("ingest", "--quiet", str(audio_folder), store=store, check=False)
    return store, result


def test_every_command_has_help():
    for command in ["ingest", "extract", "query", "validate", "export", "learn", "tag", "explain", "eval", "demo",
                    "train midlevel"]:
        out = whytag(*command.split(), "--help").stdout
        assert "Usage:" in out and "--help" in out


def test_ingest_names_bad_files_and_keeps_good_ones(ingested):
    store, result = ingested
    assert result.returncode == 1  # some files failed: scripts can tell
    assert "ingested 3 file(s) as 3 track(s); 2 failed" in result.stdout
    failed = [line for line in result.stderr.splitlines() if line.strip().startswith("failed:")]
    assert len(failed) == 2
    assert any("empty.wav: empty file" in line for line in failed)
    assert any("notes.mp3:" in line for line in failed)


def test_query_counts_tracks_in_every_format(ingested, tmp_path):
    store, _ = ingested
    sparql = "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }"
    assert json.loads(whytag("query", sparql, "--format", "json", store=store).stdout) == [{"n": 3}]
    assert whytag("query", sparql, "--format", "csv", store=store).stdout.splitlines() == ["n", "3"]
    table = whytag("query", sparql, store=store).stdout
    assert "3" in table and "(1 row)" in table
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT ?fmt WHERE { ?f wt:format ?fmt } ORDER BY ?fmt")
    assert whytag("query", "--file", str(query_file), "--format", "csv", store=store).stdout.split() == [
        "fmt", "flac", "ogg", "wav"]


def test_bad_query_is_one_clear_line(ingested):
    store, _ = ingested
    result = whytag("query", "SELECT WHERE {", store=store, check=False)
    assert result.returncode != 0 and "query failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_and_export(ingested, tmp_path):
    store, _ = ingested
    assert "conforms" in whytag("validate", store=store).stdout
    turtle = Graph().parse(data=whytag("export", "--format", "turtle", store=store).stdout, format="turtle")
    nt = Graph().parse(data=whytag("export", "--format", "ntriples", store=store).stdout, format="nt")
    jsonld = Dataset()
    jsonld.parse(data=whytag("export", "--format", "jsonld", store=store).stdout, format="json-ld")
    assert len(turtle) == len(nt) == len(list(jsonld.quads())) > 20  # JSON-LD keeps the named graphs
    out = tmp_path / "all.nq"
    whytag("export", "--format", "nquads", "-o", str(out), store=store)
    quads = Dataset()
    quads.parse(out, format="nquads")
    assert len({g for *_, g in quads.quads()}) == 3  # one graph per track, schema left out
    trig = Dataset()
    trig.parse(data=whytag("export", "--format", "trig", store=store).stdout, format="trig")
    assert set(trig.quads()) == set(quads.quads())  # streamed graph by graph, the same quads


def test_demo_runs_the_whole_pipeline_offline(tmp_path):
    out = whytag("demo", "--out", str(tmp_path / "demo"), "--clips", "8").stdout
    assert "ingested 8 tracks" in out and "→ 8" in out
    assert "extracted 592 feature values" in out  # 74 per clip: 42 signal + 32 symbolic
    assert "tagged 8 tracks inside the store" in out
    assert "= base rate" in out and "of the reasons' weight" in out  # per-feature reasons read from the graph
    assert "tempo" in out and " BPM" in out  # the energetic clip's reasons name its own cause, in the ontology's words
    assert "SHACL validation: conforms" in out
    assert (tmp_path / "demo" / "graph.ttl").stat().st_size > 10_000


def test_ingest_extract_writes_valid_observations(tmp_path, audio_folder):
    from whytag.datasets.demo import demo_clips, synthesize

    import soundfile as sf

    clip = demo_clips(2)[0]
    sf.write(audio_folder / "demo.wav", synthesize(clip, seconds=6.0), 22050)
    store = tmp_path / "graph"
    result = whytag("ingest", "--quiet", "--extract", "--workers", "1", str(audio_folder), store=store, check=False)
    assert result.returncode == 1  # the two bad files are still reported
    assert "extracted" in result.stdout and "from 4 track(s); 0 failed" in result.stdout
    assert "notes.mp3: not decodable audio (unrecognised format or corrupt data)" in result.stderr
    rows = json.loads(whytag("query", "--format", "json", store=store, *[
        "SELECT ?bpm ?dom WHERE { GRAPH ?g { ?o wt:feature wt:BPM ; wt:value ?bpm . "
        "?d wt:feature wt:Dom ; wt:value ?dom } }"]).stdout)
    assert len(rows) == 4
    assert any(abs(r["bpm"] - clip.bpm) < 3 for r in rows)
    assert all(0.0 <= r["dom"] <= 1.0 for r in rows)
    assert "conforms" in whytag("validate", store=store).stdout


def test_eval_on_a_dataset_extracts_its_audio_and_writes_a_report(tmp_path):
    from whytag.datasets.demo import write_demo

    write_demo(tmp_path / "collection", n=20, seconds=5.0)
    metrics = tmp_path / "metrics.json"
    result = whytag("eval", "csv", "--root", str(tmp_path / "collection"), "--learners", "boosted,dl",
                    "--metrics-json", str(metrics), "--report", str(tmp_path / "report"), store=tmp_path / "graph")
    scores = json.loads(metrics.read_text())
    assert set(scores) >= {"boosted", "dl", "logistic-regression"}
    assert scores["boosted"]["roc_auc"] > 0.9  # the demo's moods follow tempo, mode and brightness
    report = (tmp_path / "report" / "report.md").read_text()
    assert "boosted" in report and "| dl" in report
    assert "report:" in result.stderr
    tracks = whytag("query", "--format", "csv", "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }", store=tmp_path / "graph")
    assert tracks.stdout.split() == ["n", "20"]  # the audio went through the store
    assert "tagged the 4 test tracks in the store" in result.stderr
    from whytag.datasets import open_dataset

    test_clip = tmp_path / "collection" / open_dataset("csv", tmp_path / "collection").split("test")[0]
    explained = whytag("explain", str(test_clip), store=tmp_path / "graph").stdout
    assert "predicted)" in explained and "feature reason" in explained and "of the reasons' weight" in explained


def test_learn_and_tag_errors_are_one_clear_line(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("id,BPM,Spectral-Centroid,fast\n" + "".join(
        f"t{i},{60 + 10 * i},{500 + 50 * i},{int(i >= 6)}\n" for i in range(12)))
    store = tmp_path / "graph"
    same = whytag("learn", "--features", str(table), "--labels", str(table), store=store, check=False)
    assert same.returncode != 0 and "name its --label-columns" in same.stderr
    unknown = whytag("learn", "--features", str(table), "--labels", str(table), "--label-columns", "fast",
                     "--learner", "oracle", store=store, check=False)
    assert unknown.returncode != 0 and "unknown learner 'oracle'" in unknown.stderr
    missing = whytag("tag", "--model", "nothing", store=store, check=False)
    assert missing.returncode != 0 and "no model named 'nothing'" in missing.stderr
    for result in (same, unknown, missing):
        assert "Traceback" not in result.stderr
    ok = whytag("learn", "--features", str(table), "--labels", str(table), "--label-columns", "fast",
                "--learner", "ripper", store=store)
    assert "(ripper, multi-label) from 12 tracks" in ok.stdout  # one 0/1 column is a multi-label tag


def test_query_renders_iris_of_every_namespace(ingested):
    store, _ = ingested
    sparql = ('SELECT DISTINCT ?type WHERE { GRAPH ?g { ?s a ?type } FILTER(STRSTARTS(STR(?s), "urn:whytag:track")) } '
              "ORDER BY ?type")
    table = whytag("query", sparql, store=store).stdout
    assert "wt:AudioFile" in table and "wt:Track" in table
    lines = whytag("query", sparql, "--format", "csv", store=store).stdout.split("\n")
    assert lines[:3] == ["type", "https://w3id.org/whytag/ontology#AudioFile", "https://w3id.org/whytag/ontology#Track"]
    classes = whytag("query", "SELECT ?c WHERE { GRAPH ?g { ?c a owl:Class } } LIMIT 3", store=store).stdout
    assert "(3 rows)" in classes  # rdf:/owl: IRIs (DefinedNamespaces) print too


def test_catalog_commands_tag_in_batches_and_validate_by_sample(tmp_path):
    """learn --features, tag in small batches, then validate a sample and re-derive tags in the store."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    table = pd.DataFrame({"BPM": rng.uniform(60, 180, 80), "Spectral-Centroid": rng.uniform(500, 4000, 80)},
                         index=pd.Index([f"r{i}" for i in range(80)], name="id"))
    table["tag"] = np.where(table["BPM"] > 120, "fast", "slow")
    path = tmp_path / "catalog.csv"
    table.to_csv(path)
    store = tmp_path / "graph"
    whytag("learn", "--labels", str(path), "--features", str(path), "--label-columns", "tag", store=store)
    tagged = whytag("tag", "--batch", "7", "--quiet", store=store).stdout
    assert "tagged 80 tracks" in tagged and "160 scored assignments, 80 predicted" in tagged
    checked = whytag("validate", "--sample", "3", "--rederive", "25", store=store).stdout
    assert "re-derived 25 predicted tag(s) in the store: 25 agree" in checked
    assert "conforms: no SHACL violations in 3 sampled track(s) and the models" in checked
    track = "urn:whytag:track/catalog/r3"
    one = Graph().parse(data=whytag("export", "--graph", track, "--format", "turtle", store=store).stdout,
                        format="turtle")
    # the track (3), its levels (3: BPM has a music-knowledge level too), the extraction (6, its version
    # included) and three triples per observation (2); what the extractor is and measures is said once
    assert len(one) == 3 + 3 + 6 + 2 * 3
