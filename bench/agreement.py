"""Agreement of whytag's signal features with Essentia's MusicExtractor on the same real recordings.

Usage: python bench/agreement.py [FOLDER|FILE ...] [--cache DIR] [--workers N] [--all]
   (default: the singularity-music tracks; --all adds the features beyond the paper's 22)
Prints per feature the Spearman rank correlation across the files and the median and largest relative
error |whytag - MusicExtractor| / |MusicExtractor| (naming the worst file), then how many keys agree.
MusicExtractor is slow (about 9x real time per core), so its results are cached as JSON per file,
named by the SHA-256 of the file's bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from whytag.extractors.audio import find_audio, sha256_of
from whytag.extractors.batch import extract_many
from whytag.extractors.signal import FEATURES, PAPER_FEATURES, music_extractor_features

DEFAULT_FOLDER = "/usr/share/games/singularity/music"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whytag" / "music-extractor"


def music_extractor_results(path: str) -> dict[str, object]:
    """MusicExtractor's per-track results for one file, as JSON-ready values."""
    from whytag.extractors.essentia_quiet import es

    results, _ = es.MusicExtractor()(path)
    return {name: _plain(results[name]) for name in results.descriptorNames()}


def _plain(value: object) -> object:
    """A Pool value as JSON can hold it (arrays to lists, NumPy scalars to Python ones)."""
    return value.tolist() if isinstance(value, np.ndarray | np.generic) else value


def reference_values(paths: list[str], cache: Path, workers: int) -> dict[str, dict[str, float]]:
    """MusicExtractor's features per path, from the cache or computed (then cached) in a process pool."""
    cache.mkdir(parents=True, exist_ok=True)
    files = {path: cache / f"{sha256_of(path)}.json" for path in paths}
    missing = [path for path, file in files.items() if not file.is_file()]
    if missing:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            for path, results in zip(missing, pool.map(music_extractor_results, missing)):
                files[path].write_text(json.dumps(results))
    return {path: music_extractor_features(json.loads(file.read_text())) for path, file in files.items()}


def whytag_values(paths: list[str], workers: int) -> dict[str, dict[str, float]]:
    """whytag's signal features per path; a file that fails stops the comparison."""
    values = {}
    for path, features, error in extract_many(paths, workers=workers, progress=False):
        if error:
            raise SystemExit(error)
        values[path] = features[0].as_dict()
    return values


def relative_errors(mine: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|mine - reference| / |reference|; 0 where both are 0, inf where only the reference is."""
    difference = np.abs(mine - reference)
    scale = np.abs(reference)
    return np.divide(difference, scale, out=np.where(difference > 0, np.inf, 0.0), where=scale > 0)


def report(ours: dict[str, dict[str, float]], theirs: dict[str, dict[str, float]], names: list[str]) -> None:
    """Print the per-feature table and the key agreement."""
    paths = sorted(ours)
    print(f"{'feature':32s} {'Spearman':>8s} {'median':>8s} {'max':>8s}  worst file (whytag vs MusicExtractor)")
    for name in names:
        mine = np.array([ours[p][name] for p in paths])
        reference = np.array([theirs[p][name] for p in paths])
        errors = relative_errors(mine, reference)
        rho = spearmanr(mine, reference).statistic if len(paths) > 2 else math.nan
        worst = int(np.argmax(errors))
        print(f"{name:32s} {rho:8.3f} {100 * np.median(errors):7.2f}% {100 * errors[worst]:7.2f}%  "
              f"{Path(paths[worst]).name} ({mine[worst]:.6g} vs {reference[worst]:.6g})")
    same_key = [p for p in paths if all(ours[p][k] == theirs[p][k] for k in ("Key", "Scale-Major"))]
    print(f"keys (tonic and scale) agree on {len(same_key)} of {len(paths)} files")
    for path in sorted(set(paths) - set(same_key)):
        print(f"  {Path(path).name}: whytag {_key(ours[path])}, MusicExtractor {_key(theirs[path])}")


def _key(values: dict[str, float]) -> str:
    """'pitch class 9 minor' from Key and Scale-Major."""
    return f"pitch class {int(values['Key'])} {'major' if values['Scale-Major'] else 'minor'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", default=[DEFAULT_FOLDER])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="folder of MusicExtractor's results")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--all", action="store_true", help="also the features beyond the paper's 22")
    args = parser.parse_args()
    found, _ = find_audio(args.sources)
    paths = [str(p) for p in found]
    if not paths:
        raise SystemExit(f"no audio files in {', '.join(args.sources)}: install the Debian package "
                         "singularity-music (tests/system-deps.sh does) or name folders of audio")
    theirs = reference_values(paths, args.cache, args.workers)
    ours = whytag_values(paths, args.workers)
    shared = [name for name in FEATURES if name in theirs[paths[0]] and name not in ("Key", "Scale-Major")]
    names = shared if args.all else [name for name in shared if name in PAPER_FEATURES]
    print(f"{len(paths)} files, whytag against essentia MusicExtractor")
    report(ours, theirs, names)


if __name__ == "__main__":
    main()
