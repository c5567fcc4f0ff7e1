"""`whytag eval` on a dataset: its audio goes through the store and its test part is tagged there."""

from __future__ import annotations

import json

from cli_run import whytag


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
    tracks = whytag("query", "--format", "csv", "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }",
                    store=tmp_path / "graph")
    assert tracks.stdout.split() == ["n", "20"]  # the audio went through the store
    assert "tagged the 4 test tracks in the store" in result.stderr
    from whytag.datasets import open_dataset

    test_clip = tmp_path / "collection" / open_dataset("csv", tmp_path / "collection").split("test")[0]
    explained = whytag("explain", str(test_clip), store=tmp_path / "graph").stdout
    assert "predicted)" in explained and "feature reason" in explained and "of the reasons' weight" in explained


def test_metrics_json_into_a_missing_folder_is_refused_before_fitting(tmp_path):
    """It was an internal error (FileNotFoundError, exit 70) once every learner had been fitted."""
    table = tmp_path / "table.csv"
    table.write_text("id,BPM,fast\n" + "".join(f"t{i},{60 + 10 * i},{int(i >= 6)}\n" for i in range(12)))
    target = tmp_path / "missing" / "m.json"
    result = whytag("eval", "--features", str(table), "--label-columns", "fast", "--learners", "boosted",
                    "--metrics-json", str(target), check=False)
    assert result.returncode == 2 and "fitting" not in result.stderr
    assert f"{target}: cannot write there ({target.parent} is not a folder)" in result.stderr
