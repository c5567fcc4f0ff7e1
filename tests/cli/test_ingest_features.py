"""`whytag ingest --features`: tracks from a feature table or MusicExtractor / AcousticBrainz JSON, no audio."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_run import whytag

from whytag.kg.feature_files import flat_descriptors
from whytag.kg.features import feature_node

RECORDING = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"
VALUES = ("SELECT ?track ?feature ?value WHERE { GRAPH ?track { ?track ?feature ?value } "
          "GRAPH ?s { ?feature a wt:Feature } }")


@pytest.fixture(scope="module")
def music_extractor_json(tmp_path_factory) -> dict:
    """MusicExtractor's JSON for a 5-s tone in noise, as its own writer makes it, with a recording id added."""
    import soundfile as sf

    from whytag.extractors.essentia_quiet import es

    folder = tmp_path_factory.mktemp("clip")
    rate, t = 44100, np.arange(5 * 44100) / 44100
    noise = np.random.default_rng(0).standard_normal(t.size)
    sf.write(folder / "clip.wav", (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * noise).astype("float32"), rate)
    results, _ = es.MusicExtractor()(str(folder / "clip.wav"))
    es.YamlOutput(filename=str(folder / "clip.json"), format="json")(results)
    data = json.loads((folder / "clip.json").read_text())
    data["metadata"]["tags"]["musicbrainz_recordingid"] = [RECORDING.upper()]  # AcousticBrainz: lists of strings
    return data


def test_table_columns_recorded_and_unknown_ones_named(tmp_path):
    table = tmp_path / "catalog.csv"
    table.write_text("id,BPM,Spectral-Centroid,mood\nx,120,1500.5,happy\ny,90,,sad\n")
    result = whytag("ingest", "--features", str(table), store=tmp_path / "graph")
    assert "recorded 2 track(s)" in result.stdout
    assert "1 unknown column(s) not recorded: mood" in result.stderr
    rows = json.loads(whytag("query", "--format", "json", VALUES, store=tmp_path / "graph").stdout)
    values = {(r["track"].rsplit("/", 1)[-1], r["feature"]): r["value"] for r in rows}
    assert values == {("x", str(feature_node("BPM"))): 120.0, ("x", str(feature_node("Spectral-Centroid"))): 1500.5,
                      ("y", str(feature_node("BPM"))): 90.0}  # y's empty Spectral-Centroid is simply absent
    nothing = whytag("extract", "--quiet", store=tmp_path / "graph", check=False)  # was "extracted 0 …", exit 0
    assert nothing.returncode == 1 and "no track has an audio file to extract from (run `whytag" in nothing.stderr


def test_music_extractor_folder_values_equal_the_json_and_bad_files_are_named(tmp_path, music_extractor_json):
    from whytag.extractors.signal import music_extractor_features

    folder = tmp_path / "dump"
    (folder / "ab").mkdir(parents=True)
    (folder / "ab" / f"{RECORDING}-0.json").write_text(json.dumps(music_extractor_json))
    (folder / "broken.json").write_text("{not json")
    store = tmp_path / "graph"
    result = whytag("ingest", "--features", str(folder), store=store, check=False)
    assert result.returncode == 1
    assert "recorded 1 track(s)" in result.stdout and "1 file(s) failed" in result.stdout
    assert f"failed: {folder / 'broken.json'}: not JSON" in result.stderr
    rows = json.loads(whytag("query", "--format", "json", VALUES, store=store).stdout)
    assert {r["track"] for r in rows} == {f"urn:whytag:track/musicbrainz-{RECORDING}"}
    expected = music_extractor_features(flat_descriptors(music_extractor_json))
    assert len(expected) > 30
    stored = {r["feature"]: r["value"] for r in rows}
    assert stored == pytest.approx({str(feature_node(name)): value for name, value in expected.items()}, rel=1e-12)
    ids = json.loads(whytag("query", "--format", "json", "SELECT ?id WHERE { GRAPH ?g { ?t mo:musicbrainz_guid ?id } }",
                            store=store).stdout)
    assert ids == [{"id": RECORDING}]
    alone = whytag("ingest", "--features", str(folder / "broken.json"), store=store, check=False)
    assert alone.returncode != 0
    assert alone.stderr.strip().splitlines()[-1].endswith(f"{folder / 'broken.json'}: not JSON "
                                                          "(Expecting property name enclosed in double quotes: "
                                                          "line 1 column 2 (char 1))")
