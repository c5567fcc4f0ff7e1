"""Signal-processing features with Essentia: the 22 signal features of Lyberatos et al. 2025, and more.

The 22 paper features keep the names and meanings of Essentia's MusicExtractor descriptors (means over
frames, same frame sizes, windows and parameters) so values are comparable with the GTZAN table, but
they are computed from ONE decoded signal in one pass. Where Essentia loops over frames in Python or in
its streaming network, the same algorithm runs here as NumPy over blocks of frames, each checked against
Essentia's own in the tests: the frame-wise spectral descriptors, HPCP (`whytag.extractors.chroma`,
shared with the symbolic extractor), the onset detection functions
and peak picking of OnsetRate and of the Degara beat tracker (whose tempo tracking, TempoTapDegara, is
still Essentia's), TuningFrequency, EBU R128 loudness and Danceability's detrended fluctuation analysis. The
rest (equal-loudness filter, spectral peaks, key, dynamics, beat loudness) are Essentia calls; chord detection is
Essentia's ChordsDetection repeated in NumPy with its float32 arithmetic (`whytag.extractors.chroma`).

Like MusicExtractor, everything but EBU R128 is measured on the signal scaled by its ReplayGain + 6 dB
and clipped, so energies (energy bands, Beats-Loud, Spectral-Flux, Spectral-Decrease) are
loudness-normalised. Where MusicExtractor's pipeline has quirks that move the paper's features (its
decoder and resampler, the tuning edge peak, float32 filters), they are reproduced and said where;
bench/agreement.py and tests/extractors/test_agreement.py measure the agreement on real recordings.
Undefined values never leave this module: see `_finite` and the per-feature notes in the docstrings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import fft as sfft
from scipy.signal import lfilter
from threadpoolctl import threadpool_limits

from whytag.extractors.audio import finite, resample
from whytag.extractors.base import Audio, FeatureSet, c_library
from whytag.extractors.chroma import (
    BLOCK_FRAMES,
    HPCP_SIZE,
    FramePeaks,
    Peaks,
    chords_detection,
    essentia_window,
    framed_from_start,
    key_and_chord_profiles,
    magnitudes,
    unit_max,
)
from whytag.extractors.essentia_quiet import es, essentia, per_frame

SAMPLE_RATE = 44100  # MusicExtractor's analysis rate; RhythmExtractor2013 and OnsetRate require it
LOWLEVEL_FRAME, LOWLEVEL_HOP = 2048, 1024
TONAL_FRAME, TONAL_HOP = 4096, 2048
ONSET_FRAME, ONSET_HOP = 1024, 512  # OnsetRate's frames
BEAT_FRAME, BEAT_HOP = 2048, 1024  # BeatTrackerDegara's frames
LOUDNESS_FRAME, LOUDNESS_HOP = 88200, 44100
MIN_BPM, MAX_BPM = 40, 208  # MusicExtractor's tempo range
# Samples of frames per vectorised pass (128 frames of 2048, 1 MB as float32): passes over blocks of 2,048 frames
# (16 MB, their spectra as much again) ran from memory, not cache; onset detection took 1.4x as long.
SPECTRUM_SAMPLES = 1 << 18
MIN_DURATION = 0.5  # seconds; shorter clips carry no rhythm or tonality to measure
SILENCE_POWER = 1e-10  # essentia::isSilent: mean power below -100 dB
# FrameCutter(silentFrames="noise") adds uniform noise of amplitude NoiseAdder(level=-100) to silent frames:
# db2pow(-100) = 1e-10, not the 1e-5 "-100 dB" suggests (at 1e-5 a quiet frame became white noise: centroid
# and rolloff 45-75% high on quiet passages).
NOISE_LEVEL = 1e-10
SILENT_LUFS = -70.0  # EBU R128 absolute gate: integrated loudness reported for silence
# The pink-noise calibration of the streaming ReplayGain that MusicExtractor runs, dB; the standard-mode one
# says -31.492595672607422, 0.03 dB lower, which left every energy feature 0.7% low.
REPLAY_GAIN_REFERENCE = -31.462667465209961
MAX_GAIN_DB = 60.0  # cap on the replay-gain boost, so near-silent hiss is not blown up to full scale

PITCH_CLASSES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6,
                 "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}

ENERGY_BANDS = {  # MusicExtractor's spectral_energyband_* cut-offs, Hz (both ends included)
    "Spectral-Energyband-Low": (20.0, 150.0),
    "Spectral-Energyband-Middle-Low": (150.0, 800.0),
    "Spectral-Energyband-Middle-High": (800.0, 4000.0),
    "Spectral-Energyband-High": (4000.0, 20000.0),
}

# The 22 signal features of Lyberatos et al. 2025 (their GTZAN table's columns); the rest are ours.
PAPER_FEATURES = (
    "Danceability", "Loudness", "Chords-Changes-Rate", "Dynamic-Complexity", "Zerocrossingrate",
    "Chords-Number-Rate", "Pitch-Salience", "Spectral-Centroid", "Spectral-Complexity", "Spectral-Decrease",
    "Spectral-Energyband-High", "Spectral-Energyband-Low", "Spectral-Energyband-Middle-High",
    "Spectral-Energyband-Middle-Low", "Spectral-Entropy", "Spectral-Flux", "Spectral-Rolloff", "Spectral-Spread",
    "Onset-Rate", "Length", "BPM", "Beats-Loud",
)

# What the extractor measures, in this order; each feature's unit and meaning are the ontology's (features.ttl).
FEATURES: tuple[str, ...] = (
    "Danceability", "Loudness", "Chords-Changes-Rate", "Dynamic-Complexity", "Zerocrossingrate", "Chords-Number-Rate",
    "Pitch-Salience", "Spectral-Centroid", "Spectral-Complexity", "Spectral-Decrease", "Spectral-Energyband-High",
    "Spectral-Energyband-Low", "Spectral-Energyband-Middle-High", "Spectral-Energyband-Middle-Low", "Spectral-Entropy",
    "Spectral-Flux", "Spectral-Rolloff", "Spectral-Spread", "Onset-Rate", "Length", "BPM", "Beats-Loud", "Key",
    "Scale-Major", "Key-Strength", "Integrated-Loudness", "Loudness-Range", "Tuning-Frequency",
    "Beat-Interval-Regularity", *(f"MFCC-{i}" for i in range(1, 14)),
)


# Where each feature sits in the results of Essentia's MusicExtractor (frame-wise ones: the mean over frames),
# the pipeline this module reproduces; bench/agreement.py and the real-music tests compare against it.
MUSIC_EXTRACTOR_DESCRIPTORS: dict[str, str] = {
    "Danceability": "rhythm.danceability",
    "Loudness": "lowlevel.average_loudness",
    "Chords-Changes-Rate": "tonal.chords_changes_rate",
    "Dynamic-Complexity": "lowlevel.dynamic_complexity",
    "Zerocrossingrate": "lowlevel.zerocrossingrate.mean",
    "Chords-Number-Rate": "tonal.chords_number_rate",
    "Pitch-Salience": "lowlevel.pitch_salience.mean",
    "Spectral-Centroid": "lowlevel.spectral_centroid.mean",
    "Spectral-Complexity": "lowlevel.spectral_complexity.mean",
    "Spectral-Decrease": "lowlevel.spectral_decrease.mean",
    "Spectral-Energyband-High": "lowlevel.spectral_energyband_high.mean",
    "Spectral-Energyband-Low": "lowlevel.spectral_energyband_low.mean",
    "Spectral-Energyband-Middle-High": "lowlevel.spectral_energyband_middle_high.mean",
    "Spectral-Energyband-Middle-Low": "lowlevel.spectral_energyband_middle_low.mean",
    "Spectral-Entropy": "lowlevel.spectral_entropy.mean",
    "Spectral-Flux": "lowlevel.spectral_flux.mean",
    "Spectral-Rolloff": "lowlevel.spectral_rolloff.mean",
    "Spectral-Spread": "lowlevel.spectral_spread.mean",
    "Onset-Rate": "rhythm.onset_rate",
    "Length": "metadata.audio_properties.length",
    "BPM": "rhythm.bpm",
    "Beats-Loud": "rhythm.beats_loudness.mean",
    "Key-Strength": "tonal.key_temperley.strength",
    "Integrated-Loudness": "lowlevel.loudness_ebu128.integrated",
    "Loudness-Range": "lowlevel.loudness_ebu128.loudness_range",
    "Tuning-Frequency": "tonal.tuning_frequency",
}


def music_extractor_features(results: Mapping[str, Any]) -> dict[str, float]:
    """The features of FEATURES that MusicExtractor also measures, read from its results (the Pool of
    per-track statistics, or a dict of dotted names); Key and Scale-Major from its Temperley key, MFCC from
    lowlevel.mfcc. A descriptor the results lack (older AcousticBrainz dumps) leaves its feature out."""
    names = set(results.descriptorNames()) if hasattr(results, "descriptorNames") else set(results)
    values = {name: float(results[descriptor]) for name, descriptor in MUSIC_EXTRACTOR_DESCRIPTORS.items()
              if descriptor in names}
    if "tonal.key_temperley.key" in names:
        values["Key"] = PITCH_CLASSES[results["tonal.key_temperley.key"]]
    if "tonal.key_temperley.scale" in names:
        values["Scale-Major"] = 1.0 if results["tonal.key_temperley.scale"] == "major" else 0.0
    if "lowlevel.mfcc.mean" in names:
        values.update({f"MFCC-{i + 1}": float(v) for i, v in enumerate(results["lowlevel.mfcc.mean"])})
    return values


def _essentia_version() -> str:
    """The installed Essentia version, recorded in the extractor's version string for provenance."""
    return str(getattr(essentia, "__version__", "unknown"))


@dataclass(frozen=True)
class _Kernels:
    """Windows and linear maps taken from Essentia once per process, so the NumPy path matches it."""

    window: np.ndarray  # blackmanharris62 as Essentia's Windowing scales it (lowlevel frames)
    tonal_window: np.ndarray  # the same for tonal frames
    onset_window: np.ndarray  # hann, OnsetRate's frames
    beat_window: np.ndarray  # hann, BeatTrackerDegara's frames
    mel: np.ndarray  # 40 x 1025 filterbank of MFCC's MelBands (applied to the power spectrum)
    dct: np.ndarray  # 13 x 40 DCT-II of MFCC


@lru_cache(maxsize=1)
def _kernels() -> _Kernels:
    """Probe Essentia's windows, mel filterbank and DCT with unit inputs (all are linear maps)."""
    bins = LOWLEVEL_FRAME // 2 + 1
    mel_bands = es.MelBands(inputSize=bins, numberBands=40, sampleRate=SAMPLE_RATE, lowFrequencyBound=0,
                            highFrequencyBound=11000, type="power", weighting="warping", normalize="unit_sum")
    dct = es.DCT(inputSize=40, outputSize=13, dctType=2)
    return _Kernels(
        window=essentia_window(LOWLEVEL_FRAME),
        tonal_window=essentia_window(TONAL_FRAME),
        onset_window=essentia_window(ONSET_FRAME, "hann"),
        beat_window=essentia_window(BEAT_FRAME, "hann"),
        mel=np.array([mel_bands(row) for row in np.eye(bins, dtype=np.float32)]).T,
        dct=np.array([dct(row) for row in np.eye(40, dtype=np.float32)]).T,
    )


# --- framing, as Essentia's FrameCutter --------------------------------------------------------------

def _framed(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """All frames as FrameCutter(startFromZero=False) cuts them, as a strided view: the first centred on
    sample 0, the last whose centre passes the end."""
    count = -(-len(x) // hop) + 1
    padded = np.zeros((count - 1) * hop + size, np.float32)
    left = (size + 1) // 2
    padded[left:left + len(x)] = x
    return np.lib.stride_tricks.sliding_window_view(padded, size)[::hop][:count]


def _blocks(frames: np.ndarray, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Blocks of frames, read-only, with -100 dB noise in silent ones.

    Noise is drawn for BLOCK_FRAMES frames at a time (so each silent frame gets the draws it got in extractor 1.2),
    but the blocks handed out are smaller, about SPECTRUM_SAMPLES each: a block's spectra and descriptors then
    stay in the core's cache between passes. A block is copied only when it has a silent frame to add noise to:
    the frames overlap, so a copy of a block of 4096-sample frames is twice the signal it covers.
    """
    step = max(1, SPECTRUM_SAMPLES // frames.shape[1])
    for start in range(0, len(frames), BLOCK_FRAMES):
        block = _with_noise_in_silent(frames[start:start + BLOCK_FRAMES], rng)
        for first in range(0, len(block), step):
            yield block[first:first + step]


def _with_noise_in_silent(block: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """FrameCutter(silentFrames="noise"): -100 dB noise in silent frames (in a copy), so every descriptor is defined."""
    silent = np.einsum("ij,ij->i", block, block) / block.shape[1] < SILENCE_POWER
    if not silent.any():
        return block
    noisy = np.array(block)
    noisy[silent] += rng.uniform(-NOISE_LEVEL, NOISE_LEVEL, (int(silent.sum()), block.shape[1])).astype(np.float32)
    return noisy


# --- frame-wise spectral descriptors, vectorised (formulas of the Essentia algorithms named) -------

_BIN_HZ = SAMPLE_RATE / LOWLEVEL_FRAME
_BINS = np.arange(LOWLEVEL_FRAME // 2 + 1, dtype=np.float32)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (Essentia's convention for empty spectra)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _centroid(power: np.ndarray) -> np.ndarray:
    """Centroid(range=sr/2) of the power spectrum, Hz."""
    return _ratio(power @ _BINS, power.sum(1)) * _BIN_HZ


def _spread(mag: np.ndarray) -> np.ndarray:
    """CentralMoments + DistributionShape spread: 2nd central moment of the magnitude spectrum, Hz^2."""
    total = mag.sum(1)
    centre = _ratio(mag @ _BINS, total)
    second = _ratio(mag @ _BINS**2, total) - centre**2
    return np.maximum(second, 0.0) * _BIN_HZ**2


def _entropy(mag: np.ndarray) -> np.ndarray:
    """Entropy of the magnitude spectrum normalised to sum 1, bits; 0 for an empty spectrum.

    As (ln(total) - sum(m ln m) / total) / ln 2: one natural log per bin (NumPy's float32 log is 1.7x as fast as
    its log2) and no normalised copy; a zero bin adds 0 * ln(tiny) = 0. Half the time of -sum(p log2 p).
    """
    tiny = np.finfo(mag.dtype).tiny
    total = np.maximum(mag.sum(1), tiny)
    weighted = np.log(np.maximum(mag, tiny))
    weighted *= mag
    return np.where(total > tiny, (np.log(total) - weighted.sum(1) / total) / math.log(2), 0.0)


def _decrease(power: np.ndarray) -> np.ndarray:
    """Decrease(range=sr/2): least-squares slope of the power spectrum against frequency in Hz."""
    freqs = _BINS * _BIN_HZ
    centred = freqs - freqs.mean()
    return power @ centred.astype(power.dtype) / float(centred @ centred)


def _rolloff(power: np.ndarray, cutoff: float = 0.85) -> np.ndarray:
    """RollOff: the lowest bin frequency below which `cutoff` of the energy lies, Hz.

    The running sum goes over chunks of bins (41 of 1025), then over the bins of the chunk where it crosses the
    cut-off only: a running sum over every bin took a tenth of the low-level frames' time.
    """
    frames, bins = power.shape
    width = max(d for d in range(1, 64) if bins % d == 0)
    chunks = power.reshape(frames, bins // width, width)
    ends = np.cumsum(chunks.sum(2), axis=1)  # energy up to the end of each chunk
    threshold = cutoff * ends[:, -1:]
    below = np.minimum((ends < threshold).sum(1), ends.shape[1] - 1)  # chunks wholly under the cut-off
    rows = np.arange(frames)
    before = np.where(below > 0, ends[rows, below - 1], 0)[:, None]
    inside = before + np.cumsum(chunks[rows, below], axis=1)
    return (below * width + (inside < threshold).sum(1)) * _BIN_HZ


def _band_energy(power: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    """EnergyBand: sum of squared magnitudes in [low, high] Hz, both ends included."""
    return power[:, int(round(low_hz / _BIN_HZ)):int(round(high_hz / _BIN_HZ)) + 1].sum(1)


def _flux(mag: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Flux (L2, not rectified) against the previous frame; `previous` is the last frame before the block."""
    return np.sqrt((np.diff(mag, axis=0, prepend=previous[None, :]) ** 2).sum(1))


def _complexity(mag: np.ndarray, threshold: float = 0.005) -> np.ndarray:
    """SpectralComplexity: count of peaks above `threshold` between 100 Hz and 5 kHz (range ends may peak)."""
    low, high = math.ceil(100 / _BIN_HZ), int(5000 / _BIN_HZ)
    edge = np.full((len(mag), 1), -1.0, mag.dtype)
    band = np.hstack([edge, mag[:, low:high + 1], edge])
    centre = band[:, 1:-1]
    return ((centre > band[:, :-2]) & (centre >= band[:, 2:]) & (centre > threshold)).sum(1).astype(np.float64)


def _pitch_salience(mag: np.ndarray) -> np.ndarray:
    """PitchSalience: highest spectral autocorrelation at lags of 100 Hz..5 kHz over the zero-lag value.

    Essentia turns the boundaries into lags as int(f * bins / (sr / 2)) and searches [low, high): with 1025
    bins, lags 4..231, not the 5..232 that 100 Hz and 5 kHz are in bins of 21.5 Hz.
    """
    bins = mag.shape[1]
    low, high = int(100 * bins / (SAMPLE_RATE / 2)), int(5000 * bins / (SAMPLE_RATE / 2))
    # Long enough that lags < high do not wrap; real=True: 1280 (2^8 * 5) beats 1260's radix-7 pass by 10%.
    n = sfft.next_fast_len(bins + high, real=True)
    spectrum = sfft.rfft(mag, n=n, axis=1, workers=1)
    spectrum *= spectrum.conj()  # |X|^2 kept complex, in place: irfft would convert a real array into a copy
    acf = sfft.irfft(spectrum, n=n, axis=1, workers=1, overwrite_x=True)
    return _ratio(acf[:, low:high].max(1), acf[:, 0])


def _zero_crossing_rate(block: np.ndarray) -> np.ndarray:
    """ZeroCrossingRate: sign changes between consecutive samples over the frame length (the sign bits as bytes,
    XORed and summed in int32: a third faster than np.diff of booleans summed in int64)."""
    signs = np.signbit(block).view(np.uint8)
    return (signs[:, 1:] ^ signs[:, :-1]).sum(1, dtype=np.int32) / block.shape[1]


def _mfcc(power: np.ndarray, kernels: _Kernels) -> np.ndarray:
    """MFCC: DCT-II of 20*log10 of 40 mel-band energies (Essentia's 'dbamp' log, floor 1e-10)."""
    bands = power @ kernels.mel.T
    return 20.0 * np.log10(np.maximum(bands, 1e-10)) @ kernels.dct.T


def _lowlevel(x: np.ndarray, eqloud: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    """Means over 2048/1024 frames of MusicExtractor's low-level descriptors, plus MFCC means.

    Centroid, spread and entropy use the equal-loudness filtered signal, as MusicExtractor does.
    """
    kernels = _kernels()
    columns: dict[str, list[np.ndarray]] = {}
    previous = np.zeros(LOWLEVEL_FRAME // 2 + 1)
    plain = _blocks(_framed(x, LOWLEVEL_FRAME, LOWLEVEL_HOP), rng)
    weighted = _blocks(_framed(eqloud, LOWLEVEL_FRAME, LOWLEVEL_HOP), rng)
    for block, eq_block in zip(plain, weighted):
        mag, eq_mag = magnitudes(block, kernels.window), magnitudes(eq_block, kernels.window)
        power = mag**2
        per_frame = {
            "Zerocrossingrate": _zero_crossing_rate(block),
            "Pitch-Salience": _pitch_salience(mag),
            "Spectral-Centroid": _centroid(eq_mag**2),
            "Spectral-Complexity": _complexity(mag),
            "Spectral-Decrease": _decrease(power),
            "Spectral-Entropy": _entropy(eq_mag),
            "Spectral-Flux": _flux(mag, previous),
            "Spectral-Rolloff": _rolloff(power),
            "Spectral-Spread": _spread(eq_mag),
            **{name: _band_energy(power, low, high) for name, (low, high) in ENERGY_BANDS.items()},
        }
        mfcc = _mfcc(power, kernels)
        per_frame.update({f"MFCC-{i + 1}": mfcc[:, i] for i in range(mfcc.shape[1])})
        for name, values in per_frame.items():
            columns.setdefault(name, []).append(values)
        previous = mag[-1]
    return {name: float(np.mean(np.concatenate(parts))) for name, parts in columns.items()}


# --- tonal: tuning, key, chords (MusicExtractor's tonal network, one spectral-peaks pass) ----------

PEAK_THRESHOLD = 1e-5  # SpectralPeaks' magnitudeThreshold in MusicExtractor's tonal network
TUNING_MIN_HZ = 40.0  # lowest peak of MusicExtractor's TuningFrequency
# SpectralPeaks starts at bin ceil(40 / 10.77 Hz) = 4 and takes that bin as a peak whenever it is above the next
# one, unrefined: at 43.07 Hz, 24 cents flat. In bass-heavy music these edge peaks win TuningFrequency's
# vote, so MusicExtractor reports 434.19 Hz (13 of 28 files in issue #31), and its HPCPs use that reference.
TUNING_EDGE_BIN = math.ceil(TUNING_MIN_HZ * TONAL_FRAME / SAMPLE_RATE)
CHORD_WINDOW_FRAMES = int(2.0 * SAMPLE_RATE / TONAL_HOP) - 1  # ChordsDetection's 2 s window, as it counts frames
KEY_PCP_THRESHOLD = 0.2  # streaming Key's pcpThreshold: bins of the peak-normalised mean HPCP below it are zeroed


def _spectral_peaks(x: np.ndarray, rng: np.random.Generator) -> tuple[FramePeaks, np.ndarray]:
    """Spectral peaks (20 Hz..5 kHz, by magnitude) of every 4096/2048 frame, shared by tuning and HPCP, and each
    frame's magnitudes at TUNING_EDGE_BIN and the bin after it."""
    finder = per_frame(es.SpectralPeaks(maxPeaks=10000, magnitudeThreshold=PEAK_THRESHOLD, minFrequency=20,
                                        maxFrequency=5000, orderBy="magnitude", sampleRate=SAMPLE_RATE))
    peaks: Peaks = []
    edges = []
    for block in _blocks(_framed(x, TONAL_FRAME, TONAL_HOP), rng):
        mag = magnitudes(block, _kernels().tonal_window)
        peaks.extend(map(finder, mag))
        edges.append(mag[:, TUNING_EDGE_BIN:TUNING_EDGE_BIN + 2])
    return FramePeaks.of(peaks), np.concatenate(edges)


def _tuning_peaks(flat: FramePeaks, edges: np.ndarray) -> FramePeaks:
    """The peaks MusicExtractor's TuningFrequency sees (SpectralPeaks from 40 Hz): ours from half a bin above
    the edge bin, whose own peak is replaced by the edge peak wherever that bin is above the next."""
    keep = flat.freqs >= (TUNING_EDGE_BIN + 0.5) * SAMPLE_RATE / TONAL_FRAME
    edge_frames = np.flatnonzero((edges[:, 0] > edges[:, 1]) & (edges[:, 0] > PEAK_THRESHOLD))
    return FramePeaks(np.concatenate([flat.freqs[keep], np.full(len(edge_frames), TUNING_EDGE_BIN * SAMPLE_RATE
                                                                / TONAL_FRAME)]),
                      np.concatenate([flat.mags[keep], edges[edge_frames, 0]]),
                      np.concatenate([flat.frame[keep], edge_frames]), flat.frames)


def _tuning_frequency(peaks: FramePeaks) -> float:
    """TuningFrequency (1-cent resolution) over all frames at once, Hz.

    Each frame votes, with its peaks' energy, for the deviation from equal temperament that its peaks'
    magnitudes favour; the winner, wrapped into -35..65 cents, moves A from 440 Hz (no peaks: 440).
    """
    if not len(peaks.freqs):
        return 440.0
    note = 12.0 * np.log2(peaks.freqs / 440.0)
    cents = (50.0 + 100.0 * (note - np.floor(note + 0.5)) + 0.5).astype(np.int64) % 100
    frames = np.flatnonzero(np.bincount(peaks.frame, minlength=peaks.frames))  # those with peaks: unique() sorted
    histograms = np.bincount(peaks.frame * 100 + cents, peaks.mags, minlength=peaks.frames * 100)
    votes = histograms.reshape(peaks.frames, 100)[frames].argmax(1)
    energy = np.bincount(peaks.frame, peaks.mags**2, minlength=peaks.frames)[frames]
    deviation = int(np.bincount(votes, energy, minlength=100).argmax()) - 50
    return 440.0 * 2 ** ((deviation + 100 if deviation < -35 else deviation) / 1200)


def _key_profile(profiles: np.ndarray) -> np.ndarray:
    """The mean HPCP as MusicExtractor's (streaming) Key prepares it: peak-normalised, bins under 0.2 zeroed,
    and rotated by up to a bin so its peak falls on a semitone (averageDetuningCorrection)."""
    mean = unit_max(profiles.mean(0))
    mean = unit_max(np.where(mean < KEY_PCP_THRESHOLD, 0.0, mean))
    offset = int(mean.argmax()) % (HPCP_SIZE // 12)
    return np.roll(mean, 1 if offset > HPCP_SIZE // 24 else -offset).astype(np.float32)


def _tonal(x: np.ndarray, rng: np.random.Generator) -> tuple[dict[str, float], dict[str, object]]:
    """Tuning, key (Temperley profile) and chord rates, with MusicExtractor's HPCP settings."""
    peaks, edges = _spectral_peaks(x, rng)
    tuning = _tuning_frequency(_tuning_peaks(peaks, edges))
    key_profiles, chord_profiles = key_and_chord_profiles(peaks, tuning)
    key, scale, strength, _ = es.Key(numHarmonics=4, pcpSize=HPCP_SIZE, profileType="temperley", slope=0.6,
                                     usePolyphony=True, useThreeChords=True)(_key_profile(key_profiles))
    chords = chords_detection(chord_profiles, CHORD_WINDOW_FRAMES)
    _, number_rate, changes_rate, _, _ = es.ChordsDescriptors()(chords, key, scale)
    values = {
        "Chords-Changes-Rate": changes_rate,
        "Chords-Number-Rate": number_rate,
        "Key": PITCH_CLASSES[key],
        "Scale-Major": 1.0 if scale == "major" else 0.0,
        "Key-Strength": strength,
        "Tuning-Frequency": tuning,
    }
    return values, {"key": key, "scale": scale}



# --- onsets and beats: Essentia's onset detection functions, vectorised over frames ---------------

ONSET_ALPHA, ONSET_DELAY, ONSET_SILENCE = 0.1, 5, 0.02  # Onsets' defaults, which OnsetRate uses


def _spectra_with_past(frames: np.ndarray, window: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Complex spectra and magnitudes of blocks of windowed frames, each led by the two spectra before it.

    Before the first frame come two zero spectra, as OnsetDetection('complex') starts from zero state. A later block
    transforms its two frames before again rather than be copied behind the last block's: same spectra, 10% less
    time for the beats' 2048-point frames, the same for the onsets' 1024-point ones.
    """
    step = max(1, SPECTRUM_SAMPLES // frames.shape[1])
    for start in range(0, len(frames), step):
        spectra = sfft.rfft(frames[max(0, start - 2):start + step] * window, axis=1, workers=1)
        if start == 0:
            spectra = np.concatenate([np.zeros((2, spectra.shape[1]), spectra.dtype), spectra])
        yield spectra, np.abs(spectra)


def _complex_domain(spectra: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """OnsetDetection('complex') of rows 2.. of `spectra`: L1 distance from the spectrum predicted by the two before.

    The prediction keeps the previous magnitude and extrapolates the phase (2*phi[n-1] - phi[n-2]). Essentia's
    frames are zero-phase rotated, which adds pi*k to the phase of bin k and cancels out, except for a zero bin
    (the state before the first frame included): its phase is atan2(0, 0) = 0 there, so pi*k here.
    """
    zero = mag == 0
    unit = spectra * np.divide(1, mag, out=np.zeros_like(mag), where=~zero)
    if zero.any():
        unit[zero] = np.broadcast_to(np.where(np.arange(mag.shape[1]) % 2, -1, 1), mag.shape)[zero]
    # spectra[2:] - spectra[1:-1] * (unit[1:-1] * conj(unit[:-2])), the same products in place: 11% less time
    predicted = np.conj(unit[:-2])
    predicted *= unit[1:-1]
    predicted *= spectra[1:-1]
    return np.abs(np.subtract(spectra[2:], predicted, out=predicted)).sum(1)


def _onset_rate(x: np.ndarray) -> float:
    """OnsetRate: onsets per second from HFC and complex-domain detection on Hann 1024/512 frames."""
    bins = ONSET_FRAME // 2 + 1
    hfc_weights = np.arange(bins, dtype=np.float32) * np.float32(SAMPLE_RATE / 2 / (bins - 1))  # HFC 'Brossier'
    hfc, complex_domain = [], []
    frames = framed_from_start(x, ONSET_FRAME, ONSET_HOP)
    for spectra, mag in _spectra_with_past(frames, _kernels().onset_window):
        hfc.append(mag[2:] @ hfc_weights)
        complex_domain.append(_complex_domain(spectra, mag))
    onsets = _onset_frames([np.concatenate(hfc), np.concatenate(complex_domain)])
    return len(onsets) / (len(x) / SAMPLE_RATE)


def _onset_frames(detections: list[np.ndarray]) -> np.ndarray:
    """Onsets (equal weights): frames where the normalised, summed, smoothed detection functions start to
    exceed an adaptive threshold (median + alpha * mean of the last 5 values) for at least two frames."""
    summed = sum(_normalised(d) for d in detections)
    smoothed = np.convolve(summed, np.full(ONSET_DELAY, 1 / ONSET_DELAY, np.float32))[:len(summed)]
    smoothed[smoothed < ONSET_SILENCE * len(detections)] = 0
    recent = _recent_values(smoothed)
    above = smoothed > np.median(recent, axis=1) + ONSET_ALPHA * recent.mean(1)
    above[0] = False  # Onsets starts deciding at the second frame
    starts = above & ~np.concatenate([[False], above[:-1]])
    lasting = np.concatenate([above[1:], [True]])  # an isolated frame is dropped, except the last one
    return np.flatnonzero(starts & lasting)


def _normalised(detection: np.ndarray) -> np.ndarray:
    """The detection function over its maximum (untouched if that is 0), as Essentia's normalize()."""
    peak = detection.max()
    return detection / peak if peak != 0 else detection


def _recent_values(smoothed: np.ndarray) -> np.ndarray:
    """Per frame, the contents of Onsets' 5-value ring buffer: this and the 4 values before (0 before the start).

    Onsets never stores frame 0's value, and its buffer still holds 0 in place of frame 1's at frame 5.
    """
    padded = np.concatenate([np.zeros(ONSET_DELAY, smoothed.dtype), smoothed[1:]])
    recent = np.lib.stride_tricks.sliding_window_view(padded, ONSET_DELAY).copy()
    if len(recent) > ONSET_DELAY:
        recent[ONSET_DELAY, 0] = 0
    return recent


def _beat_ticks(x: np.ndarray) -> np.ndarray:
    """BeatTrackerDegara: TempoTapDegara on the complex-domain detection function of Hann 2048/1024 frames.

    Its FrameCutter adds noise to silent frames, so faint (about 1e-10) that the ticks are the same without it.
    """
    frames = framed_from_start(x, BEAT_FRAME, BEAT_HOP)
    detection = np.concatenate([_complex_domain(spectra, mag) for spectra, mag in
                                _spectra_with_past(frames, _kernels().beat_window)])
    tracker = es.TempoTapDegara(sampleRateODF=SAMPLE_RATE / BEAT_HOP, resample="x2", minTempo=MIN_BPM,
                                maxTempo=MAX_BPM)
    _seed_c_rand()
    return np.asarray(tracker(detection.astype(np.float32)))


def _seed_c_rand() -> None:
    """Reset the C library's rand() to its start-up state (a no-op where there is no C library to load).

    This Essentia's TempoTapDegara breaks ties with rand() (fixed-seed from Essentia issue #1097 on): unseeded,
    a track's beats would depend on what the process had analysed before it.
    """
    library = c_library()
    if library is not None:
        library.srand(1)


def _tempo(ticks: np.ndarray) -> float:
    """RhythmExtractor2013's BPM from beat times: mean of the inter-beat tempi within 5 BPM of the most common
    (counted in 2-BPM bins); 0 with fewer than two beats."""
    if len(ticks) < 2:
        return 0.0
    tempi = (60.0 / np.diff(ticks)).astype(np.float32)
    mode = 2 * int(np.argmax(np.bincount((np.maximum(tempi / 2, 0) + 0.5).astype(np.int64))))
    near = tempi[np.abs(mode - tempi) < 5]
    return float(near.mean()) if len(near) else float(mode)


# --- whole-signal descriptors -----------------------------------------------------------------------

def _average_loudness(x: np.ndarray) -> float:
    """MusicExtractor's average_loudness: mean Stevens loudness of 2 s frames relative to the loudest, in 0..1."""
    count = 1 + max(0, -(-(len(x) - LOUDNESS_FRAME) // LOUDNESS_HOP))
    hops = _block_energies(x, LOUDNESS_HOP, count + 1)
    energy = hops[:-1] + hops[1:]  # frames start at 0 (startFromZero) and span two hops
    energy = np.maximum(energy, LOUDNESS_FRAME * NOISE_LEVEL**2 / 3)  # silent frames get -100 dB noise
    levels = energy**0.67
    levels = np.maximum(levels / max(levels.max(), 1e-4), 1e-4)
    average_db = 10.0 * math.log10(levels.mean())
    return 0.5 + 0.5 * math.tanh(-1.0 + 2.0 * (average_db + 5.0) / 3.0)  # squeeze -5..-2 dB into 0..1


def _block_energies(x: np.ndarray, size: int, count: int, dtype: type = np.float64) -> np.ndarray:
    """Sum of squares of `count` consecutive blocks of `size` samples from the start (zero-padded), each summed in
    `dtype` (float32 is 3.4 times as fast, within 1e-6 relative)."""
    whole = min(count, len(x) // size)
    energies = np.zeros(count)
    blocks = x[:whole * size].reshape(whole, size)
    energies[:whole] = np.einsum("ij,ij->i", blocks, blocks, dtype=dtype)
    if whole < count:  # the block the signal ends in; those after it are empty
        tail = x[whole * size:count * size]
        energies[whole] = np.einsum("i,i->", tail, tail, dtype=dtype)
    return energies


def _dfa_scales() -> list[int]:
    """Danceability's block lengths in 10 ms frames: 310 ms, then x1.1 (in float32, as Essentia steps) up to 8.8 s."""
    scales, tau = [], np.float32(310.0)
    while tau <= np.float32(8800.0):
        scales.append(int(float(tau) / 10.0))
        tau = np.float32(tau * np.float32(1.1))
    return scales


DFA_SCALES = _dfa_scales()


def _danceability(x: np.ndarray) -> float:
    """Essentia's Danceability (Streich and Herrera's detrended fluctuation analysis, its parameters and steps): the
    integrated, mean-removed standard deviations of 10 ms frames; per block length tau, the mean residual of linear
    fits over blocks every max(1, tau/50) frames; 1 / the mean slope of log fluctuation against log(tau + 3).

    Each block's least-squares residual comes from running sums (float64), not a loop over its frames: Essentia's
    float32 loops took 0.13 CPU s a 4-minute track; the results agree within 6e-5 (its float32 rounding).
    """
    frame = int(0.01 * SAMPLE_RATE)
    count = len(x) // frame
    blocks = x[:count * frame].reshape(count, frame)
    sums = blocks.sum(1, dtype=np.float64)
    variance = (np.einsum("ij,ij->i", blocks, blocks, dtype=np.float64) - sums * sums / frame) / (frame - 1)
    deviation = np.sqrt(np.maximum(variance, 0.0))
    walk = np.cumsum(deviation - deviation.mean())
    index = np.arange(count, dtype=np.float64)
    running = [np.concatenate([[0.0], np.cumsum(values)]) for values in (walk, walk * walk, index * walk)]
    fluctuation: list[float] = []
    for tau in DFA_SCALES:
        if count < tau:
            break
        jump = max(tau // 50, 1)
        start = np.arange(0, count - tau, jump)
        total, squares, weighted = (values[start + tau] - values[start] for values in running)
        ssxy = weighted - (start + (tau - 1) / 2) * total  # sum of (i - mean i) * y over the block
        residual = squares - total * total / tau - ssxy * ssxy / (tau * (tau * tau - 1) / 12)
        fluctuation.append(math.sqrt(residual.sum() / tau / ((count - tau) / jump)) if count > tau else 0.0)
    if len(fluctuation) < 2 or 0.0 in fluctuation:
        return 0.0  # too short, or no fluctuation (digital silence): Essentia's 0
    slopes = [math.log10(fluctuation[i + 1] / fluctuation[i]) / math.log10((DFA_SCALES[i + 1] + 3.0)
                                                                        / (DFA_SCALES[i] + 3.0))
              for i in range(len(fluctuation) - 1)]
    mean = sum(slopes) / len(slopes)
    return 1.0 / mean if mean > 0 else 0.0


def _rhythm(x: np.ndarray) -> dict[str, float]:
    """Tempo and beats (RhythmExtractor2013, 'degara' as MusicExtractor), beat loudness and regularity.

    No tempo (all 0) for digital silence, or when the tracker's tempo falls outside its own 40..208 range.
    """
    if not np.any(x):
        return {"BPM": 0.0, "Beats-Loud": 0.0, "Beat-Interval-Regularity": 0.0}
    ticks = _beat_ticks(x)
    bpm = _tempo(ticks)
    if not MIN_BPM <= bpm <= MAX_BPM:
        bpm, ticks = 0.0, np.array([])
    beats_loudness = es.BeatsLoudness(beats=ticks, sampleRate=SAMPLE_RATE)(x)[0] if len(ticks) else []
    return {
        "BPM": bpm,
        "Beats-Loud": float(np.mean(beats_loudness)) if len(beats_loudness) else 0.0,
        "Beat-Interval-Regularity": _regularity(ticks),
    }


def _regularity(ticks: np.ndarray) -> float:
    """1 - coefficient of variation of inter-beat intervals, clipped to 0..1; 0 with fewer than 3 beats."""
    intervals = np.diff(ticks)
    if len(intervals) < 2 or intervals.mean() <= 0:
        return 0.0
    return float(np.clip(1.0 - intervals.std() / intervals.mean(), 0.0, 1.0))


def _loudness(x: np.ndarray) -> dict[str, float]:
    """Average loudness (relative to the loudest second) and dynamic complexity."""
    return {
        "Loudness": _average_loudness(x),
        "Dynamic-Complexity": es.DynamicComplexity(sampleRate=SAMPLE_RATE)(x)[0],
    }


def _ebu_r128(channels: np.ndarray, rate: int) -> dict[str, float]:
    """EBU R128 integrated loudness (LUFS) and loudness range (LU) of a signal's channels (frames x channels).

    As MusicExtractor measures it: on the file's channels, each weighted 1 (a mono signal counts twice, as
    Essentia's loader makes it stereo). On the mono mix, a wide stereo track came out 1.6 dB quieter (issue
    #31). Same definition as Essentia's LoudnessEBUR128 (its K-weighting, 400 ms and 3 s windows every
    100 ms, gates at -70 LUFS and -10 / -20 LU), vectorised: it is several times faster.
    """
    hop = rate // 10
    count = max(1, -(-len(channels) // hop))
    numerator, denominator = _k_weighting(rate)
    # Energies summed in float32, as Essentia's: float64 sums took 0.05 s of a 5-minute track, to move the loudness
    # by 1e-7 dB. (The replay gain's stay float64: its 1e-6 moves every energy and, on Chimes They Fade, 2 chords.)
    steps = sum(_block_energies(lfilter(numerator, denominator, channel), hop, count, np.float32)
                for channel in np.asarray(channels, np.float32).T) / hop
    if channels.shape[1] == 1:
        steps *= 2
    momentary = _window_power(steps, 4)
    short_term = _window_power(steps, 30)
    return {
        "Integrated-Loudness": _gated_mean_lufs(momentary, relative_gate=10.0),
        "Loudness-Range": _loudness_range(short_term),
    }


@lru_cache(maxsize=4)
def _k_weighting(rate: int) -> tuple[np.ndarray, np.ndarray]:
    """ITU-R BS.1770 K-weighting at `rate` Hz as Essentia's LoudnessEBUR128Filter builds it: a high shelf and
    the RLB high-pass (libebur128's formulas), each rounded to float32, multiplied into one 4th-order filter in
    float32 arithmetic, and run in float32.

    The rounding moves the high-pass's poles, which sit next to z = 1: on a bass-heavy track the loudness range
    came out 4.73 LU with the exact filter against MusicExtractor's 4.06, integrated loudness 0.27 dB lower.
    """
    k = math.tan(math.pi * 1681.974450955533 / rate)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = np.float32([[(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
                        [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]])
    k = math.tan(math.pi * 38.13547087602444 / rate)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass = np.float32([[1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]])
    numerator, denominator = (np.convolve(shelf[i], highpass[i]).astype(np.float32) for i in range(2))
    return numerator, denominator


def _window_power(steps: np.ndarray, width: int) -> np.ndarray:
    """Mean power of sliding windows of `width` 100 ms steps (one window if the signal is shorter)."""
    if len(steps) < width:
        return np.array([steps.sum() / width])
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    return (cumulative[width:] - cumulative[:-width]) / width


def _lufs(power: np.ndarray | float) -> np.ndarray:
    """Loudness in LUFS of K-weighted mean power summed over the channels."""
    return -0.691 + 10.0 * np.log10(np.maximum(np.asarray(power), 1e-30))


def _gated(power: np.ndarray, relative_gate: float) -> np.ndarray:
    """Window powers above the absolute gate (-70 LUFS) and `relative_gate` LU under their mean."""
    loud = power[_lufs(power) > SILENT_LUFS]
    if not len(loud):
        return loud
    return loud[_lufs(loud) > _lufs(loud.mean()) - relative_gate]


def _gated_mean_lufs(power: np.ndarray, relative_gate: float) -> float:
    """Gated integrated loudness, LUFS; -70 (the absolute gate) when nothing passes the gates."""
    kept = _gated(power, relative_gate)
    return float(_lufs(kept.mean())) if len(kept) else SILENT_LUFS


def _loudness_range(short_term: np.ndarray) -> float:
    """EBU Tech 3342 loudness range: 10th to 95th percentile of gated short-term loudness, LU (Essentia's
    percentiles: the sorted values at the rounded ranks 0.1 (n - 1) and 0.95 (n - 1))."""
    kept = np.sort(_lufs(_gated(short_term, relative_gate=20.0)))
    if not len(kept):
        return 0.0
    low, high = kept[[math.floor(0.1 * (len(kept) - 1) + 0.5), math.floor(0.95 * (len(kept) - 1) + 0.5)]]
    return float(high - low)


def _equal_loudness(x: np.ndarray) -> np.ndarray:
    """Essentia's EqualLoudness itself (44.1 kHz). Its 10th-order filter runs in float32, whose rounding noise
    reaches the spectra of quiet frames: on Enemy Unknown an exact (float64) filter gave Spectral-Spread 2.8%
    and Spectral-Centroid 0.3% off MusicExtractor's, a float32 SciPy filter (other rounding) 0.3% and 0.8%."""
    return es.EqualLoudness(sampleRate=SAMPLE_RATE)(np.ascontiguousarray(x, dtype=np.float32))


def _replay_gain(eqloud: np.ndarray) -> float:
    """MusicExtractor's (streaming) ReplayGain in dB from the equal-loudness signal: the 95th percentile of the
    powers of 50 ms blocks, the last one zero-padded (a FrameCutter from zero)."""
    block = int(SAMPLE_RATE * 0.05)
    count = -(-len(eqloud) // block)
    powers = np.sort(_block_energies(eqloud, block, count) / block)
    loudness = 10.0 * math.log10(max(powers[int(0.95 * count)], 1e-30))
    return min(REPLAY_GAIN_REFERENCE - loudness, MAX_GAIN_DB)


# Values for features that come out undefined (NaN/inf), e.g. on digital silence.
_UNDEFINED = {"Integrated-Loudness": SILENT_LUFS, "Tuning-Frequency": 440.0}


def _finite(name: str, value: float) -> float:
    """The value, or the feature's stated default (0 unless in _UNDEFINED) when it is NaN or infinite."""
    value = float(value)
    return value if math.isfinite(value) else _UNDEFINED.get(name, 0.0)


def _analysis_signal(audio: Audio) -> np.ndarray:
    """The audio at 44.1 kHz, finite float32; ValueError naming the file when too short to analyse."""
    x = np.asarray(audio.samples, dtype=np.float32)
    if audio.sample_rate != SAMPLE_RATE:
        x = resample(x, audio.sample_rate, SAMPLE_RATE, like_essentia=True)
    duration = len(x) / SAMPLE_RATE
    if duration < MIN_DURATION:
        raise ValueError(f"{audio.path or '<audio>'}: too short for signal analysis "
                         f"({duration:.2f} s < {MIN_DURATION} s)")
    return np.ascontiguousarray(np.clip(finite(x), -1.0, 1.0), dtype=np.float32)


class SignalExtractor:
    """The signal feature group: MusicExtractor-compatible descriptors from one decoded signal."""

    name = "whytag.signal"
    # 1.1: NumPy onsets, rhythm detection function, HPCP; 1.2: NumPy danceability, resampling by matrix products
    # (values within 6e-5 and 1e-5 of 1.1's); 1.3: cache-sized frame blocks, entropy by natural log, roll-off by
    # chunks, chord detection in NumPy (on the 16 singularity tracks every value within 2.4e-5 of 1.2's, chords same)
    version = f"1.3+essentia-{_essentia_version()}"

    def extract(self, audio: Audio) -> FeatureSet:
        """Measure every feature in FEATURES on `audio`; key name and scale go to extras."""
        started = datetime.now(UTC)
        # The matrix products here are small: OpenBLAS threads would only spin, costing CPU time for nothing.
        with threadpool_limits(limits=1, user_api="blas"):
            raw = _analysis_signal(audio)
            mono = audio.channels is None
            measured, extras = _measure(raw, raw[:, None] if mono else audio.channels,
                                        SAMPLE_RATE if mono else audio.channel_rate)
        features = FeatureSet(self.name, self.version, started=started, extras=extras)
        for name in FEATURES:
            features.add(name, _finite(name, measured[name]), group="signal")
        features.ended = datetime.now(UTC)
        return features


def _measure(raw: np.ndarray, channels: np.ndarray, channel_rate: int) -> tuple[dict[str, float], dict[str, object]]:
    """Every feature of the 44.1 kHz signal (some possibly undefined), and the key's name and scale; EBU R128
    loudness from its channels (frames x channels) at `channel_rate` Hz."""
    eqloud = _equal_loudness(raw)
    # MusicExtractor analyses the signal scaled by its ReplayGain + 6 dB (EasyLoader), so energies are
    # loudness-normalised; EBU R128 loudness is measured on the unscaled signal.
    scale = np.float32(10.0 ** ((_replay_gain(eqloud) + 6.0) / 20.0))
    x = raw * scale
    # EasyLoader's Scale clips at +-1: on a track boosted by 4.1 dB, unclipped energy bands came out 42% and
    # Beats-Loud 56% high, Onset-Rate 33% low. The filter is linear, so it runs again only if something clipped.
    if np.abs(x).max() > 1.0:
        np.clip(x, -1.0, 1.0, out=x)
        eqloud = _equal_loudness(x)
    else:
        eqloud *= scale
    rng = np.random.default_rng(0)  # fixed seed: the noise in silent frames is reproducible
    tonal, extras = _tonal(x, rng)
    measured = {
        **_lowlevel(x, eqloud, rng),
        **tonal,
        **_rhythm(x),
        **_loudness(x),
        **_ebu_r128(channels, channel_rate),
        "Danceability": _danceability(x),
        "Onset-Rate": _onset_rate(x),
        "Length": len(x) / SAMPLE_RATE,
    }
    return measured, extras
