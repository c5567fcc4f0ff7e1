"""CPU cost of each dnn network: seconds of computation per minute of audio, decode excluded.

Usage: python bench/dnn.py [FOLDER ...] [--threads N]   (default: the singularity-music tracks)
The mid-level network runs with random weights (the cost does not depend on them); basic-pitch and
musicnn run when their extras are installed and are reported as skipped otherwise. Model loading is
timed apart from the per-track cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from whytag.extractors.audio import find_audio, load
from whytag.extractors.base import Audio
from whytag.extractors.dnn import DnnExtractor

DEFAULT_FOLDER = "/usr/share/games/singularity/music"
NETWORKS = ("midlevel", "transcription", "vocal")


def random_midlevel_weights(folder: str) -> Path:
    """Weights of an untrained mid-level network: same architecture, same cost."""
    from whytag.extractors.midlevel import MidLevelModel, MidLevelNet

    path = Path(folder) / "midlevel.pt"
    MidLevelModel(MidLevelNet().eval(), 0.0, 1.0, (1.0, 10.0)).save(path)
    return path


def timed(run: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench(network: str, tracks: list[Audio], weights: Path) -> tuple[float, float] | None:
    """(load seconds, seconds per minute of audio) for one network, or None when it is not installed."""
    extractor = DnnExtractor(weights, **{name: name == network for name in NETWORKS})
    loading = timed(lambda: extractor._component(network))
    if extractor._component(network) is None:
        return None
    seconds = sum(timed(lambda a=audio: extractor.extract(a)) for audio in tracks)
    return loading, 60.0 * seconds / sum(a.duration for a in tracks)


def main() -> None:
    """Decode the tracks once, then time each network over all of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=[DEFAULT_FOLDER])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    paths, _ = find_audio(args.folders)
    tracks = [load(p, 22050) for p in paths]
    minutes = sum(a.duration for a in tracks) / 60
    print(f"{len(tracks)} tracks, {minutes:.1f} min of audio; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {args.threads} threads")
    with tempfile.TemporaryDirectory() as folder:
        weights = random_midlevel_weights(folder)
        for network in NETWORKS:
            result = bench(network, tracks, weights)
            if result is None:
                print(f"{network:<14} skipped (not installed)")
            else:
                print(f"{network:<14} load {result[0]:6.2f} s   {result[1]:6.2f} s per minute of audio")


if __name__ == "__main__":
    main()
