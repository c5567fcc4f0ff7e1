"""Decoding audio files, in one place: probe metadata, hash bytes, load samples (mono, and the channels), whole
or, for a long recording, one window at a time (`load_windows`: memory that of one window, not of the file)."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
from threadpoolctl import threadpool_limits

from whytag import WhytagError
from whytag.extractors.base import Audio

SUPPORTED_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".au")
PROBE_FRAMES = 4096  # frames decoded at each end of a file to check its header's promise
# Files up to 10 minutes are decoded and measured whole; longer ones (DJ mixes, concerts, radio archives) in
# windows of at most this length: extracting a 2-hour WAV whole took 9.2 GB (issue #29), ~1.3 MB a second.
WINDOW_SECONDS = 600.0
RESAMPLE_BLOCK = 2048  # output blocks per matrix product: 2 MB of input windows at 48 to 44.1 kHz


class AudioError(WhytagError):
    """A file that cannot be used as audio; the message names the file and the reason."""


@dataclass(frozen=True)
class AudioInfo:
    """What ingest records about an audio file."""

    path: str
    format: str
    sample_rate: int
    channels: int
    duration: float
    sha256: str
    size: int


def sha256_of(path: str | os.PathLike) -> str:
    """SHA-256 of the file's bytes: the track's identity, independent of its name or place."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def probe(path: str | os.PathLike) -> AudioInfo:
    """Read the header and hash of an audio file; raise AudioError if it is not usable audio."""
    path = Path(path)
    name = str(path.resolve())
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise AudioError(f"{path}: the file name is not valid UTF-8, so the graph cannot record it "
                         "(rename the file)") from None
    size = path.stat().st_size
    if size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not decodable audio ({_reason(err)})") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{path}: no audio frames")
    # Headers can lie (a fake mp3, a copy cut short): decode the first and the last block to be sure
    # the sound the header promises is there, without decoding the whole file.
    try:
        with sf.SoundFile(str(path)) as handle:
            handle.read(min(info.frames, PROBE_FRAMES), dtype="float32")
            if info.frames > PROBE_FRAMES and handle.seekable():
                handle.seek(info.frames - PROBE_FRAMES)
                tail = handle.read(PROBE_FRAMES, dtype="float32")
                if len(tail) < PROBE_FRAMES:
                    raise AudioError(f"{path}: truncated (the header promises {info.frames / info.samplerate:.1f} s "
                                     "but the audio data ends early)")
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: audio data unreadable or truncated ({_reason(err)})") from None
    return AudioInfo(
        path=name,
        format=info.format.lower(),
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        duration=float(info.frames) / info.samplerate,
        sha256=sha256_of(path),
        size=size,
    )


def load(path: str | os.PathLike, sample_rate: int | None = 44100) -> Audio:
    """Decode a file to mono float32, resampled to `sample_rate` (None keeps the file's rate); a file of
    several channels also keeps them, at its own rate."""
    data, rate = _decode(path)
    return _audio(data, rate, path, sample_rate)


def load_windows(path: str | os.PathLike, sample_rate: int | None = 44100,
                 seconds: float = WINDOW_SECONDS) -> Iterator[tuple[float, Audio]]:
    """The file as (start in seconds, Audio) windows of equal length, at most `seconds` each, decoded one at a time
    so that memory is that of one window whatever the file's length. A file no longer than `seconds` is one
    window, decoded whole by `load` (so measured exactly as before); longer ones are read in blocks by libsndfile."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not decodable audio ({_reason(err)})") from None
    if info.frames <= seconds * info.samplerate:
        yield 0.0, load(path, sample_rate)
        return
    step = math.ceil(info.frames / math.ceil(info.frames / (seconds * info.samplerate)))
    try:
        with sf.SoundFile(str(path)) as handle:
            for start in range(0, info.frames, step):
                data = handle.read(step, dtype="float32", always_2d=True)
                if len(data) == 0:  # the header promised more than the data holds
                    return
                window = _audio(data, int(info.samplerate), path, sample_rate)
                del data
                yield start / info.samplerate, window
                del window  # freed before the next read when the caller let go of it too: one window at a time
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: audio data unreadable ({_reason(err)})") from None


def _audio(data: np.ndarray, rate: int, path: str | os.PathLike, sample_rate: int | None) -> Audio:
    """Decoded frames (frames x channels) as Audio: the mono mix resampled to `sample_rate`, the channels kept."""
    if data.shape[0] == 0:
        raise AudioError(f"{path}: no audio frames")
    data = finite(data)  # before the mix, so a bad sample does not smear through the resampler's filter
    mono = data @ np.full(data.shape[1], 1.0 / data.shape[1], dtype=np.float32)  # 2x faster than mean(axis=1)
    channels = data if data.shape[1] > 1 else None
    if sample_rate and rate != sample_rate:
        mono = finite(resample(mono, rate, sample_rate, like_essentia=True))
    return Audio(np.ascontiguousarray(mono, dtype=np.float32), int(sample_rate or rate), str(path), channels, rate)


def finite(samples: np.ndarray) -> np.ndarray:
    """The samples with NaN as 0 and infinities as +-1, copied only if there is one: NaN or infinity makes the sum
    non-finite, and summing costs a tenth of nan_to_num's pass (0.25 CPU s of a 4-minute track, three passes)."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, or a sum past float32's range: checked below
        if np.isfinite(samples.sum()):
            return samples
    return np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)


def _decode(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """The file's samples (frames x channels, float32) and rate.

    Files of one or two channels are decoded by FFmpeg through Essentia's AudioLoader, MusicExtractor's own
    decoder: libsndfile ends Ogg Vorbis files 64 to 704 samples earlier (it trims the last packet to the
    stream's end position, FFmpeg does not), enough to add or lose an onset at the end of a track and to move
    beats and frame-wise means (issue #31). Files of more channels, which AudioLoader refuses, go through
    libsndfile.
    """
    try:
        channels = sf.info(str(path)).channels
        if channels > 2:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
            return data, int(rate)
        from whytag.extractors.essentia_quiet import es

        data, rate, decoded_channels, _, _, _ = es.AudioLoader(filename=str(path))()
    except (sf.LibsndfileError, RuntimeError) as err:
        raise AudioError(f"{path}: not decodable audio ({_reason(err)})") from None
    return (data[:, :1] if decoded_channels == 1 else data), int(rate)  # AudioLoader doubles a mono channel


# Essentia's Resample (libsamplerate's medium-quality sinc, MusicExtractor's) is 3 dB down at 20 kHz and 84 dB at
# 22.05 kHz when it takes 48 to 44.1 kHz; SciPy's default polyphase filter (Kaiser, beta 5) passes up to the new
# Nyquist frequency and stops only about 50 dB of the rest. What it lets through fills bands that are nearly
# empty: March Thee to Dis's 4-20 kHz band (90 dB under its bass) came out 1.5% louder and lost an onset (3%).
# A Kaiser sinc 2.5 times as long (beta 7.5), 6 dB down at 92% of the lower Nyquist frequency, brings both, and
# every spectral feature on the 16 singularity tracks, within 0.01%; as matrix products (`resample`), 0.1 CPU s per
# 4 minutes at 48 kHz (scipy's upfirdn loop took 0.45 s).
ESSENTIA_CUTOFF, ESSENTIA_HALF_TAPS, ESSENTIA_KAISER_BETA = 0.9206, 25, 7.5


def resample(samples: np.ndarray, source_rate: int, target_rate: int, *, like_essentia: bool = False) -> np.ndarray:
    """Band-limited polyphase resampling, float32, exact for integer rate ratios: SciPy's resample_poly (same filter,
    same alignment, zero padding), computed as matrix products; `like_essentia` low-passes as MusicExtractor's
    resampler does (a longer filter)."""
    divisor = math.gcd(int(source_rate), int(target_rate))
    up, down = int(target_rate) // divisor, int(source_rate) // divisor
    x = np.asarray(samples, np.float32)
    if up == down:
        return x.copy()
    matrix, first = _polyphase(up, down, like_essentia)
    width = matrix.shape[0]
    blocks = -(-len(x) * up // down) // up + 1  # blocks of `up` outputs, the last one partly past the end
    padded = np.zeros((blocks - 1) * down + width, np.float32)  # padded[i] is x[first + i], zero outside x
    low, high = max(0, first), min(len(x), first + len(padded))
    padded[low - first:high - first] = x[low:high]
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[::down]
    out = np.empty((blocks, up), np.float32)
    with threadpool_limits(limits=1, user_api="blas"):  # one core: BLAS threads would only spin
        for start in range(0, blocks, RESAMPLE_BLOCK):
            np.matmul(np.ascontiguousarray(windows[start:start + RESAMPLE_BLOCK]), matrix,
                      out=out[start:start + RESAMPLE_BLOCK])
    return out.ravel()[:-(-len(x) * up // down)]


@lru_cache(maxsize=8)
def _polyphase(up: int, down: int, like_essentia: bool) -> tuple[np.ndarray, int]:
    """resample_poly's filter as a (window x up) matrix: output up*q + r is the window of input samples starting at
    down*q + `first` times column r. One product per block replaces its per-sample loop (5x less CPU).

    Output m is sum over n of x[n] * h[m*down + half - n*up] (h scaled by up, half its half-length): for m = up*q + r,
    the taps h[phase_r + j*up] on x[down*q + newest_r - j].
    """
    taps = _lowpass(max(up, down), like_essentia) * np.float32(up)
    half = (len(taps) - 1) // 2
    per_phase = -(-len(taps) // up)
    offsets = np.arange(up) * down + half
    newest, phase = offsets // up, offsets % up
    first = int(newest[0]) - (per_phase - 1)
    matrix = np.zeros((int(newest[-1]) - first + 1, up), np.float32)
    tap = phase[:, None] + np.arange(per_phase) * up  # (up, per_phase)
    row = newest[:, None] - np.arange(per_phase) - first
    column = np.broadcast_to(np.arange(up)[:, None], tap.shape)
    inside = tap < len(taps)
    matrix[row[inside], column[inside]] = taps[tap[inside]]
    matrix.flags.writeable = False  # shared by every call
    return matrix, first


@lru_cache(maxsize=8)
def _lowpass(factor: int, like_essentia: bool) -> np.ndarray:
    """resample_poly's low-pass at the upsampled rate for `factor` = max(up, down), float32 so it runs in float32:
    its default (Kaiser, beta 5, cut at the lower Nyquist frequency) or MusicExtractor's."""
    from scipy.signal import firwin

    if like_essentia:
        return firwin(2 * ESSENTIA_HALF_TAPS * factor + 1, ESSENTIA_CUTOFF / factor,
                      window=("kaiser", ESSENTIA_KAISER_BETA)).astype(np.float32)
    return firwin(2 * 10 * factor + 1, 1.0 / factor, window=("kaiser", 5.0)).astype(np.float32)


def find_audio(paths: list[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into candidate audio files (sorted); also return a line per path not usable.

    Folders are walked following symbolic links, each directory once (a link loop ends there); a
    folder that cannot be listed, a link that leads nowhere and a folder with no audio file in it are
    reported, not skipped silently.
    """
    found: list[Path] = []
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = _walk(path, problems)
            if not inside:  # an empty folder, or a mistyped one holding something else: say so, not "0 file(s)"
                problems.append(f"{path}: no audio files in this folder ({', '.join(SUPPORTED_EXTENSIONS)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(_absence(path))
    return found, problems


def _walk(folder: Path, problems: list[str]) -> list[Path]:
    """The audio files under `folder`, sorted; unlistable folders and dangling links go to `problems`."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True,
                                     onerror=lambda err: problems.append(f"{err.filename}: cannot list the folder "
                                                                         f"({err.strerror or err})")):
        here = os.stat(root)
        if (here.st_dev, here.st_ino) in seen:  # reached again through a link: walked already
            dirs.clear()
            continue
        seen.add((here.st_dev, here.st_ino))
        for name in files:
            candidate = Path(root) / name
            if candidate.suffix.lower() not in SUPPORTED_EXTENSIONS:
                continue
            if candidate.is_file():
                found.append(candidate)
            elif not candidate.is_dir():
                problems.append(_absence(candidate))
    return sorted(found)


def _absence(path: Path) -> str:
    """Why `path` is neither a file nor a folder."""
    if path.is_symlink():
        return f"{path}: a symbolic link that leads nowhere (broken, or a loop)"
    return f"{path}: no such file or folder"


def _reason(err: Exception) -> str:
    """The decoder's complaint in a few words (libsndfile's 'does not exist' also means 'not a format I know')."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = text.split(": ", 1)[-1] if text.startswith("Error opening") else text
    text = text.rsplit("AudioLoader: ", 1)[-1]  # Essentia's 'Error while configuring AudioLoader: AudioLoader: ...'
    return "unrecognised format or corrupt data" if "does not exist or is not a regular file" in text else text
