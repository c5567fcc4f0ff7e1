"""The demo collection: its tags vary independently, and a learner on real extracted features tells them apart
by different causes (tempo and onsets for energetic, mode and brightness for happy)."""

from __future__ import annotations

import numpy as np
import pytest

from whytag.datasets.demo import demo_clips, write_demo

RHYTHM = {"BPM", "Onset-Rate"}
MODE = {"Scale-Major", "Key-Strength", "Key"}
BRIGHTNESS = {"Spectral-Centroid", "Spectral-Rolloff", "Spectral-Spread", "Zerocrossingrate", "Spectral-Complexity",
              "Spectral-Energyband-High", "Spectral-Energyband-Middle-High", "MFCC-1", "MFCC-2", "MFCC-3"}


def test_the_tags_vary_independently_with_every_combination_present():
    clips = demo_clips(8, seed=0)
    pairs = [(c.happy, c.energetic) for c in clips]
    assert set(pairs) == {(True, True), (True, False), (False, True), (False, False)}
    happy, energetic = np.array(pairs, dtype=float).T
    assert not np.array_equal(happy, energetic) and abs(np.corrcoef(happy, energetic)[0, 1]) < 0.3
    # each cause follows its own tag only; the nuisances vary within each tag combination
    assert all(c.major == c.happy for c in clips)
    assert min(c.bpm for c in clips if c.energetic) > max(c.bpm for c in clips if not c.energetic) + 30
    assert len({c.root for c in clips}) > 3 and len({c.progression for c in clips}) > 2
    assert demo_clips(8, seed=0) == clips and demo_clips(8, seed=1) != clips


@pytest.fixture(scope="module")
def demo_features(tmp_path_factory):
    """The features of 8 short generated clips, extracted into a store as `whytag demo` does, and their labels."""
    from whytag.kg.extraction import extract_tracks
    from whytag.kg.ingest import ingest
    from whytag.kg.mapping import feature_table
    from whytag.kg.store import open_store
    from whytag.kg.tables import labels_from, read_table
    from whytag.kg.tracks import label_tracks

    folder = tmp_path_factory.mktemp("demo")
    labels = write_demo(folder, n=8, seconds=5.0)
    with open_store(folder / "graph") as store:
        assert ingest(store, [folder / "audio"], progress=False).failures == []
        assert extract_tracks(store, ("signal", "symbolic"), workers=1, progress=False).failures == []
        table = read_table(labels)
        ids = label_tracks(store, table.index, folder, None)
        X = feature_table(store)
    Y = labels_from(table, ["tags"])
    X = X.loc[[str(ids[i]) for i in Y.index]].dropna(axis=1, how="any")
    X.index = Y.index
    return X, Y


def top_features(model, X, k: int = 2) -> set[str]:
    """The features of a tag model's k effects with the largest mean |contribution| over X."""
    strength = model.reasons(X).abs().mean().sort_values(ascending=False)
    return {feature for effect in strength.index[:k] for feature in effect}


def test_energetic_and_happy_are_learned_from_their_own_causes(demo_features):
    from whytag.reasoning.learners import BoostedLinearLearner

    X, Y = demo_features
    assert not Y["energetic"].equals(Y["happy"])
    # the causes are measured: no tempo octave errors, and Essentia's key estimate recovers every clip's mode
    assert X.loc[Y["energetic"] == 1, "BPM"].min() > X.loc[Y["energetic"] == 0, "BPM"].max()
    assert (X["Scale-Major"] == Y["happy"]).all()
    learner = BoostedLinearLearner().fit(X, Y)
    assert (learner.predict(X).to_numpy() == Y.to_numpy()).mean() >= 0.9
    energetic = top_features(learner.models_["energetic"], X)
    happy = top_features(learner.models_["happy"], X)
    assert energetic & RHYTHM, energetic
    assert happy & (MODE | BRIGHTNESS), happy
    assert not energetic & happy, (energetic, happy)
