"""The DL concept learner recovers level conjunctions, compiles them exactly, and rejects bad input clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from whytag.kg.namespaces import WT
from whytag.reasoning.learners.dl import (
    DLConceptLearner,
    dl_graph,
    knowledge_levels,
    level_conditions,
    level_membership,
    ontolearn_available,
)
from whytag.reasoning.model import Condition


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Uniform features; `fast-dark` holds iff BPM is in its top tertile and Spectral-Centroid in its bottom one."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"BPM": rng.uniform(60, 180, 600), "Spectral-Centroid": rng.uniform(500, 4000, 600),
                      "Danceability": rng.random(600), "Dissonance": rng.random(600)})
    high_bpm, low_centroid = X["BPM"].quantile(2 / 3), X["Spectral-Centroid"].quantile(1 / 3)
    Y = pd.DataFrame({"fast-dark": ((X["BPM"] >= high_bpm) & (X["Spectral-Centroid"] < low_centroid)).astype(int),
                      "danceable": (X["Danceability"] >= X["Danceability"].quantile(2 / 3)).astype(int)})
    return X, Y


@pytest.fixture(scope="module")
def fitted(data) -> DLConceptLearner:
    X, Y = data
    return DLConceptLearner(backend="refinement").fit(X.iloc[:450], Y.iloc[:450])


def test_recovers_the_two_level_conjunction(fitted, data) -> None:
    X, Y = data
    top = fitted.models_["fast-dark"].rules[0]
    assert fitted.expressions_[top.id] == "Track ⊓ ∃hasLevel.{BPMHigh} ⊓ ∃hasLevel.{SpectralCentroidLow}"
    assert {(c.feature, c.op) for c in top.conditions} == {("BPM", ">="), ("Spectral-Centroid", "<")}
    assert top.precision >= 0.95 and top.weight > 0  # training tertiles differ a little from the full table
    assert (fitted.predict(X.iloc[450:]) == Y.iloc[450:]).mean().min() >= 0.95


def test_predict_proba_is_the_tagmodel_score(fitted, data) -> None:
    X, _ = data
    test = X.iloc[450:]
    proba = fitted.predict_proba(test)
    for tag, model in fitted.models_.items():
        logit = model.intercept + sum(rule.weight * rule.fires(test) for rule in model.rules)
        np.testing.assert_allclose(fitted.decision_function(test)[tag].to_numpy(), logit, atol=1e-12)
        np.testing.assert_allclose(proba[tag].to_numpy(), 1 / (1 + np.exp(-logit)), atol=1e-12)
        np.testing.assert_allclose(proba[tag].to_numpy(), model.score(test), atol=0)
    assert set(fitted.expressions_) == {rule.id for rule in fitted.rules_}
    assert all(rule.id.startswith(f"dl-{rule.tag}-r") for rule in fitted.rules_)


def test_single_label_classes(data) -> None:
    X, _ = data
    y = pd.Series(np.where(X["BPM"] >= 120, "fast", np.where(X["BPM"] < 76, "slow", "moderate")), index=X.index)
    learner = DLConceptLearner(backend="refinement", id_prefix="genre").fit(X.iloc[:450], y.iloc[:450])
    assert set(learner.models_) == {"fast", "moderate", "slow"}
    assert (learner.predict(X.iloc[450:]) == y.iloc[450:]).mean() >= 0.95  # the tempo levels of levels.ttl
    assert learner.rules_[0].id.startswith("genre-")


def test_levels_are_tertiles_plus_knowledge_levels(fitted) -> None:
    names = {level.level for level in fitted.levels_}
    assert {"BPMLow", "BPMMid", "BPMHigh", "TempoSlow", "TempoModerate", "TempoFast"} <= names
    assert not {level.level for level in knowledge_levels(["Dissonance"])}
    fast = next(level for level in fitted.levels_ if level.level == "TempoFast")
    assert level_conditions(fast) == (Condition("BPM", ">=", 120.0),)


def test_membership_and_dl_graph_agree(data) -> None:
    X, _ = data
    levels = knowledge_levels(["BPM"])
    members = level_membership(X.iloc[:20], levels)
    assert (members.sum(axis=1) == 1).all()  # tempo levels partition the BPM axis
    graph = dl_graph(members, levels)
    facts = sum(1 for _ in graph.triples((None, WT.hasLevel, None)))
    assert facts == 20


def test_bad_input_is_rejected(data) -> None:
    X, Y = data
    with pytest.raises(ValueError, match="backend"):
        DLConceptLearner(backend="magic").fit(X, Y)
    with pytest.raises(ValueError, match="max_length"):
        DLConceptLearner(max_length=0).fit(X, Y)
    with pytest.raises(ValueError, match="decay"):
        DLConceptLearner(decay=1.0).fit(X, Y)
    with pytest.raises(ValueError, match="rows"):
        DLConceptLearner(backend="refinement").fit(X, Y.iloc[:10])
    with pytest.raises(ValueError, match="not fitted"):
        DLConceptLearner().predict(X)
    with pytest.raises(ValueError, match="non-numeric"):
        DLConceptLearner(backend="refinement").fit(X.assign(name="x"), Y)


@pytest.mark.skipif(ontolearn_available(), reason="Ontolearn is installed, so its backends are available")
def test_ontolearn_backend_without_ontolearn_says_how_to_install(data) -> None:
    X, Y = data
    with pytest.raises(ImportError, match=r"whytag\[dl\]"):
        DLConceptLearner(backend="evolearner").fit(X, Y)
    assert DLConceptLearner(backend="auto").fit(X.iloc[:200], Y.iloc[:200]).backend_ == "refinement"


@pytest.mark.skipif(not ontolearn_available(), reason="Ontolearn (the optional `dl` extra) is not installed")
def test_evolearner_recovers_the_conjunction(data) -> None:
    X, Y = data
    learner = DLConceptLearner(backend="evolearner", max_runtime=5).fit(X.iloc[:450], Y.iloc[:450][["fast-dark"]])
    top = learner.models_["fast-dark"].rules[0]
    assert learner.expressions_[top.id] == "Track ⊓ ∃hasLevel.{BPMHigh} ⊓ ∃hasLevel.{SpectralCentroidLow}"
