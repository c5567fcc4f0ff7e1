"""Reasons in a person's words: binary and categorical features said as what they mean, each feature's
description with --detail, and the features learning reads by default."""

from __future__ import annotations

import numpy as np
import pandas as pd

from whytag.kg.features import known_features
from whytag.kg.tables import import_features
from whytag.reasoning.explain import condition_text, explain
from whytag.reasoning.model import Condition, Rule, TagModel, annotate
from whytag.reasoning.reasoner import apply_model
from whytag.reasoning.rules import ModelInfo, write_models
from whytag.reasoning.training import learning_features

SCALE = str(known_features()["Scale-Major"].iri)
KEY = str(known_features()["Key"].iri)


def test_a_binary_feature_reads_as_what_it_means_in_reasons_rules_and_flips(store):
    frame = pd.DataFrame({"Scale-Major": [1.0, 0.0] * 10, "BPM": np.linspace(80, 160, 20)},
                         index=[f"t{i}" for i in range(20)])
    major = Rule("happy", (Condition("Scale-Major", ">=", 0.5),), 2.0)
    annotate([major], frame, (frame["Scale-Major"] == 1).to_numpy())
    model = TagModel("happy", -1.0, [major])
    model.centre(frame)
    tracks = import_features(store, frame, "keys")
    write_models(store, ModelInfo("moods", "toy-moods"), [model])
    apply_model(store, "moods", every_score=True)
    [happy] = explain(store, tracks[0], tag="happy", detail=True)  # t0 is in a major key
    text = happy.text(detail=True)
    assert "  in a major key: +1\n" in text
    assert "would not be happy if it were in a minor key" in text
    assert "in a major key → +2" in text  # the rule, in the same words
    assert "scale major: 1 if the estimated key is major, 0 if minor." in text  # the ontology's description
    [not_happy] = explain(store, tracks[1], tag="happy")
    assert "  in a minor key: -1\n" in not_happy.text() and "would be happy if it were in a major key" in \
        not_happy.text()
    assert "scale major" not in not_happy.text()


def test_a_categorical_condition_names_its_categories():
    assert condition_text("key", ">=", 9.5, KEY) == "key B♭ or B"
    assert condition_text("key", "<", 0.5, KEY) == "key C"
    assert condition_text("tempo", ">=", 120.0) == "tempo ≥ 120"  # a number stays a number


def test_learning_reads_perceptual_features_that_vary_unless_asked_for_raw_ones():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"BPM": rng.uniform(60, 180, 50), "MFCC-2": rng.normal(0, 30, 50),
                      "Length": 30.0 + rng.uniform(0, 0.01, 50), "Melody": rng.uniform(0, 1, 50),
                      "my-own": rng.normal(size=50), "Scale-Major": rng.integers(0, 2, 50).astype(float),
                      "dom": np.r_[np.zeros(47), 0.2, 0.1, 0.3]})  # mostly 0: sparse, not constant
    chosen = learning_features(X)
    assert chosen.kept == ["BPM", "Melody", "my-own", "Scale-Major", "dom"]
    assert chosen.left_out == {"MFCC-2": "a raw descriptor (--raw-features learns from it)",
                               "Length": "constant in the training data"}
    assert "MFCC-2" in learning_features(X, raw=True).kept
    assert "Melody" not in learning_features(X, groups=("signal", "symbolic")).kept  # a mid-level network's
