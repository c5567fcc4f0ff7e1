"""Per-feature reasons of a TagModel: grouped by the features they read, centred, adding up to the logit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdflib import Graph

from whytag.kg.queries import query
from whytag.reasoning.model import OPERATORS, Condition, LinearTerm, Rule, TagModel, score_of, scores_of, top_share


def test_reasons_group_by_feature_centre_on_training_and_add_up_with_missing_values():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"BPM": rng.uniform(60, 180, 50), "dom": rng.uniform(0, 0.5, 50)})
    X.loc[3, "dom"] = np.nan  # no value: its rules do not fire and its linear term adds nothing
    model = TagModel("fast", -0.2, [Rule("fast", (), 0.4),  # always fires: part of the base rate
                                    Rule("fast", (Condition("BPM", ">=", 120.0),), 1.5),
                                    Rule("fast", (Condition("BPM", ">=", 150.0),), 0.5),
                                    Rule("fast", (Condition("BPM", ">", 100.0), Condition("dom", "<", 0.2)), -0.7)],
                     linear=[LinearTerm("BPM", 0.01, 120.0), LinearTerm("dom", -2.0, 0.25)])
    model.centre(X)
    reasons = model.reasons(X)
    assert list(reasons.columns) == [("BPM",), ("BPM", "dom"), ("dom",)]
    assert np.allclose(reasons.sum(axis=1) + model.base_rate, model.logit(X), atol=1e-12)
    assert np.allclose(reasons.mean(), 0.0, atol=1e-12)  # centred: the average training track gets nothing
    bpm = 1.5 * (X.BPM >= 120) + 0.5 * (X.BPM >= 150) + 0.01 * (X.BPM - 120)
    assert np.allclose(reasons[("BPM",)], bpm - bpm.mean(), atol=1e-12)
    assert model.ranges["BPM"] == (X.BPM.min(), X.BPM.max())


def test_top_share_is_the_weight_of_the_k_largest():
    shares = top_share(np.array([[3.0, -1.0, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0]]), k=2)
    assert shares == pytest.approx([4.0 / 5.0, 1.0])


@pytest.mark.parametrize("op", list(OPERATORS))
def test_an_operator_tests_alike_in_python_and_in_sparql(op):
    """The one table's Python test and SPARQL text agree below, at and above a threshold, and `with_above`
    says whether the threshold itself tests as the values just above it do."""
    operator = OPERATORS[op]
    for value in (1.5, 2.0, 2.5):
        sparql = Graph().query(f"ASK {{ FILTER({value!r} {operator.sparql} 2.0) }}").askAnswer
        assert sparql == operator.test(value, 2.0), (op, value)
    assert operator.with_above == (operator.test(2.0, 2.0) == operator.test(2.5, 2.0))
    assert (operator.facet is None) == (op == "==")
    # the store's own test of a rule (kg/queries/rules-fired.rq, reasoning.rederive) compares as the table says
    assert f"(?op = '{op}' && ?v {operator.sparql} ?th)" in " ".join(query("rules-fired", track=None).split())


def test_one_logit_scores_as_the_many_do():
    logits = np.array([-800.0, -30.0, -1.5, 0.0, 2.25, 40.0, 800.0])
    np.testing.assert_allclose(scores_of(logits), [score_of(x) for x in logits], rtol=1e-14, atol=0)
    assert list(scores_of(logits, "any")) == [score_of(x, "any") for x in logits] == [0, 0, 0, 0, 1, 1, 1]
