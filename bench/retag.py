"""What replacing tags in place costs: a first tagging run beside a re-run over the same catalog.

Usage: python bench/retag.py [--tracks 5000] [--every-score]
A synthetic catalog (three features a track) and a two-tag model set of rules and linear terms; prints the
seconds of a first `tag_batches` run (new graphs, bulk-loaded) and of a re-run (each batch replacing its
tracks' earlier tags in one transaction, issue #29), per 1,000 tracks, and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from whytag.kg.store import open_store
from whytag.kg.tables import import_features
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel, annotate
from whytag.reasoning.reasoner import tag_batches
from whytag.reasoning.rules import ModelInfo, write_models


def catalog(tracks: int) -> tuple[pd.DataFrame, list[TagModel]]:
    """Random feature values and a model set that reads all three features."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, tracks), "Spectral-Centroid": rng.uniform(500, 4000, tracks),
                          "dom": rng.uniform(0, 0.5, tracks)}, index=[f"t{i:06d}" for i in range(tracks)])
    fast = Rule("energetic", (Condition("BPM", ">=", 120.0),), 1.4)
    dark = Rule("calm", (Condition("Spectral-Centroid", "<", 1800.0),), 2.0)
    models = [TagModel("energetic", -1.0, [fast], linear=[LinearTerm("dom", 3.0, 0.25)]),
              TagModel("calm", -0.8, [dark], linear=[LinearTerm("BPM", -0.02, 120.0)])]
    annotate([fast], frame, (frame["BPM"] > 110).to_numpy())
    annotate([dark], frame, (frame["BPM"] <= 110).to_numpy())
    for model in models:
        model.centre(frame)
    return frame, models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=5000)
    parser.add_argument("--every-score", action="store_true", help="write every (track, tag) score")
    args = parser.parse_args()
    frame, models = catalog(args.tracks)
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "graph") as store:
        import_features(store, frame, "bench")
        write_models(store, ModelInfo("bench", "bench", "hand-written", "synthetic"), models)
        seconds = []
        for _ in range(2):
            start = time.perf_counter()
            for _batch in tag_batches(store, "bench", every_score=args.every_score):
                pass
            seconds.append(time.perf_counter() - start)
    per_1000 = 1000 / args.tracks
    print(f"{args.tracks} tracks{', every score' if args.every_score else ''}: first run "
          f"{seconds[0] * per_1000:.2f} s/1,000 tracks, re-run {seconds[1] * per_1000:.2f} s/1,000 tracks, "
          f"ratio {seconds[1] / seconds[0]:.2f}")


if __name__ == "__main__":
    main()
