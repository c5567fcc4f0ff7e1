"""Explanations in the graph, before and after per-feature reasons: how many justifications a predicted
tag carries, how much of their weight the 5 largest hold, triples written and tagging time.

Usage: python bench/explain_graph.py [--learner NAME]  — run it once per code version (e.g. an older
checkout first on PYTHONPATH) and compare the printed JSON lines. GTZAN paper split (200 test tracks)
and Jamendo (seeded 80/20 split, first 200 test tracks, F1 thresholds), predicted tags only. The
shares are computed from the graph alone: per assignment, |contribution| of its justifications other
than the base rate (the one without a rule, term or effect).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from whytag.datasets import load_gtzan, load_jamendo_moodtheme
from whytag.kg.store import open_store
from whytag.kg.tables import import_features
from whytag.reasoning.learners import registry
from whytag.reasoning.reasoner import apply_model, tags_graph
from whytag.reasoning.rules import ModelInfo, write_models

REASONS = """SELECT ?a ?c WHERE { ?a wt:predicted true ; wt:justifiedBy ?j . ?j wt:contribution ?c .
    FILTER EXISTS { ?j ?link ?x . FILTER(?link IN (wt:rule, wt:effect)) } }"""


def measure(name: str, learner, X_test: pd.DataFrame, single_label: bool) -> dict:
    info = ModelInfo("bench", name, "bench", "bench split", single_label=single_label)
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "graph") as store:
        import_features(store, X_test, "test")
        write_models(store, info, learner.models_.values())
        start = time.perf_counter()
        assignments = apply_model(store, "bench")
        seconds = time.perf_counter() - start
        triples = len(store.graph_triples(tags_graph(info)))
        reasons: dict[str, list[float]] = {}
        for a, c in store.select(REASONS).rows:
            reasons.setdefault(str(a), []).append(abs(float(c)))
    counts = [len(v) for v in reasons.values()]
    shares = [sum(sorted(v, reverse=True)[:5]) / sum(v) if sum(v) else 1.0 for v in reasons.values()]
    predicted = sum(a.predicted for a in assignments)
    return {"data": name, "tracks": len(X_test), "predicted": predicted,
            "seconds_per_100_tracks": round(seconds * 100 / len(X_test), 2),
            "triples_per_assignment": round(triples / predicted, 1),
            "justifications_median": float(np.median(counts)), "top5_share_median": round(float(np.median(shares)), 3),
            "top5_share_p10": round(float(np.percentile(shares, 10)), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", default="boosted-linear")
    make = registry()[parser.parse_args().learner]
    X_train, X_test, y_train, _ = train_test_split(*load_gtzan(), train_size=0.8, random_state=4)
    print(json.dumps(measure("gtzan", make().fit(X_train, y_train), X_test, True)), flush=True)
    X_train, X_test, Y_train, _ = train_test_split(*load_jamendo_moodtheme(), test_size=0.2, random_state=0)
    learner = make(threshold="f1").fit(X_train, Y_train)
    print(json.dumps(measure("jamendo", learner, X_test.iloc[:200], False)), flush=True)


if __name__ == "__main__":
    main()
