"""SignalExtractor on generated audio with known answers, bad inputs, and real recorded music."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import essentia.standard as es
import numpy as np
import pytest
import soundfile as sf

from whytag.extractors import signal
from whytag.extractors.audio import load
from whytag.extractors.base import Audio
from whytag.extractors.batch import extract_file, extract_many
from whytag.extractors.signal import FEATURE_DESCRIPTIONS, FEATURE_UNITS, SignalExtractor

RATE = signal.SAMPLE_RATE
PAPER_FEATURES = [
    "Danceability", "Loudness", "Chords-Changes-Rate", "Dynamic-Complexity", "Zerocrossingrate",
    "Chords-Number-Rate", "Pitch-Salience", "Spectral-Centroid", "Spectral-Complexity", "Spectral-Decrease",
    "Spectral-Energyband-High", "Spectral-Energyband-Low", "Spectral-Energyband-Middle-High",
    "Spectral-Energyband-Middle-Low", "Spectral-Entropy", "Spectral-Flux", "Spectral-Rolloff", "Spectral-Spread",
    "Onset-Rate", "Length", "BPM", "Beats-Loud",
]
GTZAN_TABLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "gtzan_perceptual_features.csv"
SINGULARITY = Path("/usr/share/games/singularity/music")


def _tone(freq: float, seconds: float, harmonics: int = 6, decay: float = 0.7) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return sum(decay**h * np.sin(2 * np.pi * freq * (h + 1) * t) for h in range(harmonics))


def _chord(midi_notes: list[int], seconds: float) -> np.ndarray:
    wave = sum(_tone(440.0 * 2 ** ((m - 69) / 12), seconds) for m in midi_notes)
    envelope = np.minimum(1.0, np.arange(len(wave)) / (0.01 * RATE)) * np.exp(-np.arange(len(wave)) / (1.5 * RATE))
    return wave * envelope


def _audio(samples: np.ndarray, peak: float = 0.5, rate: int = RATE) -> Audio:
    samples = np.asarray(samples, dtype=np.float64)
    return Audio((peak * samples / max(np.abs(samples).max(), 1e-12)).astype(np.float32), rate, "generated")


def _clicks(bpm: float, seconds: float) -> np.ndarray:
    out = np.zeros(int(seconds * RATE))
    burst = np.random.default_rng(1).standard_normal(int(0.01 * RATE)) * np.exp(-np.arange(int(0.01 * RATE)) / 60)
    for start in np.arange(0, seconds - 0.02, 60.0 / bpm):
        i = int(start * RATE)
        out[i:i + len(burst)] += burst
    return out


def _c_major_loop() -> np.ndarray:
    progression = [[48, 60, 64, 67], [53, 60, 65, 69], [55, 59, 62, 67], [48, 60, 64, 67]]  # I IV V I
    return np.concatenate([_chord(notes, 1.0) for notes in progression] * 4)


@pytest.fixture(scope="module")
def extractor() -> SignalExtractor:
    return SignalExtractor()


def _check_complete(values: dict[str, float]) -> None:
    assert list(values) == list(FEATURE_UNITS)
    assert all(math.isfinite(v) for v in values.values())


def test_metadata_covers_every_feature() -> None:
    assert set(FEATURE_DESCRIPTIONS) == set(FEATURE_UNITS)
    assert set(PAPER_FEATURES) <= set(FEATURE_UNITS)
    assert FEATURE_UNITS["BPM"] == "PER-MIN" and FEATURE_UNITS["Spectral-Centroid"] == "HZ"
    assert "essentia" in SignalExtractor.version


def test_click_track_tempo(extractor: SignalExtractor) -> None:
    features = extractor.extract(_audio(_clicks(120, 20)))
    values = features.as_dict()
    _check_complete(values)
    assert abs(values["BPM"] - 120) <= 2
    assert values["Beat-Interval-Regularity"] > 0.9
    assert abs(values["Length"] - 20) < 0.01
    assert all(v.group == "signal" and v.unit == FEATURE_UNITS[v.name] for v in features.values)


def test_c_major_loop_key(extractor: SignalExtractor) -> None:
    features = extractor.extract(_audio(_c_major_loop()))
    values = features.as_dict()
    assert (features.extras["key"], features.extras["scale"]) == ("C", "major")
    assert values["Key"] == 0 and values["Scale-Major"] == 1
    assert abs(values["Tuning-Frequency"] - 440) < 5


def test_gain_raises_integrated_loudness_not_relative_loudness(extractor: SignalExtractor) -> None:
    """Integrated-Loudness follows the gain; Loudness (MusicExtractor's average_loudness) is relative to the
    track's own peak level and energies are ReplayGain-normalised, so a gain leaves both unchanged."""
    music = _c_major_loop()
    quiet, loud = (extractor.extract(_audio(music, peak)).as_dict() for peak in (0.1, 0.8))
    assert loud["Integrated-Loudness"] - quiet["Integrated-Loudness"] == pytest.approx(20 * math.log10(8), abs=0.2)
    assert loud["Loudness"] == pytest.approx(quiet["Loudness"], abs=0.02)
    assert loud["Spectral-Energyband-Low"] == pytest.approx(quiet["Spectral-Energyband-Low"], rel=0.02)


def test_brighter_tone_has_higher_centroid(extractor: SignalExtractor) -> None:
    dull = extractor.extract(_audio(_tone(220, 5, harmonics=2, decay=0.3))).as_dict()
    bright = extractor.extract(_audio(_tone(220, 5, harmonics=30, decay=0.95))).as_dict()
    assert bright["Spectral-Centroid"] > dull["Spectral-Centroid"] + 300
    assert bright["Spectral-Rolloff"] > dull["Spectral-Rolloff"]


def test_vectorised_descriptors_match_essentia() -> None:
    """The NumPy formulas reproduce Essentia's per-frame algorithms on real-ish spectra."""
    x = (_c_major_loop()[:RATE * 2] * 0.3 + 0.01 * np.random.default_rng(2).standard_normal(RATE * 2))
    frames = np.array(signal._framed(x.astype(np.float32), 2048, 1024)[5:25])
    mag = signal._magnitudes(frames, signal._kernels().window)
    reference = [es.Spectrum()(es.Windowing(type="blackmanharris62")(f)) for f in frames]
    np.testing.assert_allclose(mag, reference, rtol=1e-3, atol=1e-6)
    power = mag**2
    half = RATE / 2
    checks = {
        "centroid": (signal._centroid(power), lambda m: es.Centroid(range=half)(m**2)),
        "spread": (signal._spread(mag), lambda m: es.DistributionShape()(es.CentralMoments(range=half)(m))[0]),
        "entropy": (signal._entropy(mag), es.Entropy()),
        "decrease": (signal._decrease(power), lambda m: es.Decrease(range=half)(m**2)),
        "rolloff": (signal._rolloff(power), es.RollOff()),
        "band": (signal._band_energy(power, 150, 800), es.EnergyBand(startCutoffFrequency=150, stopCutoffFrequency=800)),
        "complexity": (signal._complexity(mag), es.SpectralComplexity(magnitudeThreshold=0.005)),
        "salience": (signal._pitch_salience(mag), es.PitchSalience()),
        "mfcc": (signal._mfcc(power, signal._kernels()), lambda m: es.MFCC(numberBands=40)(m)[1]),
    }
    for name, (mine, algorithm) in checks.items():
        expected = np.array([algorithm(np.ascontiguousarray(m)) for m in mag])
        np.testing.assert_allclose(mine, expected, rtol=2e-3, atol=1e-3 * np.abs(expected).max(), err_msg=name)
    flux = es.Flux()
    expected_flux = [flux(np.ascontiguousarray(m)) for m in mag]
    np.testing.assert_allclose(signal._flux(mag, np.zeros(mag.shape[1], np.float32)), expected_flux, rtol=2e-3)
    zcr = es.ZeroCrossingRate()
    np.testing.assert_allclose(signal._zero_crossing_rate(frames), [zcr(f) for f in frames], rtol=1e-6)


def test_silence_gives_sane_values(extractor: SignalExtractor) -> None:
    values = extractor.extract(Audio(np.zeros(RATE * 5, np.float32), RATE, "silence")).as_dict()
    _check_complete(values)
    assert values["BPM"] == 0 and values["Beats-Loud"] == 0 and values["Onset-Rate"] == 0
    assert values["Integrated-Loudness"] == signal.SILENT_LUFS


def test_clipped_noise_is_finite(extractor: SignalExtractor) -> None:
    noise = np.clip(4 * np.random.default_rng(3).standard_normal(RATE * 5), -1, 1)
    values = extractor.extract(Audio(noise.astype(np.float32), RATE, "noise")).as_dict()
    _check_complete(values)
    assert values["Spectral-Centroid"] > 3000


def test_short_clip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "blip.wav"
    sf.write(path, 0.1 * np.ones(int(0.2 * RATE), np.float32), RATE)
    _, features, error = extract_file(str(path))
    assert features is None and error.startswith(str(path)) and "too short" in error


def test_multichannel_and_high_rate_files(tmp_path: Path, extractor: SignalExtractor) -> None:
    music = _c_major_loop()[:RATE * 4]
    eight = tmp_path / "eight.wav"
    sf.write(eight, np.tile(0.3 * music[:, None] / np.abs(music).max(), (1, 8)), RATE)
    hi_rate = tmp_path / "hi.wav"
    sf.write(hi_rate, 0.3 * signal.resample(music.astype(np.float32), RATE, 96000) / np.abs(music).max(), 96000)
    for path in (eight, hi_rate):
        _, features, error = extract_file(str(path))
        assert error is None
        values = features[0].as_dict()
        _check_complete(values)
        assert values["Length"] == pytest.approx(4.0, abs=0.01)


def test_batch_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, 0.3 * _clicks(100, 6), RATE)
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    results = {path: (features, error) for path, features, error in
               extract_many([good, corrupt, tmp_path / "missing.wav"], workers=2, progress=False)}
    assert results[str(good)][1] is None and results[str(good)][0][0].as_dict()["BPM"] > 0
    for bad in (corrupt, tmp_path / "missing.wav"):
        features, error = results[str(bad)]
        assert features is None and error.startswith(f"{bad}: ")


def _gtzan_ranges() -> dict[str, tuple[float, float]]:
    with open(GTZAN_TABLE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    ranges = {}
    for name in PAPER_FEATURES:
        column = [float(row[name]) for row in rows]
        low, high = min(column), max(column)
        margin = high - low  # real tracks outside GTZAN's 30 s clips: widen by the column's own range
        ranges[name] = (low - margin, high + margin)
    return ranges


@pytest.mark.skipif(not SINGULARITY.is_dir(), reason="Debian package singularity-music not installed "
                    "(tests/system-deps.sh installs it)")
def test_real_music_within_gtzan_ranges(extractor: SignalExtractor) -> None:
    tracks = [SINGULARITY / "lose" / "Chimes They Fade.ogg", SINGULARITY / "lose" / "March Thee to Dis.ogg"]
    ranges = _gtzan_ranges() if GTZAN_TABLE.is_file() else {}
    for track in tracks:
        audio = load(track)
        features = extractor.extract(audio)
        values = features.as_dict()
        _check_complete(values)
        assert 40 <= values["BPM"] <= 250
        assert features.extras["key"] in signal.PITCH_CLASSES and features.extras["scale"] in ("major", "minor")
        assert values["Length"] == pytest.approx(audio.duration, abs=0.05)
        for name, (low, high) in ranges.items():
            if name != "Length":  # GTZAN clips are all 30 s
                assert low <= values[name] <= high, f"{track.name}: {name}={values[name]} outside {low}..{high}"
