"""The demo collection: short clips whytag synthesises itself, so the demo runs offline anywhere.

Each clip is a chord progression with a beat: "happy" clips are fast, major and bright; "sad" clips
are slow, minor and dark; tempo, root, timbre and noise vary per clip so the tags must be learned.
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


@dataclass(frozen=True)
class DemoClip:
    """Recipe of one demo clip and the tags it carries."""

    name: str
    bpm: float
    root: int  # MIDI note of the tonic
    major: bool
    harmonics: int  # more harmonics → brighter timbre
    tags: tuple[str, ...]


def demo_clips(n: int = 16, seed: int = 0) -> list[DemoClip]:
    """`n` clip recipes, half happy and half sad, with seeded variation."""
    rng = np.random.default_rng(seed)
    clips = []
    for i in range(n):
        happy = i % 2 == 0
        bpm = float(rng.uniform(128, 160) if happy else rng.uniform(60, 84))
        harmonics = int(rng.integers(8, 14) if happy else rng.integers(1, 4))
        mood = "happy" if happy else "sad"
        clips.append(DemoClip(f"{mood}-{i:02d}", round(bpm, 1), int(rng.integers(55, 67)), happy, harmonics,
                              (mood, "energetic" if happy else "calm")))
    return clips


def synthesize(clip: DemoClip, seconds: float = 8.0, seed: int = 0) -> np.ndarray:
    """Render a clip: I–IV–V–I (major) or i–iv–v–i (minor) chords, one per bar, over a kick on each beat."""
    rng = np.random.default_rng(seed)
    t_total = int(seconds * SAMPLE_RATE)
    out = np.zeros(t_total, dtype=np.float64)
    beat = 60.0 / clip.bpm
    bar = 4 * beat
    triad = MAJOR if clip.major else MINOR
    degrees = (0, 5, 7, 0)
    n_bars = int(np.ceil(seconds / bar))
    for b in range(n_bars):
        start = int(b * bar * SAMPLE_RATE)
        length = min(int(bar * SAMPLE_RATE), t_total - start)
        if length <= 0:
            break
        t = np.arange(length) / SAMPLE_RATE
        envelope = np.exp(-t * (1.5 if clip.major else 0.6))
        chord_root = clip.root + degrees[b % 4]
        for interval in triad:
            freq = 440.0 * 2 ** ((chord_root + interval - 69) / 12)
            for h in range(1, clip.harmonics + 1):
                if freq * h < SAMPLE_RATE / 2:
                    out[start:start + length] += envelope * np.sin(2 * np.pi * freq * h * t) / (h * 3)
    for k in range(int(seconds / beat) + 1):
        start = int(k * beat * SAMPLE_RATE)
        length = min(int(0.12 * SAMPLE_RATE), t_total - start)
        if length <= 0:
            break
        t = np.arange(length) / SAMPLE_RATE
        out[start:start + length] += 0.8 * np.exp(-t * 30) * np.sin(2 * np.pi * 60 * t * (1 + 2 * np.exp(-t * 40)))
    out += rng.normal(0, 0.003, t_total)
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
