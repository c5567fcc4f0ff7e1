"""The smallest one-feature change that flips a decision: exact, checked against a brute-force scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from whytag.kg.tables import import_features
from whytag.reasoning.counterfactual import FlipFinder
from whytag.reasoning.learners import BoostedLinearLearner
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.rules import ModelInfo, write_models

NUDGE = 1e-7


def decisions(models, rows: pd.DataFrame, single_label: bool) -> pd.DataFrame:
    """Per row and tag: is the tag predicted (the top logit, or at/above its threshold)?"""
    logits = pd.DataFrame({m.tag: m.logit(rows) for m in models}, index=rows.index)
    if single_label:
        return logits.eq(logits.max(axis=1), axis=0)
    return pd.DataFrame({m.tag: logits[m.tag] >= np.log(m.threshold / (1 - m.threshold)) for m in models})


def intervals(single_label: bool, seed: int):
    """Hand-written models whose rules are intervals and one-sided tests of every operator (as EBM's are)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["BPM", "dom", "Spectral-Centroid", "Danceability"])
    models = [TagModel("fast", -0.4, [Rule("fast", (Condition("BPM", ">=", -0.5), Condition("BPM", "<", 0.8)), 1.2),
                                      Rule("fast", (Condition("BPM", ">", 0.8),), 2.5),
                                      Rule("fast", (Condition("dom", "<=", 0.1),), -0.9)],
                       linear=[LinearTerm("Danceability", 0.6, 0.0)]),
              TagModel("tense", 0.2, [Rule("tense", (Condition("dom", ">", -0.3), Condition("dom", "<=", 0.9)), 1.4),
                                      Rule("tense", (Condition("BPM", "<", 0.0),), -1.1)],
                       linear=[LinearTerm("Spectral-Centroid", -0.8, 0.0)])]
    if single_label:
        models.append(TagModel("calm", 0.5, [Rule("calm", (Condition("BPM", "<=", -0.2),), 0.7)]))
    for model in models:
        model.centre(X)
    return X, models


def fitted(single_label: bool, seed: int):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["BPM", "dom", "Spectral-Centroid", "Danceability"])
    if single_label:
        Y = pd.Series(np.where(X.BPM + 0.5 * rng.normal(size=120) > 0.3, "fast",
                               np.where(X.dom > 0, "tense", "calm")), index=X.index)
    else:
        Y = pd.DataFrame({"fast": (X.BPM + 0.5 * rng.normal(size=120) > 0).astype(int),
                          "tense": (X.dom - X.Danceability + 0.5 * rng.normal(size=120) > 0.5).astype(int)})
    learner = BoostedLinearLearner(max_iter=40, min_samples_leaf=5, threshold="f1").fit(X, Y)
    return X, list(learner.models_.values())


@pytest.mark.parametrize("make,single_label,seed", [(fitted, False, 0), (fitted, False, 1), (fitted, True, 2),
                                                     (fitted, True, 3), (intervals, False, 4), (intervals, True, 5)])
def test_the_flip_is_real_and_no_smaller_one_feature_change_flips(make, single_label, seed):
    X, models = make(single_label, seed)
    finder = FlipFinder(models, single_label)
    checked = 0
    for i in range(0, len(X), 10):
        row = X.iloc[[i]]
        now = decisions(models, row, single_label).iloc[0]
        logits = {m.tag: float(m.logit(row)[0]) for m in models}
        for tag in now.index:
            flip = finder.nearest(row.iloc[0].to_dict(), logits, tag)
            limit = flip.change if flip is not None else np.inf
            for feature in X.columns:  # brute force: a dense scan of each feature's range, within that change
                low, high = X[feature].min(), X[feature].max()
                grid = np.linspace(low, high, 401)
                grid = grid[np.abs(grid - row[feature].iloc[0]) < limit * (high - low) - 1e-9]
                moved = pd.concat([row] * len(grid), ignore_index=True).assign(**{feature: grid})
                assert (decisions(models, moved, single_label)[tag] == now[tag]).all(), (feature, flip)
            if flip is None:
                continue
            span = X[flip.feature].max() - X[flip.feature].min()
            moved = row.copy()  # the first value that satisfies the counterfactual condition
            moved[flip.feature] = flip.threshold + {">": NUDGE * span, "<": -NUDGE * span}.get(flip.op, 0.0)
            assert decisions(models, moved, single_label)[tag].iloc[0] != now[tag], flip
            checked += 1
    assert checked >= 10



@pytest.mark.parametrize("make,single_label,seed", [(fitted, False, 6), (fitted, True, 7), (intervals, True, 8)])
def test_a_batch_finds_each_pair_s_flip_as_alone(make, single_label, seed, monkeypatch):
    """The tagger asks for a whole batch's flips at once, in chunks; each must be the one-pair answer,
    with NaN values (a feature not measured) skipped like missing ones."""
    from whytag.reasoning import counterfactual

    X, models = make(single_label, seed)
    X.iloc[::7, 1] = np.nan
    finder = FlipFinder(models, single_label)
    logits = np.column_stack([m.logit(X) for m in models])
    rows, tags = np.repeat(np.arange(len(X)), len(models)), np.tile(np.arange(len(models)), len(X))
    monkeypatch.setattr(counterfactual, "PAIRS_AT_ONCE", 1000)  # several chunks per feature
    batch = finder.nearest_many({f: X[f].to_numpy() for f in X.columns}, logits, rows, tags)
    alone = [finder.nearest({f: v for f, v in X.iloc[i].items() if np.isfinite(v)},
                            dict(zip(finder.tags, logits[i])), finder.tags[t]) for i, t in zip(rows, tags)]
    assert batch == alone and sum(flip is not None for flip in batch) >= len(X) // 2

def test_tagging_writes_each_decision_s_flip_as_a_counterfactual(store):
    X, models = fitted(False, 0)
    tracks = import_features(store, X, "flips")
    write_models(store, ModelInfo("flips", "toy"), models)
    assignments = apply_model(store, "flips", every_score=True)
    finder = FlipFinder(models, single_label=False)
    rows = store.select("""SELECT ?a ?name ?op ?th ?v WHERE {
        ?a wt:track ?t ; wt:decisionChangesIf ?cf .
        ?cf a wt:Counterfactual ; wt:feature ?f ; wt:operator ?op ; wt:threshold ?th .
        ?t ?f ?v . ?f wt:featureName ?name }""").rows
    written = {str(a): (str(name), str(op), float(th), float(v)) for a, name, op, th, v in rows}
    by_track = dict(zip(tracks, X.index))
    expected = 0
    for a in assignments:
        row = X.loc[[by_track[a.track]]]
        flip = finder.nearest(row.iloc[0].to_dict(), {m.tag: float(m.logit(row)[0]) for m in models}, a.notation)
        if flip is None:
            assert str(a.iri) not in written
            continue
        expected += 1
        name, op, threshold, value = written[str(a.iri)]
        assert (name, op) == (flip.feature, flip.op)
        assert threshold == pytest.approx(flip.threshold, abs=1e-12) and value == row[name].iloc[0]
    assert expected == len(written) > 0
