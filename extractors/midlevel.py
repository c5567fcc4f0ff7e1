"""The mid-level perceptual feature network: a small VGG-style CNN on 15 s log-mel spectrograms.

It predicts the seven ratings of the Aljanaki & Soleymani (2018) mid-level perceptual features dataset
(https://osf.io/5aupt/) and is trained on that dataset in its published layout:

    DATASET_DIR/metadata_annotations/annotations.csv   song_id,melody,articulation,rhythm_complexity,
                                                       rhythm_stability,dissonance,tonal_stability,minorness
    DATASET_DIR/metadata_annotations/metadata.csv      optional; ';'-separated, 'song id' and 'Artist'
    DATASET_DIR/audio/<song_id>.mp3                    (also .wav, .flac, .ogg)

Ratings are mapped to the peer table's names (see RATINGS). Peer "Atonality" is the dataset's *tonal
stability* rating as it is, not its inverse: in the peer GTZAN and Jamendo tables it correlates +0.87
and +0.90 with Melody and -0.68 with Dissonance, as tonal stability does. Ratings are rescaled to 0..1 by
one scale shared by all seven (the smallest and largest rating in the training file unless given), so
their relative levels survive; the network ends in a sigmoid, so predictions stay in 0..1.
"""

from __future__ import annotations

import csv
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from whytag.errors import DatasetError
from whytag.extractors.audio import SUPPORTED_EXTENSIONS, load
from whytag.extractors.base import Audio

SAMPLE_RATE = 22050
N_FFT, HOP, N_MELS = 2048, 512, 96
CLIP_SECONDS = 15.0
CLIP_FRAMES = int(CLIP_SECONDS * SAMPLE_RATE) // HOP + 1
CHANNELS = (16, 32, 64, 128, 128)
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "models" / "midlevel.pt"

# (dataset column, accepted aliases, peer-table feature name)
RATINGS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("melody", ("melodiousness",), "Melody"),
    ("articulation", (), "Articulation"),
    ("rhythm_complexity", ("rhythmic_complexity",), "Rhythm Complexity"),
    ("rhythm_stability", ("rhythmic_stability",), "Rhythm Stability"),
    ("dissonance", (), "Dissonance"),
    ("tonal_stability", (), "Atonality"),
    ("minorness", ("modality",), "Mode"),
)
FEATURE_NAMES = tuple(name for _, _, name in RATINGS)
ID_COLUMNS = ("song_id", "songid", "id")


def log_mel(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Log-compressed mel spectrogram (N_MELS x frames, float32) of mono audio, resampled to 22.05 kHz."""
    import librosa

    from whytag.extractors.audio import resample

    if sample_rate != SAMPLE_RATE:
        samples = resample(samples, sample_rate, SAMPLE_RATE)
    mel = librosa.feature.melspectrogram(y=np.asarray(samples, np.float32), sr=SAMPLE_RATE, n_fft=N_FFT,
                                         hop_length=HOP, n_mels=N_MELS, power=2.0)
    return np.log1p(1000.0 * mel).astype(np.float32)


def clips(spectrogram: np.ndarray) -> np.ndarray:
    """Cut a spectrogram into consecutive CLIP_FRAMES windows (the last one, or a short track, wraps)."""
    count = max(1, math.ceil(spectrogram.shape[1] / CLIP_FRAMES))
    padded = np.pad(spectrogram, ((0, 0), (0, count * CLIP_FRAMES - spectrogram.shape[1])), mode="wrap")
    return padded.reshape(N_MELS, count, CLIP_FRAMES).transpose(1, 0, 2)


class MidLevelNet(nn.Module):
    """VGG-style CNN: conv3x3-BN-ReLU-maxpool blocks, global average pooling, 7 sigmoid outputs."""

    def __init__(self, channels: tuple[int, ...] = CHANNELS, outputs: int = len(RATINGS)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for width in channels:
            layers += [nn.Conv2d(previous, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            previous = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(previous, outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Ratings in 0..1 for a batch of standardised spectrograms (batch x 1 x mels x frames)."""
        return torch.sigmoid(self.head(self.features(x).mean(dim=(2, 3))))


@dataclass
class MidLevelModel:
    """A trained network with the input standardisation and rating scale it was trained with."""

    net: MidLevelNet
    mean: float
    std: float
    scale: tuple[float, float]
    pearson: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> MidLevelModel:
        """Read weights saved by `save` (tensors and plain values only: safe to load)."""
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        net = MidLevelNet(tuple(state["channels"]))
        net.load_state_dict(state["weights"])
        net.eval()
        return cls(net, float(state["mean"]), float(state["std"]), tuple(state["scale"]), dict(state["pearson"]))

    def save(self, path: str | Path) -> None:
        """Write the weights as float16 (about 0.6 MB) with everything needed to use them."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        weights = {k: v.half() if v.is_floating_point() else v for k, v in self.net.state_dict().items()}
        channels = [m.out_channels for m in self.net.features if isinstance(m, nn.Conv2d)]
        torch.save({"weights": weights, "channels": channels, "mean": self.mean, "std": self.std,
                    "scale": list(self.scale), "pearson": self.pearson, "features": list(FEATURE_NAMES)}, path)

    def predict(self, audio: Audio) -> dict[str, float]:
        """The seven ratings (0..1) of a track: the mean over its consecutive 15 s clips."""
        windows = (clips(log_mel(audio.samples, audio.sample_rate)) - self.mean) / self.std
        with torch.inference_mode():
            out = self.net(torch.from_numpy(windows).unsqueeze(1)).mean(dim=0)
        return dict(zip(FEATURE_NAMES, out.tolist()))


# --- dataset ---------------------------------------------------------------------------------------

@dataclass
class MidLevelDataset:
    """Song ids, their audio files, ratings (songs x 7, dataset units) and artists (for the split)."""

    ids: list[str]
    paths: list[Path]
    ratings: np.ndarray
    artists: list[str]


def _normal(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _annotation_file(root: Path) -> Path:
    """The annotations.csv of the published layout (or one at the top of the folder)."""
    for candidate in (root / "metadata_annotations" / "annotations.csv", root / "annotations.csv"):
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root}: no metadata_annotations/annotations.csv (nor annotations.csv); "
                       "expected the layout of the mid-level perceptual features dataset (osf.io/5aupt)")


def _artists(root: Path) -> dict[str, str]:
    """Song id -> artist from metadata_annotations/metadata.csv when present (keeps artists out of both splits)."""
    path = root / "metadata_annotations" / "metadata.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    if not rows or not {"song_id", "artist"} <= {_normal(k) for k in rows[0]}:
        return {}
    return {row[_key(row, "song_id")].strip(): row[_key(row, "artist")].strip() for row in rows}


def _key(row: dict[str, str], normal: str) -> str:
    return next(k for k in row if _normal(k) == normal)


def read_dataset(dataset_dir: str | Path) -> MidLevelDataset:
    """Read annotations and locate audio; DatasetError names the missing file, columns or clips."""
    root = Path(dataset_dir)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    annotations = _annotation_file(root)
    with open(annotations, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise DatasetError(f"{annotations}: no rows")
    header = [_normal(h) for h in rows[0]]
    id_column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    columns = [next((header.index(c) for c in (col, *aliases) if c in header), None) for col, aliases, _ in RATINGS]
    missing = [col for (col, _, _), index in zip(RATINGS, columns) if index is None]
    if id_column is None or missing:
        raise DatasetError(f"{annotations}: missing columns {(['song_id'] if id_column is None else []) + missing}"
                           f"; found {rows[0]}")
    audio_dir = root / "audio"
    artist_of = _artists(root)
    ids, paths, ratings, artists, absent = [], [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        song = row[id_column].strip()
        try:
            values = [float(row[i]) for i in columns]
        except (ValueError, IndexError):
            raise DatasetError(f"{annotations}:{line}: ratings are not all numbers: {row}") from None
        path = next((audio_dir / f"{song}{ext}" for ext in SUPPORTED_EXTENSIONS
                     if (audio_dir / f"{song}{ext}").is_file()), None)
        if path is None:
            absent.append(song)
            continue
        ids.append(song)
        paths.append(path)
        ratings.append(values)
        artists.append(artist_of.get(song, song))
    if not ids:
        raise DatasetError(f"{audio_dir}: none of the {len(absent)} annotated clips has an audio file "
                           f"(expected e.g. {audio_dir / (absent[0] + '.mp3') if absent else 'audio/<song_id>.mp3'})")
    if absent:
        warnings.warn(f"{audio_dir}: {len(absent)} annotated clips have no audio file and are skipped "
                      f"(first: {', '.join(absent[:5])})", stacklevel=2)
    return MidLevelDataset(ids, paths, np.array(ratings, np.float32), artists)


def split_by_artist(artists: list[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and held-out indices with about `fraction` held out and no artist on both sides."""
    rng = np.random.default_rng(seed)
    names = sorted(set(artists))
    rng.shuffle(names)
    target = max(1, round(fraction * len(artists)))
    held: set[str] = set()
    count = 0
    for name in names:
        if count >= target:
            break
        held.add(name)
        count += artists.count(name)
    held_out = np.array([i for i, a in enumerate(artists) if a in held])
    train = np.array([i for i, a in enumerate(artists) if a not in held])
    return train, held_out


# --- training --------------------------------------------------------------------------------------

@dataclass
class TrainReport:
    """What a training run did: losses per epoch, the epoch kept, and held-out Pearson r per feature."""

    train_loss: list[float]
    validation_loss: list[float]
    best_epoch: int
    pearson: dict[str, float]
    out_path: Path


def _crop(spectrogram: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random CLIP_FRAMES window (training augmentation); short clips wrap around."""
    if spectrogram.shape[1] <= CLIP_FRAMES:
        return clips(spectrogram)[0]
    start = int(rng.integers(0, spectrogram.shape[1] - CLIP_FRAMES + 1))
    return spectrogram[:, start:start + CLIP_FRAMES]


def _pearson(predicted: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Pearson r per feature (0 where either side is constant)."""
    result = {}
    for k, name in enumerate(FEATURE_NAMES):
        p, t = predicted[:, k] - predicted[:, k].mean(), target[:, k] - target[:, k].mean()
        denominator = float(np.sqrt((p * p).sum() * (t * t).sum()))
        result[name] = float((p * t).sum() / denominator) if denominator > 0 else 0.0
    return result


def train_midlevel(dataset_dir: str | Path, out_path: str | Path = DEFAULT_WEIGHTS, epochs: int = 30,
                   batch_size: int = 16, learning_rate: float = 1e-3, validation_fraction: float = 0.1,
                   patience: int = 5, seed: int = 0, rating_scale: tuple[float, float] | None = None,
                   progress: bool = True) -> TrainReport:
    """Train the mid-level network with a held-out split and early stopping; save the best weights.

    Prints the per-feature Pearson correlation on the held-out split at the end and returns it.
    """
    from tqdm import tqdm

    data = read_dataset(dataset_dir)
    if len(data.ids) < 2:
        raise DatasetError(f"{dataset_dir}: need at least 2 clips with audio, found {len(data.ids)}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lo, hi = rating_scale or (float(data.ratings.min()), float(data.ratings.max()))
    targets = np.clip((data.ratings - lo) / max(hi - lo, 1e-9), 0.0, 1.0).astype(np.float32)
    spectrograms = [log_mel(load(p, SAMPLE_RATE).samples, SAMPLE_RATE).astype(np.float16)
                    for p in tqdm(data.paths, desc="spectrograms", unit="clip", disable=not progress)]
    train, held_out = split_by_artist(data.artists, validation_fraction, seed)
    if not len(train) or not len(held_out):
        raise DatasetError(f"{dataset_dir}: cannot hold out clips of some artists and train on others "
                           f"({len(set(data.artists))} artists)")
    moments = np.array([(s.mean(dtype=np.float64), np.square(s, dtype=np.float64).mean()) for s in
                        (spectrograms[i] for i in train)]).mean(axis=0)
    std = math.sqrt(max(moments[1] - moments[0] ** 2, 0.0)) or 1.0
    model = MidLevelModel(MidLevelNet(), float(moments[0]), std, (lo, hi))
    held_x = torch.from_numpy((np.stack([clips(spectrograms[i].astype(np.float32))[0] for i in held_out])
                               - model.mean) / model.std).unsqueeze(1)
    held_y = torch.from_numpy(targets[held_out])
    optimiser = torch.optim.AdamW(model.net.parameters(), lr=learning_rate, weight_decay=1e-4)
    loss_fn = nn.MSELoss()
    report = TrainReport([], [], -1, {}, Path(out_path))
    best, best_state, stale = math.inf, None, 0
    steps = epochs * math.ceil(len(train) / batch_size)
    with tqdm(total=steps, desc="training midlevel", unit="batch", disable=not progress) as bar:
        for epoch in range(epochs):
            model.net.train()
            order = rng.permutation(train)
            losses = []
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                x = np.stack([_crop(spectrograms[i], rng).astype(np.float32) for i in batch])
                x = torch.from_numpy((x - model.mean) / model.std).unsqueeze(1)
                optimiser.zero_grad()
                loss = loss_fn(model.net(x), torch.from_numpy(targets[batch]))
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
                bar.update()
            model.net.eval()
            with torch.inference_mode():
                predicted = model.net(held_x)
            report.train_loss.append(float(np.mean(losses)))
            report.validation_loss.append(float(loss_fn(predicted, held_y)))
            bar.set_postfix(train=f"{report.train_loss[-1]:.4f}", held_out=f"{report.validation_loss[-1]:.4f}")
            if report.validation_loss[-1] < best:
                best, stale, report.best_epoch = report.validation_loss[-1], 0, epoch
                best_state = {k: v.clone() for k, v in model.net.state_dict().items()}
                report.pearson = _pearson(predicted.numpy(), held_y.numpy())
            else:
                stale += 1
                if stale >= patience:
                    break
    model.net.load_state_dict(best_state)
    model.pearson = report.pearson
    model.save(out_path)
    print(f"held-out Pearson r ({len(held_out)} clips, epoch {report.best_epoch + 1}):")
    for name, r in report.pearson.items():
        print(f"  {name:<18} {r:+.3f}")
    print(f"weights saved to {out_path}")
    return report
