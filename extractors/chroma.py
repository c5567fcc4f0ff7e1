"""Spectra of frames, HPCP chroma and chord labels as NumPy over blocks of frames, shared by the signal and symbolic
extractors.

Essentia computes these one frame at a time (FrameGenerator, Windowing, Spectrum, HPCP, ChordsDetection); the same
algorithms run here on many frames at once, checked against Essentia in tests/extractors/test_signal.py and
test_symbolic.py. Spectral peak picking stays Essentia's SpectralPeaks, called per frame with the caller's
settings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft as sfft

from whytag.extractors.essentia_quiet import es

HPCP_SIZE, HPCP_MIN_HZ, HPCP_MAX_HZ = 36, 20.0, 3500.0  # MusicExtractor's HPCP: 1/3 semitone bins
HPCP_PEAKS = 60  # MusicExtractor's HPCP takes the 60 strongest spectral peaks of a frame
BLOCK_FRAMES = 2048  # frames per vectorised block: bounds memory on long tracks

Peaks = list[tuple[np.ndarray, np.ndarray]]  # per frame: peak frequencies (Hz) and magnitudes


def essentia_window(size: int, kind: str = "blackmanharris62") -> np.ndarray:
    """Essentia's normalised window (zero-phase rotation off: it only changes phase, by pi per bin)."""
    return es.Windowing(type=kind, size=size, zeroPhase=False)(np.ones(size, np.float32))


def framed_from_start(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """All frames as FrameCutter(startFromZero=True) cuts them: the first at sample 0, the last reaching the end."""
    count = 1 + max(0, -(-(len(x) - size) // hop))
    padded = np.zeros((count - 1) * hop + size, np.float32)
    padded[:len(x)] = x
    return np.lib.stride_tricks.sliding_window_view(padded, size)[::hop]


def magnitudes(block: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Magnitude spectra of windowed frames (Essentia's Windowing + Spectrum), float32 like Essentia."""
    return np.abs(sfft.rfft(block * window, axis=1, workers=1))


def spectral_peaks(blocks: Iterable[np.ndarray], window: np.ndarray,
                   peaks: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]) -> Peaks:
    """The peaks (an Essentia SpectralPeaks) of the magnitude spectrum of every frame in blocks of frames."""
    return [peaks(spectrum) for block in blocks for spectrum in magnitudes(block, window)]


def key_and_chord_profiles(peaks: FramePeaks, reference: float) -> tuple[np.ndarray, np.ndarray]:
    """MusicExtractor's two HPCPs of every frame (for the key; for chords) from its 60 strongest peaks up to
    3.5 kHz, with A at `reference` Hz, computed over blocks of frames to bound memory."""
    strongest = peaks.strongest(HPCP_MAX_HZ, HPCP_PEAKS)
    key_profiles, chord_profiles = [], []
    for start in range(0, max(peaks.frames, 1), BLOCK_FRAMES):
        block = strongest.between(start, min(start + BLOCK_FRAMES, peaks.frames))
        key_profiles.append(hpcp(block, reference, harmonics=0, window_size=1.0))
        chord_profiles.append(hpcp(block, reference, harmonics=8, window_size=0.5, split_hz=500.0, non_linear=True))
    return np.concatenate(key_profiles), np.concatenate(chord_profiles)


@dataclass(frozen=True)
class FramePeaks:
    """The spectral peaks of all frames in flat arrays: frequency (Hz), magnitude and frame of each."""

    freqs: np.ndarray
    mags: np.ndarray
    frame: np.ndarray
    frames: int

    @classmethod
    def of(cls, peaks: Peaks) -> FramePeaks:
        """Flatten per-frame (frequencies, magnitudes) pairs."""
        counts = [len(freqs) for freqs, _ in peaks]
        return cls(np.concatenate([f for f, _ in peaks]).astype(np.float64),
                   np.concatenate([m for _, m in peaks]).astype(np.float64),
                   np.repeat(np.arange(len(peaks)), counts), len(peaks))

    def between(self, start: int, end: int) -> FramePeaks:
        """The peaks of frames start..end-1, numbered from 0."""
        low, high = np.searchsorted(self.frame, [start, end])
        return FramePeaks(self.freqs[low:high], self.mags[low:high], self.frame[low:high] - start, end - start)

    def strongest(self, max_hz: float, count: int) -> FramePeaks:
        """In each frame, its first `count` peaks up to `max_hz` (the strongest: SpectralPeaks orders them so).

        As one pass over all frames: a list of per-frame selections cost 0.05 CPU s a 4-minute track.
        """
        below = np.flatnonzero(self.freqs <= max_hz)
        frame = self.frame[below]
        starts = np.flatnonzero(np.diff(frame, prepend=-1))  # where each frame's peaks start
        rank = np.arange(len(below)) - np.repeat(starts, np.diff(np.append(starts, len(below))))
        kept = below[rank < count]
        return FramePeaks(self.freqs[kept], self.mags[kept], self.frame[kept], self.frames)


def hpcp(peaks: FramePeaks, reference: float, harmonics: int, window_size: float,
         split_hz: float | None = None, non_linear: bool = False) -> np.ndarray:
    """HPCP (36 bins, cosine weighting, unitMax) of every frame at once, frames x bins, float32.

    Each peak between 20 Hz and 3.5 kHz adds mag^2 * strength^2 * cos(pi * distance / window) to the bins
    within half a window of it, once as itself and once per distinct pitch class of the harmonics it may be;
    with `split_hz`, peaks below and above it make two profiles, normalised apart, then summed (bandPreset).
    """
    resolution = HPCP_SIZE // 12  # bins per semitone
    reach = resolution * window_size / 2  # bins either side of the peak
    spread = int(2 * reach) + 1  # most bins a peak can reach
    used = (peaks.freqs >= HPCP_MIN_HZ) & (peaks.freqs <= HPCP_MAX_HZ)
    freqs, energy = peaks.freqs[used], (peaks.mags[used] ** 2).astype(np.float32)
    bands = 2 if split_hz else 1
    rows = peaks.frame[used] * bands + (freqs >= split_hz if split_hz else 0)
    semitones, strengths = harmonic_pitch_classes(harmonics).T
    centres = (np.log2(freqs / reference) * HPCP_SIZE - semitones[:, None] * resolution).astype(np.float32)
    first = np.ceil(centres - reach)  # harmonics x peaks
    width = HPCP_SIZE + spread  # room for bins past the last one; they wrap round below
    start = rows * width + first.astype(np.int64) % HPCP_SIZE  # an integer remainder: float32's took 30% of HPCP
    weights = strengths[:, None].astype(np.float32) ** 2 * energy
    profiles = np.zeros(peaks.frames * bands * width)
    for offset in range(spread):
        distance = centres - (first + offset)  # in bins; the window is -reach..reach
        cosine = np.where(distance >= -reach, np.cos(np.pi / (resolution * window_size) * distance), 0)
        profiles += np.bincount((start + offset).ravel(), (cosine * weights).ravel(), minlength=len(profiles))
    profiles = profiles.reshape(peaks.frames, bands, width)
    profiles[..., :spread] += profiles[..., HPCP_SIZE:]
    profile = unit_max(unit_max(profiles[..., :HPCP_SIZE]).sum(1))
    if non_linear:  # Gomez's post-processing: emphasise the strong bins, fade the weak ones
        profile = np.sin(profile * np.pi / 2) ** 2
        profile = np.where(profile < 0.6, profile * (profile / 0.6) ** 2, profile)
    return profile.astype(np.float32)


@lru_cache(maxsize=4)
def harmonic_pitch_classes(harmonics: int) -> np.ndarray:
    """HPCP's harmonic table: (semitones above the fundamental mod 12, summed strength) of harmonics 1..n+1."""
    table: dict[float, float] = {}
    for number in range(1, harmonics + 2):
        semitone = 12.0 * math.log2(number)
        strength = 1.0 / max(1.0, semitone / 24.0)  # higher harmonics contribute less
        pitch_class = semitone % 12.0  # exactly 0 for the octaves, the only harmonics that share a class
        table[pitch_class] = table.get(pitch_class, 0.0) + strength
    return np.array(list(table.items()))


def unit_max(profiles: np.ndarray) -> np.ndarray:
    """Profiles (last axis) over their maximum; all-zero profiles stay zero."""
    peak = profiles.max(-1, keepdims=True)
    return np.divide(profiles, peak, out=np.zeros_like(profiles), where=peak != 0)


# Essentia's Key names, in its order (pitch class of A first), and the tonic triads ChordsDetection matches.
KEY_NAMES = ("A", "Bb", "B", "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab")
TRIADS = {"major": (0, 4, 7), "minor": (0, 3, 7)}


def chords_detection(profiles: np.ndarray, window_frames: int) -> list[str]:
    """Essentia's ChordsDetection (its Key, 'tonictriad' profiles, on the HPCPs averaged over `window_frames` frames
    around each frame) on all frames at once: the same labels, e.g. 'C#' or 'Bbm'.

    Chord choices hang on ties and near-ties (Chimes They Fade has dozens where the major and minor triads
    correlate within 1e-7), so every step repeats Essentia's float32 arithmetic in its order: the window's sum
    frame by frame, the peak normalisation, mean, deviation and each correlation's sum bin by bin; a tie goes to
    the minor triad, and among shifts to the first. A third of the time of Essentia's frame-by-frame loop.
    """
    profiles = np.asarray(profiles, np.float32)
    frames, bins = profiles.shape
    half = window_frames // 2
    padded = np.concatenate([np.zeros((half, bins), np.float32), profiles, np.zeros((half, bins), np.float32)])
    average = np.zeros((frames, bins), np.float32)
    for offset in range(2 * half):  # frames i - half .. i + half - 1, in order; the zeros add nothing
        average += padded[offset:offset + frames]
    index = np.arange(frames)
    average /= (np.minimum(index + half, frames) - np.maximum(index - half, 0)).astype(np.float32)[:, None]
    peak = average.max(1, keepdims=True)
    np.divide(average, peak, out=average, where=peak != 0)
    centred, deviation = _centred(average)
    best: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for scale, triad in TRIADS.items():
        shifted, template_deviation = _triad_template(triad, bins)
        correlation = np.zeros((frames, bins), np.float32)  # frames x shifts
        for i in range(bins):  # summed over the bins in order
            correlation += centred[:, i:i + 1] * shifted[i]
        flat = deviation[:, 0] == 0  # Essentia's Key: a flat profile correlates 0 with every template
        np.divide(correlation, deviation * template_deviation, out=correlation, where=~flat[:, None])
        correlation[flat] = 0
        shift = correlation.argmax(1)
        best[scale] = shift, correlation[index, shift]
    minor = best["minor"][1] >= best["major"][1]
    shift = np.where(minor, best["minor"][0], best["major"][0])
    return [KEY_NAMES[s * 12 // bins] + ("m" if m else "") for s, m in zip(shift.tolist(), minor.tolist())]


def _centred(profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows minus their mean, and the root of their sum of squares (frames x 1), in float32 summed bin by bin in
    order as Essentia's mean and Key do."""
    total = np.zeros(len(profiles), np.float32)
    for column in profiles.T:
        total += column
    centred = profiles - (total / np.float32(profiles.shape[1]))[:, None]
    squares = np.zeros(len(profiles), np.float32)
    for column in centred.T:
        squares += column * column
    return centred, np.sqrt(squares)[:, None]


@lru_cache(maxsize=4)
def _triad_template(triad: tuple[int, ...], bins: int) -> tuple[np.ndarray, np.float32]:
    """Essentia Key's profile of a triad (1 on its pitch classes, interpolated linearly to `bins` bins), centred, as
    bins x shifts: row i holds the value bin i meets at each shift s, the profile's at (i - s) mod bins; and the
    profile's root sum of squares. In float32, as Key::resize computes them."""
    notes = np.zeros(12, np.float32)
    notes[list(triad)] = 1
    per_semitone = bins // 12
    step = (notes - np.roll(notes, -1)) / np.float32(per_semitone)
    profile = (notes[:, None] - np.arange(per_semitone, dtype=np.float32)[None, :] * step[:, None]).ravel()
    centred, deviation = _centred(profile[None, :])
    index = (np.arange(bins)[:, None] - np.arange(bins)[None, :]) % bins
    shifted = centred[0][index]
    shifted.flags.writeable = False
    return shifted, deviation[0, 0]
