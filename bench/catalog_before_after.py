"""A 2,000-track catalog before and after catalog-scale tagging, side by side in one run.

Usage: python bench/catalog_before_after.py --before DIR [--tracks 2000]
DIR is a checkout of the older whytag (e.g. `git worktree add --detach /tmp/old bbeb6e2`). Each code
version runs in its own child process on the same synthetic catalog (`whytag.datasets.synthetic_catalog`:
GTZAN's rows resampled with 5% noise, seeded; made once here and handed to both): import the feature table,
write the same fitted default model (fitted once here on 500 catalog rows), tag (predicted tags), time a
first query over assignments and observations, then count quads and bytes on disk. Prints one JSON line
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

import pandas as pd


def run_one(catalog: Path) -> dict:
    """Import the pickled (X, y) catalog, write the model and tag with the whytag on sys.path; the numbers."""
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.reasoning.learners import registry
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import ModelInfo, write_models

    X, y = pd.read_pickle(catalog)
    n = len(X)
    learner = registry()["boosted-linear"](random_state=0).fit(X.iloc[:500], y.iloc[:500])
    out = {"tracks": n}
    with tempfile.TemporaryDirectory() as folder:
        with open_store(Path(folder) / "graph") as store:
            start = time.perf_counter()
            import_features(store, X, "catalog")
            out["import_s"] = time.perf_counter() - start
            write_models(store, ModelInfo("bench", "gtzan", "bench", "bench", single_label=True),
                         learner.models_.values())
            start = time.perf_counter()
            predicted = sum(a.predicted for a in apply_model(store, "bench"))
            out["tag_s"] = time.perf_counter() - start
            out["predicted"] = predicted
            start = time.perf_counter()  # the first query after the writes: slowed if they left the store uncompacted
            first = store.select("SELECT (COUNT(?a) AS ?n) WHERE { ?a wt:predicted true ; wt:track ?t . "
                                 "?t a wt:Track }").rows[0][0]
            out["first_query_s"] = time.perf_counter() - start
            out["first_query_rows"] = int(first)
            quads = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                                 "FILTER(?g != <urn:whytag:graph/schema>) }").rows[0][0]
            out["quads_per_track"] = int(quads) / n
        size = sum(f.stat().st_size for f in (Path(folder) / "graph").rglob("*") if f.is_file())
        out["kb_per_track"] = size / n / 1024
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def child(code: Path | None, catalog: Path) -> dict:
    """Run `run_one` in a fresh interpreter with `code` (a checkout) as the whytag package, or this one."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as shim:
        if code is not None:
            os.symlink(code.resolve(), Path(shim) / "whytag")
            env["PYTHONPATH"] = shim  # ahead of the editable install of the current checkout
        result = subprocess.run([sys.executable, __file__, "--one", str(catalog)], env=env, check=True,
                                capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="checkout of the older whytag")
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    if args.before is None:
        sys.exit("--before DIR (a checkout of the older whytag) is required")
    from whytag.datasets import DatasetError, synthetic_catalog  # not at the top: a child's older whytag lacks it

    try:
        catalog = synthetic_catalog(args.tracks)
    except DatasetError as err:
        sys.exit(str(err))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.pkl"
        pd.to_pickle(catalog, path)
        before, after = child(args.before, path), child(None, path)
    print("before", json.dumps(before))
    print("after ", json.dumps(after))
    for key in ("import_s", "tag_s", "first_query_s", "quads_per_track", "kb_per_track", "peak_rss_mb"):
        print(f"{key:16s} before {before[key]:10.2f}  after {after[key]:10.2f}  "
              f"after/before {after[key] / before[key]:.3f}")
    print(f"tracks/s tagged  before {args.tracks / before['tag_s']:.1f}  after {args.tracks / after['tag_s']:.1f}")


if __name__ == "__main__":
    main()
