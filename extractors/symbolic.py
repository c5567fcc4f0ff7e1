"""Chord transcription with Essentia: audio → key and chord events, the input of functional harmony.

HPCP chroma (MusicExtractor's chord settings) feeds ChordsDetection (Essentia's, repeated over all frames at once
by `chroma.chords_detection`), which labels every 46 ms frame
with the best-matching major or minor triad over a sliding window; consecutive identical labels are
merged into one event, and events shorter than `MIN_EVENT` seconds are absorbed by their predecessor
so that a flicker does not count as a chord. ChordsDetection knows only triads, so a major event whose
mean (linear) chroma holds a strong minor seventh is relabelled a dominant seventh (X7): blues and jazz need
that distinction, and secondary dominants are defined by it. The key comes from Essentia's Key
(Temperley profile) on the track's mean chroma. The harmonic functions and the 32 features are not
decided here: `whytag.kg.chords` asserts the events in the graph and lets an OWL 2 RL reasoner decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

import numpy as np

from whytag.extractors.audio import resample
from whytag.extractors.base import Audio, FeatureSet
from whytag.extractors.chroma import (
    BLOCK_FRAMES,
    HPCP_MAX_HZ,
    HPCP_PEAKS,
    FramePeaks,
    chords_detection,
    essentia_window,
    framed_from_start,
    key_and_chord_profiles,
    spectral_peaks,
)
from whytag.extractors.essentia_quiet import es, essentia, per_frame

SAMPLE_RATE = 44100
FRAME, HOP = 4096, 2048
CHORD_WINDOW = 1.0  # seconds of chroma ChordsDetection averages around each frame
MIN_EVENT = 0.5  # seconds; shorter chord runs are absorbed by the preceding event
SEVENTH_RATIO = 0.35  # minor-seventh / mean triad level in the linear chroma above which a major chord is an X7
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
PITCH_CLASSES = {**{n: i for i, n in enumerate(NOTE_NAMES)},
                 "Db": 1, "D#": 3, "Gb": 6, "G#": 8, "A#": 10}
QUALITIES = ("maj", "min", "7")  # what this transcriber can tell apart
SUFFIX = {"maj": "", "min": "m", "7": "7"}


@dataclass(frozen=True)
class ChordEvent:
    """One transcribed chord: symbol (e.g. G7), root pitch class (0 = C), quality, onset and duration (s)."""

    symbol: str
    root: int
    quality: str
    onset: float
    duration: float


def chord_symbol(root: int, quality: str) -> str:
    """The conventional symbol of a chord: C, Am, G7."""
    return NOTE_NAMES[root % 12] + SUFFIX[quality]


class SymbolicExtractor:
    """Transcribes key and chord events; the features themselves are reasoned in the graph."""

    name = "whytag.symbolic"
    version = f"0.1.0 (essentia {essentia.__version__})"

    def transcribe(self, audio: Audio) -> tuple[str, str, list[ChordEvent]]:
        """Key tonic (e.g. 'Eb'), scale ('major'/'minor') and merged chord events of a recording."""
        x = audio.samples if audio.sample_rate == SAMPLE_RATE else resample(audio.samples, audio.sample_rate,
                                                                            SAMPLE_RATE)
        chord_chroma, key_chroma = _chroma(np.asarray(x, dtype=np.float32))
        if len(chord_chroma) == 0 or not np.any(key_chroma):
            return "C", "major", []
        key, scale, _, _ = es.Key(numHarmonics=4, pcpSize=36, profileType="temperley", slope=0.6,
                                  usePolyphony=True, useThreeChords=True)(np.mean(key_chroma, axis=0))
        labels = chords_detection(chord_chroma, int(CHORD_WINDOW * SAMPLE_RATE / HOP) - 1)
        return key, scale, _events(labels, _pitch_class_chroma(key_chroma))

    def extract(self, audio: Audio) -> FeatureSet:
        """A FeatureSet with no values yet: the key and chord events go in `extras` for the graph stage."""
        started = datetime.now(UTC)
        key, scale, events = self.transcribe(audio)
        return FeatureSet(self.name, self.version, started=started, ended=datetime.now(UTC),
                          extras={"key": key, "scale": scale, "chords": events})


def _chroma(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame 36-bin HPCP for chords (band-split, non-linear) and for the key, as MusicExtractor (A = 440 Hz)."""
    peaks = es.SpectralPeaks(minFrequency=20, maxFrequency=HPCP_MAX_HZ, maxPeaks=HPCP_PEAKS, magnitudeThreshold=1e-5,
                             orderBy="magnitude", sampleRate=SAMPLE_RATE)
    frames = framed_from_start(x, FRAME, HOP)  # as FrameGenerator(startFromZero=True)
    blocks = (frames[start:start + BLOCK_FRAMES] for start in range(0, len(frames), BLOCK_FRAMES))
    found = FramePeaks.of(spectral_peaks(blocks, essentia_window(FRAME), per_frame(peaks)))
    key_chroma, chord_chroma = key_and_chord_profiles(found, reference=440.0)
    return chord_chroma, key_chroma


def _pitch_class_chroma(hpcp36: np.ndarray) -> np.ndarray:
    """36-bin HPCP (bin 0 = A) folded to 12 pitch classes with C first."""
    centred = np.roll(hpcp36, 1, axis=1)  # bin 0 is centred on A: group bins (35, 0, 1) as A
    folded = centred.reshape(len(hpcp36), 12, 3).sum(axis=2)
    return np.roll(folded, -3, axis=1)  # A-first → C-first (A is pitch class 9)


def _events(labels: list[str], chroma: np.ndarray) -> list[ChordEvent]:
    """Merge frame labels into runs, absorb runs under MIN_EVENT, detect sevenths, merge equal neighbours."""
    seconds = HOP / SAMPLE_RATE
    runs: list[list] = []  # [label, first frame, frame count]
    start = 0
    for label, group in groupby(labels):
        count = len(list(group))
        if runs and count * seconds < MIN_EVENT:
            runs[-1][2] += count  # a flicker belongs to the chord before it
        else:
            runs.append([label, start, count])
        start += count
    events: list[ChordEvent] = []
    for label, start, count in runs:
        minor = label.endswith("m")
        root = PITCH_CLASSES[label[:-1] if minor else label]
        quality = "min" if minor else _major_or_seventh(root, chroma[start:start + count].mean(axis=0))
        if events and (events[-1].root, events[-1].quality) == (root, quality):
            last = events.pop()
            events.append(ChordEvent(last.symbol, root, quality, last.onset, last.duration + count * seconds))
        else:
            events.append(ChordEvent(chord_symbol(root, quality), root, quality, start * seconds, count * seconds))
    return events


def _major_or_seventh(root: int, chroma: np.ndarray) -> str:
    """'7' when the minor seventh above the root sounds nearly as strongly as the triad, else 'maj'."""
    triad = chroma[[root, (root + 4) % 12, (root + 7) % 12]].mean()
    return "7" if triad > 0 and chroma[(root + 10) % 12] >= SEVENTH_RATIO * triad else "maj"
