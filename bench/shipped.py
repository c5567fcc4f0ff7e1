"""The shipped model sets on real recordings: the 16 singularity-music tracks tagged with `genres` and `moods`.

Run from the repo root: `python bench/shipped.py [--store DIR]`. It ingests and extracts the tracks into DIR
(a temporary store unless given; an existing store with them is reused), tags them with both shipped sets, and
prints each track's genre and predicted moods, how varied they are, and the largest |contribution| of a reason
on these tracks beside the largest on the set's own training rows (the goal: none larger).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from whytag.evaluation.shipped import SHIPPED, table
from whytag.kg.extraction import extract_tracks
from whytag.kg.ingest import ingest
from whytag.kg.store import open_store
from whytag.reasoning.reasoner import apply_model, catalog_tracks, read_values
from whytag.reasoning.rules import read_models
from whytag.reasoning.shipped import model_set_to_apply, shipped_names

SINGULARITY = Path("/usr/share/games/singularity/music")


def largest_reason(models, X: pd.DataFrame) -> tuple[float, str]:
    """The largest |centred contribution| of any effect of any tag over the rows of X, and where it is."""
    best, where = 0.0, ""
    for model in models:
        reasons = model.reasons(X).abs()
        if reasons.size and reasons.to_numpy().max() > best:
            row, column = np.unravel_index(reasons.to_numpy().argmax(), reasons.shape)
            best, where = float(reasons.iat[row, column]), f"{model.tag} ← {' × '.join(reasons.columns[column])}"
    return best, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store folder (reused when it already holds the tracks)")
    args = parser.parse_args()
    folder = Path(args.store) if args.store else Path(tempfile.mkdtemp()) / "graph"
    with open_store(folder) as store:
        if not catalog_tracks(store):
            report = ingest(store, [SINGULARITY], progress=False)
            extract_tracks(store, progress=False)
            print(f"ingested and extracted {len(report.tracks)} tracks from {SINGULARITY}")
        tracks = catalog_tracks(store)
        paths = {str(t): Path(p).stem for t, p in store.rows(
            "SELECT ?t ?p WHERE { GRAPH ?g { ?t a wt:Track ; mo:available_as/wt:path ?p } }")}
        tags: dict[str, dict[str, list[str]]] = {}
        for name in shipped_names():
            spec = SHIPPED[name]
            model_set_to_apply(store, name)
            assignments = apply_model(store, name)
            _, models = read_models(store, name)
            features = sorted({f for m in models for effect in m.effects() for f in effect})
            X_real = read_values(store, tracks, features)
            X_train = table(spec)[0]
            for a in sorted(assignments, key=lambda a: -a.score):
                if a.predicted:
                    tags.setdefault(paths[str(a.track)], {}).setdefault(name, []).append(f"{a.notation} {a.score:.2f}")
            real, real_at = largest_reason(models, X_real)
            train, train_at = largest_reason(models, X_train)
            counts = Counter(a.notation for a in assignments if a.predicted)
            print(f"{name}: {sum(counts.values())} tags on {len(tracks)} tracks, {len(counts)} distinct: "
                  f"{dict(counts.most_common())}")
            print(f"  largest |reason| on these tracks {real:.3f} ({real_at}); on the {len(X_train)} training rows "
                  f"{train:.3f} ({train_at}): {'within' if real <= train else 'LARGER'}")
    print("\ntrack | genre | moods (score ≥ the tag's threshold)")
    for track in sorted(tags):
        print(f"{track} | {', '.join(tags[track].get('genres', []))} | {', '.join(tags[track].get('moods', []))}")


if __name__ == "__main__":
    main()
