"""`whytag demo`: the whole pipeline offline."""

from __future__ import annotations

from cli_run import whytag


def test_demo_runs_the_whole_pipeline_offline(tmp_path):
    out = whytag("demo", "--out", str(tmp_path / "demo"), "--clips", "8").stdout
    assert "ingested 8 tracks" in out and "→ 8" in out
    assert "extracted 592 feature values" in out  # 74 per clip: 42 signal + 32 symbolic
    assert "tagged 8 tracks inside the store" in out
    assert "= base rate" in out and "of the reasons' weight" in out  # per-feature reasons read from the graph
    assert "tempo" in out and " BPM" in out  # the energetic clip's reasons name its own cause, in the ontology's words
    assert "tag --model genres (shipped" in out and "tag --model moods (shipped" in out  # no labels needed
    assert "SHACL validation: conforms" in out
    assert (tmp_path / "demo" / "graph.ttl").stat().st_size > 10_000
    steps = [line.split(".", 1)[0] for line in out.splitlines() if line[:1].isdigit()]
    assert steps == [str(n) for n in range(1, 11)]  # each step its own number (both shipped sets were "7.")
