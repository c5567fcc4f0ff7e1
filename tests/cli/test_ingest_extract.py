"""`whytag ingest` and `whytag extract` end to end."""

from __future__ import annotations

import json

from cli_run import whytag


def test_ingest_names_bad_files_and_keeps_good_ones(ingested):
    store, result = ingested
    assert result.returncode == 1  # some files failed: scripts can tell
    assert "ingested 3 file(s) as 3 track(s); 2 failed" in result.stdout
    failed = [line for line in result.stderr.splitlines() if line.strip().startswith("failed:")]
    assert len(failed) == 2
    assert any("empty.wav: empty file" in line for line in failed)
    assert any("notes.mp3:" in line for line in failed)


def test_ingest_extract_writes_valid_observations(tmp_path, audio_folder):
    import soundfile as sf

    from whytag.datasets.demo import demo_clips, synthesize

    clip = demo_clips(2)[0]
    sf.write(audio_folder / "demo.wav", synthesize(clip, seconds=6.0), 22050)
    store = tmp_path / "graph"
    result = whytag("ingest", "--quiet", "--extract", "--workers", "1", str(audio_folder), store=store, check=False)
    assert result.returncode == 1  # the two bad files are still reported
    assert "extracted" in result.stdout and "from 4 track(s); 0 failed" in result.stdout
    assert "notes.mp3: not decodable audio (unrecognised format or corrupt data)" in result.stderr
    rows = json.loads(whytag("query", "--format", "json",
                             "SELECT ?bpm ?dom WHERE { GRAPH ?g { ?t wt:bpm ?bpm ; wt:dom ?dom } }",
                             store=store).stdout)
    assert len(rows) == 4
    assert any(abs(r["bpm"] - clip.bpm) < 3 for r in rows)
    assert all(0.0 <= r["dom"] <= 1.0 for r in rows)
    assert "conforms" in whytag("validate", store=store).stdout
