"""A 2,000-track catalog before and after catalog-scale tagging, side by side in one run.

Usage: python bench/catalog_before_after.py --before DIR [--tracks 2000]
DIR is a checkout of the older whytag (e.g. `git worktree add --detach /tmp/old bbeb6e2`). Each code
version runs in its own child process on the same synthetic catalog (GTZAN's rows resampled with 5%
noise, seeded): import the feature table, write the same fitted default model (fitted once here on
500 catalog rows), tag (predicted tags), time a first query over assignments and observations, then
count quads and bytes on disk. Prints one JSON line
per version and the after/before ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gtzan_perceptual_features.csv"


def catalog(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """n GTZAN rows drawn with replacement, each feature plus 5% of its std in noise; and their genres."""
    from whytag.kg.tables import numeric_features, read_table

    table = read_table(DATA, "Track")
    genres = list(table.columns[-10:])
    X = numeric_features(table, exclude=genres + ["Length"])
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(X), n)
    values = X.to_numpy()[rows] + 0.05 * X.std().to_numpy() * rng.standard_normal((n, X.shape[1]))
    ids = [f"s{i:07d}" for i in range(n)]
    labels = table[genres].idxmax(axis=1).to_numpy()[rows]
    return pd.DataFrame(values, index=ids, columns=X.columns), pd.Series(labels, index=ids)


def run_one(n: int) -> dict:
    """Import, write the model and tag with the whytag on sys.path; the numbers as a dict."""
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.reasoning.learners import registry
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import ModelInfo, write_models

    X, y = catalog(n)
    learner = registry()["boosted-linear"](random_state=0).fit(X.iloc[:500], y.iloc[:500])
    out = {"tracks": n}
    with tempfile.TemporaryDirectory() as folder:
        with open_store(Path(folder) / "graph") as store:
            start = time.perf_counter()
            import_features(store, X, "catalog")
            out["import_s"] = time.perf_counter() - start
            write_models(store, ModelInfo("bench", "gtzan", "bench", "bench", single_label=True), learner.models_.values())
            start = time.perf_counter()
            predicted = sum(a.predicted for a in apply_model(store, "bench"))
            out["tag_s"] = time.perf_counter() - start
            out["predicted"] = predicted
            start = time.perf_counter()  # the first query after the writes: slowed if they left the store uncompacted
            first = store.select("SELECT (COUNT(?a) AS ?n) WHERE { ?a wt:predicted true ; wt:track ?t . "
                                 "?o wt:ofTrack ?t ; wt:value ?v }").rows[0][0]
            out["first_query_s"] = time.perf_counter() - start
            out["first_query_rows"] = int(first)
            quads = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                 "FILTER(?g != <urn:whytag:graph/schema>) }").rows[0][0]
            out["quads_per_track"] = int(quads) / n
        size = sum(f.stat().st_size for f in (Path(folder) / "graph").rglob("*") if f.is_file())
        out["kb_per_track"] = size / n / 1024
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(code: Path | None, n: int) -> dict:
    """Run `run_one` in a fresh interpreter with `code` (a checkout) as the whytag package, or this one."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as shim:
        if code is not None:
            os.symlink(code.resolve(), Path(shim) / "whytag")
            env["PYTHONPATH"] = shim  # ahead of the editable install of the current checkout
        result = subprocess.run([sys.executable, __file__, "--one", str(n)], env=env, check=True,
                                capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="checkout of the older whytag")
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: this benchmark needs the shared GTZAN feature table")
    if args.before is None:
        sys.exit("--before DIR (a checkout of the older whytag) is required")
    before = child(args.before, args.tracks)
    after = child(None, args.tracks)
    print("before", json.dumps(before))
    print("after ", json.dumps(after))
    for key in ("import_s", "tag_s", "first_query_s", "quads_per_track", "kb_per_track", "peak_rss_mb"):
        print(f"{key:16s} before {before[key]:10.2f}  after {after[key]:10.2f}  after/before {after[key] / before[key]:.3f}")
    print(f"tracks/s tagged  before {args.tracks / before['tag_s']:.1f}  after {args.tracks / after['tag_s']:.1f}")


if __name__ == "__main__":
    main()
