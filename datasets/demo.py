"""The demo collection: short clips whytag synthesises itself, so the demo runs offline anywhere.

Each clip is a chord progression over a kick drum on every beat, and carries two tags decided
independently, each by its own perceptual causes:

- arousal, `energetic` or `calm`: tempo and onset density. Energetic clips run at 124–160 BPM with
  the chord re-struck on every eighth note (4–5 onsets a second); calm clips run at 68–88 BPM with
  one sustained chord per bar (about one onset a beat; below 68 BPM the beat tracker doubles the
  tempo). Measured as BPM and Onset-Rate.
- valence, `happy` or `sad`: mode and brightness. Happy clips play a major progression with mostly
  many harmonics; sad clips a minor one with mostly few (the harmonic ranges overlap a little, so
  brightness is a strong cue but the mode is the decisive one). Measured as Scale-Major (the key
  estimate's mode) and Spectral-Centroid, MFCC and the other brightness descriptors.

Clip i gets combination i mod 4 of (happy+energetic, sad+energetic, happy+calm, sad+calm), so every
four consecutive clips hold each combination once and neither tag says anything about the other.
The nuisance parameters vary per clip from a seeded generator, so the tags must be learned: tempo
and harmonic count within their ranges, the tonic, the progression (which moves Key-Strength and
the harmonic-function features but never the mode), how fast the chords decay, the kick's level,
the strike accents and the background noise. Clips are named `NN-<valence>-<arousal>`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SAMPLE_RATE = 22050
MAJOR = (0, 4, 7)
MINOR = (0, 3, 7)
# One chord per bar: (semitones above the tonic, major triad?). Which progression a clip plays is a
# nuisance: it moves the key strength and the harmonic functions, but never the mode.
PROGRESSIONS = {
    True: {"I-IV-V-I": ((0, True), (5, True), (7, True), (0, True)),
           "I-vi-IV-V": ((0, True), (9, False), (5, True), (7, True)),
           "I-V-vi-IV": ((0, True), (7, True), (9, False), (5, True))},
    False: {"i-iv-v-i": ((0, False), (5, False), (7, False), (0, False)),
            "i-iv-V-i": ((0, False), (5, False), (7, True), (0, False)),
            "i-iv-i-V": ((0, False), (5, False), (0, False), (7, True))},
}
COMBINATIONS = ((True, True), (False, True), (True, False), (False, False))  # (happy, energetic), cycled


@dataclass(frozen=True)
class DemoClip:
    """Recipe of one demo clip and the tags it carries."""

    name: str
    bpm: float
    root: int  # MIDI note of the tonic
    major: bool  # mode: decides happy/sad
    progression: str  # a key of PROGRESSIONS[major]
    harmonics: int  # more harmonics → brighter timbre (mostly many in happy clips, few in sad ones)
    strikes_per_beat: float  # how often the chord is struck: 2 (eighth notes) or 1/4 (once per bar)
    decay: float  # chord envelope decay rate, 1/s (a nuisance within each arousal's range)
    kick: float  # kick drum level (nuisance)
    noise: float  # background noise level (nuisance)
    tags: tuple[str, ...]

    @property
    def happy(self) -> bool:
        return "happy" in self.tags

    @property
    def energetic(self) -> bool:
        return "energetic" in self.tags


def demo_clips(n: int = 16, seed: int = 0) -> list[DemoClip]:
    """`n` clip recipes cycling through the four valence × arousal combinations, with seeded variation."""
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        happy, energetic = COMBINATIONS[i % len(COMBINATIONS)]
        valence, arousal = "happy" if happy else "sad", "energetic" if energetic else "calm"
        bpm = float(rng.uniform(124, 160) if energetic else rng.uniform(68, 88))
        harmonics = int(rng.integers(4, 13) if happy else rng.integers(1, 8))
        progression = str(rng.choice(list(PROGRESSIONS[happy])))
        decay = float(rng.uniform(4.0, 8.0) if energetic else rng.uniform(0.4, 1.2))
        clips.append(DemoClip(
            name=f"{i:02d}-{valence}-{arousal}", bpm=round(bpm, 1), root=int(rng.integers(55, 67)), major=happy,
            progression=progression, harmonics=harmonics, strikes_per_beat=2.0 if energetic else 0.25,
            decay=round(decay, 2),
            kick=round(float(rng.uniform(0.5, 1.0)), 2), noise=round(float(rng.uniform(0.001, 0.006)), 4),
            tags=(valence, arousal)))
    return clips


def _chord(clip: DemoClip, chord_root: int, major: bool, t: np.ndarray) -> np.ndarray:
    """One struck chord (a triad of harmonic tones, each harmonic at 1/h) with an exponential decay."""
    triad = MAJOR if major else MINOR
    wave = np.zeros_like(t)
    for interval in triad:
        freq = 440.0 * 2 ** ((chord_root + interval - 69) / 12)
        for h in range(1, clip.harmonics + 1):
            if freq * h < SAMPLE_RATE / 2:
                wave += np.sin(2 * np.pi * freq * h * t) / (h * 3)
    attack = np.minimum(1.0, t / 0.005)  # 5 ms ramp: no click, yet a clear onset
    return attack * np.exp(-t * clip.decay) * wave


def synthesize(clip: DemoClip, seconds: float = 8.0, seed: int = 0) -> np.ndarray:
    """Render a clip: its progression's chord of each bar struck `strikes_per_beat` times a beat, over a
    kick on each beat, plus a little noise; normalised to a peak of 0.5."""
    rng = np.random.default_rng(seed)
    t_total = int(seconds * SAMPLE_RATE)
    out = np.zeros(t_total, dtype=np.float64)
    beat = 60.0 / clip.bpm
    bar = 4 * beat
    strike = beat / clip.strikes_per_beat
    for k in range(int(np.ceil(seconds / strike))):
        onset = k * strike
        start = int(round(onset * SAMPLE_RATE))
        length = min(int(round(strike * SAMPLE_RATE)), t_total - start)
        if length <= 0:
            break
        chords = PROGRESSIONS[clip.major][clip.progression]
        step, major = chords[int(onset / bar + 1e-9) % len(chords)]
        accent = 1.0 if k % 2 == 0 or clip.strikes_per_beat < 1 else float(rng.uniform(0.55, 0.8))
        t = np.arange(length) / SAMPLE_RATE
        out[start:start + length] += accent * _chord(clip, clip.root + step, major, t)
    for k in range(int(seconds / beat) + 1):
        start = int(round(k * beat * SAMPLE_RATE))
        length = min(int(0.12 * SAMPLE_RATE), t_total - start)
        if length <= 0:
            break
        t = np.arange(length) / SAMPLE_RATE
        sweep = np.sin(2 * np.pi * 60 * t * (1 + 2 * np.exp(-t * 40)))  # a pitch drop from 180 Hz to 60 Hz
        out[start:start + length] += clip.kick * np.exp(-t * 30) * sweep
    out /= np.max(np.abs(out))
    out += rng.normal(0, clip.noise, t_total)
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def write_demo(folder: str | Path, n: int = 16, seconds: float = 8.0, seed: int = 0) -> Path:
    """Write the demo clips as WAV into `folder` plus `labels.csv` (path,tag,tag); return the labels file."""
    folder = Path(folder)
    audio_dir = folder / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    labels = folder / "labels.csv"
    with labels.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "tags"])
        for i, clip in enumerate(demo_clips(n, seed)):
            path = audio_dir / f"{clip.name}.wav"
            sf.write(path, synthesize(clip, seconds, seed + i), SAMPLE_RATE, subtype="PCM_16")
            writer.writerow([str(path.relative_to(folder)), ";".join(clip.tags)])
    return labels
