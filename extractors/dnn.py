"""The dnn feature group: features from neural networks that run offline, each behind an optional extra.

- Mid-level perceptual ratings (Melody, Articulation, Rhythm Complexity, Rhythm Stability, Dissonance,
  Atonality, Mode): whytag's own network (`whytag.extractors.midlevel`, needs torch: extra `dnn`), from
  weights trained with `train_midlevel`; without a weights file these seven are absent.
- Note transcription (Melodic-Range, Note-Density, Polyphony): Spotify's basic-pitch model (Apache-2.0),
  its shipped `nmp.onnx` run with onnxruntime, so no TensorFlow (extra `transcribe`, plus
  `pip install --no-deps basic-pitch==0.4.0`: its metadata pulls TensorFlow 2.15, which needs numpy<2).
- Vocal presence (Vocal-Instrumental): the MagnaTagATune musicnn tagger (ISC), which needs TensorFlow
  (extra `musicnn`, plus `pip install --no-deps musicnn==0.1.0`: its metadata pins numpy<1.17).

A missing package or weights file drops only its features, with one warning per process naming the fix.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from whytag.extractors.audio import resample
from whytag.extractors.base import Audio, FeatureSet

# basic-pitch's model: 22.05 kHz input in windows of 2 s less one hop, 86 frames/s, 88 piano keys from A0.
BP_RATE, BP_HOP = 22050, 256
BP_WINDOW = 2 * BP_RATE - BP_HOP
BP_OVERLAP_FRAMES = 30
BP_LOWEST_MIDI = 21
ONSET_THRESHOLD, FRAME_THRESHOLD = 0.5, 0.3  # basic-pitch's defaults
MIN_NOTE_FRAMES, GAP_TOLERANCE_FRAMES = 11, 11  # about 127 ms, as basic-pitch

MUSICNN_RATE, MUSICNN_SECONDS = 16000, 3.0
VOCAL_TAGS = ("vocal", "vocals", "singing", "voice", "male", "female", "man", "woman", "male vocal",
              "female vocal", "male voice", "female voice", "choir", "choral", "opera")
NO_VOCAL_TAGS = ("no vocal", "no vocals", "no voice")

_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    """Warn about a missing network once per process, so a batch of tracks is not flooded."""
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _optional(module: str, install: str, features: str) -> ModuleType | None:
    """Import an optional package, or warn once that `features` are skipped and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        _warn_once(module, f"whytag.dnn: {features} not measured: {module} is not installed ({install})")
        return None


# --- transcription ---------------------------------------------------------------------------------

def basic_pitch_model_path() -> Path | None:
    """basic-pitch's shipped ONNX model, found without importing the package (its import needs TensorFlow)."""
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "saved_models" / "icassp_2022" / "nmp.onnx"
    return path if path.is_file() else None


def basic_pitch_posteriors(session: Any, samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame (note) and onset posteriors, frames x 88 keys, windowed and stitched as basic-pitch does."""
    x = resample(samples, sample_rate, BP_RATE) if sample_rate != BP_RATE else np.asarray(samples, np.float32)
    overlap = BP_OVERLAP_FRAMES * BP_HOP
    hop = BP_WINDOW - overlap
    padded = np.concatenate([np.zeros(overlap // 2, np.float32), x.astype(np.float32)])
    count = -(-len(padded) // hop)
    padded = np.pad(padded, (0, (count - 1) * hop + BP_WINDOW - len(padded)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, BP_WINDOW)[::hop][:count, :, None]
    note, onset = session.run(["StatefulPartitionedCall:1", "StatefulPartitionedCall:2"],
                              {session.get_inputs()[0].name: np.ascontiguousarray(windows)})
    trim = BP_OVERLAP_FRAMES // 2
    frames = int(len(x) * (BP_RATE // BP_HOP) / BP_RATE)
    return (note[:, trim:-trim].reshape(-1, note.shape[2])[:frames],
            onset[:, trim:-trim].reshape(-1, onset.shape[2])[:frames])


def decode_notes(note: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Notes (start frame, end frame, MIDI pitch) from posteriors: an onset peak, held while the frame is on.

    A simplified form of basic-pitch's decoding (no inferred onsets, no melodia trick).
    """
    active = note.copy()
    peaks = (onset > ONSET_THRESHOLD)
    peaks[1:] &= onset[1:] >= onset[:-1]
    peaks[:-1] &= onset[:-1] >= onset[1:]
    notes = []
    for start, key in sorted(zip(*np.nonzero(peaks))):
        if active[start, key] == 0.0:  # inside a note already decoded
            continue
        end, gap = start, 0
        for t in range(start + 1, len(active)):
            if active[t, key] >= FRAME_THRESHOLD:
                end, gap = t, 0
            else:
                gap += 1
                if gap > GAP_TOLERANCE_FRAMES:
                    break
        if end - start + 1 >= MIN_NOTE_FRAMES:
            notes.append((start, end + 1, key + BP_LOWEST_MIDI))
            active[start:end + 1, key] = 0.0
    return np.array(notes, dtype=np.int64).reshape(-1, 3)


def note_statistics(notes: np.ndarray, duration: float) -> dict[str, float]:
    """Melodic range (semitones, 5th to 95th percentile pitch), notes per second, mean polyphony."""
    if not len(notes):
        return {"Melodic-Range": 0.0, "Note-Density": 0.0, "Polyphony": 0.0}
    low, high = np.percentile(notes[:, 2], [5, 95])
    sounding = np.zeros(int(notes[:, 1].max()), np.int64)
    for start, end, _ in notes:
        sounding[start:end] += 1
    return {"Melodic-Range": float(high - low),
            "Note-Density": len(notes) / max(duration, 1e-9),
            "Polyphony": float(sounding[sounding > 0].mean())}


# --- vocal presence --------------------------------------------------------------------------------

def vocal_evidence(tags: list[str], taggram: np.ndarray) -> float:
    """Evidence of singing voice, 0..1: strongest vocal tag against the strongest 'no vocal' tag."""
    mean = taggram.mean(axis=0)
    vocal = max(mean[tags.index(t)] for t in VOCAL_TAGS)
    none = max(mean[tags.index(t)] for t in NO_VOCAL_TAGS)
    return float(vocal / max(vocal + none, 1e-9))


class MusicnnTagger:
    """musicnn's MagnaTagATune tagger, with its shipped weights, in a TensorFlow graph built once.

    The spectrogram is computed here in float32: musicnn's own `extractor` casts the mel power to float16
    before scaling it by 10000, which overflows to inf (then NaN tags) on music at normal levels.
    """

    def __init__(self, tf: ModuleType) -> None:
        from musicnn import configuration, models

        self.config = configuration
        self.frames = int(MUSICNN_SECONDS * MUSICNN_RATE) // configuration.FFT_HOP + 1
        self.session = tf.compat.v1.Session(graph=tf.Graph())
        with self.session.graph.as_default(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.compat.v1.layers deprecation notices
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, self.frames, configuration.N_MELS])
                self.training = tf.compat.v1.placeholder(tf.bool)
                logits = models.define_model(self.x, self.training, "MTT_musicnn", len(configuration.MTT_LABELS))[0]
                self.y = tf.nn.sigmoid(logits)
            tf.compat.v1.train.Saver().restore(self.session, str(Path(models.__file__).parent / "MTT_musicnn") + "/")
        self.tags = list(configuration.MTT_LABELS)

    def taggram(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Tag likelihoods (patches x tags) for consecutive 3 s patches; a short clip is repeated to one patch."""
        import librosa

        x = resample(samples, sample_rate, MUSICNN_RATE) if sample_rate != MUSICNN_RATE else samples
        mel = librosa.feature.melspectrogram(y=np.asarray(x, np.float32), sr=MUSICNN_RATE,
                                             hop_length=self.config.FFT_HOP, n_fft=self.config.FFT_SIZE,
                                             n_mels=self.config.N_MELS).T
        mel = np.log10(10000.0 * mel + 1.0)
        if len(mel) < self.frames:
            mel = np.resize(mel, (self.frames, mel.shape[1]))
        count = len(mel) // self.frames
        patches = mel[:count * self.frames].reshape(count, self.frames, -1)
        return self.session.run(self.y, {self.x: patches, self.training: False})


# --- the extractor ---------------------------------------------------------------------------------

class DnnExtractor:
    """The dnn feature group: whatever of the mid-level, transcription and vocal networks is installed."""

    name = "whytag.dnn"
    version = "1.0"

    def __init__(self, midlevel_weights: str | Path | None = None, midlevel: bool = True,
                 transcription: bool = True, vocal: bool = True) -> None:
        self.midlevel_weights = midlevel_weights
        self.use = {"midlevel": midlevel, "transcription": transcription, "vocal": vocal}
        self._loaded: dict[str, Any] = {}

    def _component(self, name: str) -> Any:
        """Load a network on first use (None when it is unavailable; warned once)."""
        if name not in self._loaded:
            self._loaded[name] = getattr(self, f"_load_{name}")() if self.use[name] else None
        return self._loaded[name]

    def _load_midlevel(self) -> Any:
        if _optional("torch", "pip install 'whytag[dnn]'", "mid-level features") is None:
            return None
        from whytag.extractors.midlevel import DEFAULT_WEIGHTS, MidLevelModel

        path = Path(self.midlevel_weights or DEFAULT_WEIGHTS)
        if not path.is_file():
            _warn_once(f"weights:{path}", f"whytag.dnn: mid-level features not measured: no weights at {path} "
                       "(train them with `whytag train midlevel DATASET_DIR`)")
            return None
        return MidLevelModel.load(path)

    def _load_transcription(self) -> Any:
        ort = _optional("onnxruntime", "pip install 'whytag[transcribe]'", "note features")
        if ort is None:
            return None
        path = basic_pitch_model_path()
        if path is None:
            _warn_once("basic_pitch", "whytag.dnn: note features not measured: basic-pitch's model is not "
                       "installed (pip install --no-deps basic-pitch==0.4.0)")
            return None
        options = ort.SessionOptions()
        options.log_severity_level = 3
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _load_vocal(self) -> Any:
        install = "pip install 'whytag[musicnn]' && pip install --no-deps musicnn==0.1.0"
        # musicnn builds tf.compat.v1.layers graphs: under TensorFlow >= 2.16 they need tf-keras (Keras 2).
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        tf = _optional("tensorflow", install, "Vocal-Instrumental")
        if tf is None or _optional("musicnn", install, "Vocal-Instrumental") is None:
            return None
        return MusicnnTagger(tf)

    def extract(self, audio: Audio) -> FeatureSet:
        """Measure every dnn feature whose network is available on `audio`."""
        features = FeatureSet(self.name, self.version, started=datetime.now(UTC))
        measured: dict[str, float] = {}
        if (model := self._component("midlevel")) is not None:
            measured.update(model.predict(audio))
        if (session := self._component("transcription")) is not None:
            notes = decode_notes(*basic_pitch_posteriors(session, audio.samples, audio.sample_rate))
            measured.update(note_statistics(notes, audio.duration))
        if (tagger := self._component("vocal")) is not None:
            measured["Vocal-Instrumental"] = vocal_evidence(tagger.tags, tagger.taggram(audio.samples,
                                                                                       audio.sample_rate))
        for name, value in measured.items():
            features.add(name, value, group="dnn")
        features.ended = datetime.now(UTC)
        return features
