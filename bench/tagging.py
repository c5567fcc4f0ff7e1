"""Tagging speed inside the store on the GTZAN paper split: predicted tags only vs every score.

Usage: python bench/tagging.py   (reads ../shared/data/gtzan_perceptual_features.csv)
Prints, in one run, for the stump rules alone (`boosted`) and with linear terms (`boosted-linear`,
the default), seconds per 100 tracks for `apply_model` writing only predicted tags (the default)
and writing every (track, tag) score with its justifications, beside the learner's own
predict_proba in Python (no graph), and the triples each writes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sklearn.model_selection import train_test_split

from whytag.kg.store import open_store
from whytag.kg.tables import import_features, labels_from, numeric_features, read_table
from whytag.reasoning.learners import BoostedLinearLearner, BoostedRulesLearner
from whytag.reasoning.reasoner import apply_model, tags_graph
from whytag.reasoning.rules import ModelInfo, write_models

TABLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gtzan_perceptual_features.csv"
GENRES = "blues classical country disco hiphop jazz metal pop reggae rock".split()


def main() -> None:
    if not TABLE.exists():
        sys.exit(f"{TABLE} is absent: this benchmark needs the shared GTZAN feature table")
    table = read_table(TABLE, "Track")
    X, y = numeric_features(table, exclude=GENRES), labels_from(table, GENRES)
    X_train, X_test, y_train, _ = train_test_split(X, y, train_size=0.8, random_state=4)
    for name, learner in [("boosted", BoostedRulesLearner(id_prefix="gtzan")),
                          ("boosted-linear", BoostedLinearLearner(id_prefix="gtzan"))]:
        learner.fit(X_train, y_train)
        info = ModelInfo("bench", "gtzan", name, "paper split", single_label=True)
        with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "graph") as store:
            import_features(store, X_test, "gtzan-test")
            write_models(store, info, learner.models_.values())
            per_100 = 100 / len(X_test)
            start = time.perf_counter()
            learner.predict_proba(X_test)
            python = time.perf_counter() - start
            rules = sum(len(m.rules) for m in learner.models_.values())
            linear = sum(len(m.linear) for m in learner.models_.values())
            print(f"{name}: {len(X_test)} tracks, {len(GENRES)} tags, {rules} rules, {linear} linear terms")
            print(f"  {'learner.predict_proba (Python, no graph)':45s} {python * per_100:7.3f} s/100 tracks")
            for every in (False, True):
                start = time.perf_counter()
                apply_model(store, "bench", every_score=every)
                seconds = time.perf_counter() - start
                triples = len(store.graph_triples(tags_graph(info)))
                label = "apply_model, every score" if every else "apply_model, predicted tags (default)"
                print(f"  {label:45s} {seconds * per_100:7.3f} s/100 tracks  {triples:8d} triples")

if __name__ == "__main__":
    main()
