"""Tagging speed inside the store: GTZAN's 10 genres and Jamendo's 56 mood/theme tags.

Usage: python bench/tagging.py   (reads the paper's GTZAN and Jamendo tables, `whytag.datasets`'
loaders). Prints, in one run, seconds per 100 tracks for `apply_model` beside the
learner's own predict_proba in Python (no graph), and the triples each writes. GTZAN (paper split,
200 test tracks): the stump rules alone (`boosted`) and with linear terms (`boosted-linear`, the
default), writing only predicted tags (the default) and every (track, tag) score. Jamendo (seeded
80/20 split, the first 200 test tracks, F1-tuned thresholds as `whytag learn` sets them): the default
with stump splits shared across tags (its multi-label default) and with a split per tag, predicted
tags only (every score would be 11,200 assignments of ~110 justifications each).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from whytag.datasets import load_gtzan, load_jamendo_moodtheme
from whytag.kg.store import open_store
from whytag.kg.tables import import_features
from whytag.reasoning.learners import BoostedLinearLearner, BoostedRulesLearner
from whytag.reasoning.reasoner import apply_model, tags_graph
from whytag.reasoning.rules import ModelInfo, write_models


def measure(name: str, learner, X_test: pd.DataFrame, vocabulary: str, single_label: bool,
            modes: tuple[bool, ...]) -> None:
    """Import X_test into a fresh store, write the fitted model, time apply_model in each mode."""
    info = ModelInfo("bench", vocabulary, name, "bench split", single_label=single_label)
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "graph") as store:
        import_features(store, X_test, "test")
        write_models(store, info, learner.models_.values())
        per_100 = 100 / len(X_test)
        start = time.perf_counter()
        learner.predict_proba(X_test)
        python = time.perf_counter() - start
        rules = sum(len(m.rules) for m in learner.models_.values())
        linear = sum(len(m.linear) for m in learner.models_.values())
        print(f"{name}: {len(X_test)} tracks, {len(learner.models_)} tags, {rules} rules, {linear} linear terms")
        print(f"  {'learner.predict_proba (Python, no graph)':45s} {python * per_100:7.3f} s/100 tracks")
        for every in modes:
            start = time.perf_counter()
            assignments = apply_model(store, "bench", every_score=every)
            seconds = time.perf_counter() - start
            triples = len(store.graph_triples(tags_graph(info)))
            label = "apply_model, every score" if every else "apply_model, predicted tags (default)"
            predicted = sum(a.predicted for a in assignments)
            print(f"  {label:45s} {seconds * per_100:7.3f} s/100 tracks  {triples:8d} triples  {predicted} predicted",
                  flush=True)


def main() -> None:
    X_train, X_test, y_train, _ = train_test_split(*load_gtzan(), train_size=0.8, random_state=4)
    for name, learner in [("gtzan boosted", BoostedRulesLearner(id_prefix="gtzan")),
                          ("gtzan boosted-linear", BoostedLinearLearner(id_prefix="gtzan"))]:
        measure(name, learner.fit(X_train, y_train), X_test, "gtzan", True, (False, True))
    X_train, X_test, Y_train, _ = train_test_split(*load_jamendo_moodtheme(), test_size=0.2, random_state=0)
    for name, shared in [("jamendo boosted-linear (shared splits, default)", True),
                         ("jamendo boosted-linear, a split per tag", False)]:
        learner = BoostedLinearLearner(shared_splits=shared, threshold="f1", id_prefix="jamendo").fit(X_train, Y_train)
        measure(name, learner, X_test.iloc[:200], "jamendo-moodtheme", False, (False,))

if __name__ == "__main__":
    main()
