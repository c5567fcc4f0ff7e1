"""The dnn group: mid-level training on a generated dataset in the published layout, optional networks."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from whytag.extractors import dnn
from whytag.extractors.base import Audio

torch = pytest.importorskip("torch", reason="torch is not installed (extra `dnn`)")
midlevel = pytest.importorskip("whytag.extractors.midlevel")

RATE = 22050
HEADER = "song_id,melody,articulation,rhythm_complexity,rhythm_stability,dissonance,tonal_stability,minorness"


def clip(minor: bool, regular: bool, staccato: bool, seconds: float = 4.0, seed: int = 0) -> np.ndarray:
    """A triad arpeggio (major or minor) over clicks (regular or jittered), notes short or held."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    x = np.zeros_like(t)
    for k, start in enumerate(np.arange(0.0, seconds, 0.25)):
        pitch = 57 + (0, 3 if minor else 4, 7)[k % 3]
        length = 0.06 if staccato else 0.25
        on = (t >= start) & (t < start + length)
        x[on] += 0.2 * np.sin(2 * np.pi * 440 * 2 ** ((pitch - 69) / 12) * (t[on] - start))
    beats = np.arange(0.0, seconds, 0.5) + (0 if regular else rng.uniform(-0.15, 0.15, int(seconds * 2)))
    for beat in beats[(beats >= 0) & (beats < seconds - 0.01)]:
        i = int(beat * RATE)
        x[i:i + 200] += 0.5 * rng.standard_normal(len(x[i:i + 200])) * np.exp(-np.arange(len(x[i:i + 200])) / 40)
    return np.clip(x, -1, 1).astype(np.float32)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """12 mp3 clips in the published layout; ratings (1..10) are functions of how each clip was made."""
    root = tmp_path_factory.mktemp("midlevel")
    (root / "audio").mkdir()
    (root / "metadata_annotations").mkdir()
    lines, meta = [HEADER], ["song id;Artist"]
    for song in range(1, 13):
        minor, regular, staccato = song % 2 == 0, song % 3 != 0, song % 4 < 2
        sf.write(root / "audio" / f"{song}.mp3", clip(minor, regular, staccato, seed=song), RATE)
        ratings = [8 - 4 * staccato, 2 + 6 * staccato, 3 + 5 * (not regular), 2 + 7 * regular, 4 + minor,
                   7 - minor, 2 + 7 * minor]
        lines.append(",".join(map(str, [song, *ratings])))
        meta.append(f"{song};artist{song % 6}")
    (root / "metadata_annotations" / "annotations.csv").write_text("\n".join(lines) + "\n")
    (root / "metadata_annotations" / "metadata.csv").write_text("\n".join(meta) + "\n")
    return root


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory) -> tuple[object, Path]:
    out = tmp_path_factory.mktemp("weights") / "midlevel.pt"
    report = midlevel.train_midlevel(dataset, out, epochs=4, batch_size=4, patience=10,
                                     validation_fraction=0.25, progress=False)
    return report, out


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the 'warn once per process' registry empty."""
    monkeypatch.setattr(dnn, "_WARNED", set())


def test_training_loss_falls_and_weights_are_small(trained, capsys):
    report, out = trained
    assert report.train_loss[-1] < report.train_loss[0]
    assert out.stat().st_size < 5_000_000
    assert set(report.pearson) == set(midlevel.FEATURE_NAMES)


def test_split_keeps_each_artist_on_one_side(dataset):
    data = midlevel.read_dataset(dataset)
    train, held = midlevel.split_by_artist(data.artists, 0.25, seed=0)
    assert len(train) + len(held) == 12 and len(held) >= 2
    assert not {data.artists[i] for i in train} & {data.artists[i] for i in held}


def test_extractor_loads_weights_and_outputs_seven_ratings(trained):
    _, out = trained
    features = dnn.DnnExtractor(out, transcription=False, vocal=False).extract(
        Audio(clip(True, True, False, seconds=20.0), RATE))
    values = features.as_dict()
    assert set(values) == set(midlevel.FEATURE_NAMES)
    assert all(0.0 <= v <= 1.0 for v in values.values())
    assert {v.group for v in features.values} == {"dnn"} and features.extractor == "whytag.dnn"


def test_without_weights_the_ratings_are_absent_with_one_warning(tmp_path):
    extractor = dnn.DnnExtractor(tmp_path / "none.pt", transcription=False, vocal=False)
    audio = Audio(clip(False, True, True), RATE)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = extractor.extract(audio), dnn.DnnExtractor(tmp_path / "none.pt", transcription=False,
                                                                   vocal=False).extract(audio)
    assert first.values == [] and second.values == []
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "whytag train midlevel" in messages[0]


def test_dataset_errors_say_what_is_missing(tmp_path, dataset):
    with pytest.raises(midlevel.DatasetError, match="metadata_annotations/annotations.csv"):
        midlevel.read_dataset(tmp_path)
    (tmp_path / "annotations.csv").write_text("song_id,melody,articulation\n1,2,3\n")
    with pytest.raises(midlevel.DatasetError, match="rhythm_complexity"):
        midlevel.read_dataset(tmp_path)
    (tmp_path / "annotations.csv").write_text((dataset / "metadata_annotations" / "annotations.csv").read_text())
    with pytest.raises(midlevel.DatasetError, match="audio file"):
        midlevel.read_dataset(tmp_path)


def test_note_statistics():
    notes = np.array([[0, 86, 60], [0, 86, 64], [86, 172, 67], [172, 258, 72]])
    stats = dnn.note_statistics(notes, duration=3.0)
    assert stats["Note-Density"] == pytest.approx(4 / 3)
    assert stats["Polyphony"] == pytest.approx((2 * 86 + 86 + 86) / 258)
    assert 9 < stats["Melodic-Range"] <= 12
    assert dnn.note_statistics(np.zeros((0, 3), np.int64), 3.0)["Note-Density"] == 0.0


@pytest.mark.parametrize(("module", "extra", "kwargs"), [
    ("onnxruntime", "whytag[transcribe]", {"midlevel": False, "vocal": False}),
    ("tensorflow", "whytag[musicnn]", {"midlevel": False, "transcription": False}),
])
def test_a_missing_extra_drops_its_features_and_names_the_extra(monkeypatch, module, extra, kwargs):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.warns(RuntimeWarning, match=extra.replace("[", r"\[").replace("]", r"\]")):
        features = dnn.DnnExtractor(**kwargs).extract(Audio(clip(False, True, True), RATE))
    assert features.values == []


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None or dnn.basic_pitch_model_path() is None,
                    reason="onnxruntime or basic-pitch's model not installed (extra `transcribe`)")
def test_basic_pitch_transcribes_an_arpeggio():
    t = np.arange(int(0.5 * RATE)) / RATE
    x = np.concatenate([0.3 * np.exp(-3 * t) * sum(np.sin(2 * np.pi * k * 440 * 2 ** ((m - 69) / 12) * t) / k
                                                    for k in (1, 2, 3))
                        for m in (60, 64, 67, 72) * 2]).astype(np.float32)
    values = dnn.DnnExtractor(midlevel=False, vocal=False).extract(Audio(x, RATE)).as_dict()
    assert {"Melodic-Range", "Note-Density", "Polyphony"} == set(values)
    assert values["Melodic-Range"] >= 10 and 1.5 <= values["Note-Density"] <= 6 and values["Polyphony"] >= 1


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("musicnn") is None,
                    reason="tensorflow or musicnn not installed (extra `musicnn`)")
def test_musicnn_vocal_evidence_is_low_for_clicks_and_tones():
    values = dnn.DnnExtractor(midlevel=False, transcription=False).extract(
        Audio(clip(False, True, True, seconds=6.0), RATE)).as_dict()
    assert 0.0 <= values["Vocal-Instrumental"] < 0.5
