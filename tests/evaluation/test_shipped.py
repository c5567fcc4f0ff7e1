"""The shipped model sets are what `whytag models build` makes from the paper's tables, byte for byte, and their
cards say where they come from, what they read and how well they scored."""

from __future__ import annotations

import lzma
import os

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF
from whytag_testing import shared_table

from whytag.evaluation.shipped import (
    BASELINE,
    SHIPPED,
    build,
    card_path,
    card_scores,
    cross_validate,
    rules_path,
    table,
)
from whytag.kg.features import known_features
from whytag.kg.iris import model_set_iri
from whytag.kg.namespaces import WT
from whytag.reasoning.learners import DEFAULT_LEARNER
from whytag.reasoning.shipped import shipped_names

# Rebuilding moods (its scores kept) fits the learner on 2,270 tracks × 56 tags and writes its 3,735 rules
# through learn's store path: 118 CPU-seconds in pytest (9% on top of `make test`'s 23 minutes), so it runs when
# WHYTAG_SLOW_TESTS=1, as does measuring a card's scores again (a fit per split: moods' 10 folds ~7 CPU-minutes).
# Genres' rebuild (one fit on 999 clips) always runs. bench/RESULTS.md records moods' last rebuild check.
SLOW = os.environ.get("WHYTAG_SLOW_TESTS") == "1"
slow = pytest.mark.skipif(not SLOW, reason="minutes of fitting: set WHYTAG_SLOW_TESTS=1 to run it")


def built(name: str) -> str:
    """`name`, or skip saying how to build it when its files are not in the package yet."""
    if name not in shipped_names():
        pytest.skip(f"shipped set {name} is not built yet: run `whytag models build {name}`")
    return name


@pytest.mark.parametrize("name", ["genres", pytest.param("moods", marks=slow)])
def test_the_shipped_files_equal_a_rebuild(name):
    built(name)
    shared_table(SHIPPED[name].table)
    card, rules = build(name, scores=card_scores(card_path(name).read_bytes()))
    assert card == card_path(name).read_bytes()
    assert rules == lzma.decompress(rules_path(name).read_bytes())
    assert lzma.compress(rules, preset=9) == rules_path(name).read_bytes()


@slow
@pytest.mark.parametrize("name", ["genres", "moods"])
def test_the_cards_scores_are_measured_again(name):
    spec = SHIPPED[built(name)]
    shared_table(spec.table)
    assert cross_validate(spec, *table(spec)) == card_scores(card_path(name).read_bytes())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_card_names_source_licence_features_learner_scores_and_version(name):
    built(name)
    card = Graph().parse(card_path(name), format="turtle")
    model_set = model_set_iri(name)
    assert (model_set, RDF.type, WT.ShippedModelSet) in card and card.value(model_set, OWL.versionInfo)
    source = card.value(model_set, PROV.wasDerivedFrom)
    assert card.value(source, DCTERMS.license) == URIRef("https://www.apache.org/licenses/LICENSE-2.0")
    assert "Lyberatos" in card.value(source, DCTERMS.creator) and "vaslyb" in card.value(source, DCTERMS.source)
    assert str(card.value(model_set, WT.learner)).startswith(f"{DEFAULT_LEARNER}: ")
    # only features `ingest --extract` computes by default: none of the tables' mid-level network columns
    groups = {info.iri: info.group for info in known_features().values()}
    given = set(card.objects(model_set, WT.inputFeature))
    assert len(given) >= 20 and {groups[f] for f in given} <= {"signal", "symbolic"}
    scores = card_scores(card_path(name).read_bytes())
    metrics = {"genres": ["accuracy"], "moods": ["pr_auc", "roc_auc"]}[name]
    for metric in metrics:  # the learner beside XGBoost, on the same splits
        assert 0.5 < scores[(DEFAULT_LEARNER, metric)] <= 1 or metric == "pr_auc"
        assert (BASELINE, metric) in scores
    assert 0 < scores[(DEFAULT_LEARNER, "top5_coverage_median")] <= 1
    protocols = {str(p) for p in card.objects(None, WT.protocol)}
    assert len(protocols) == 1


def test_the_card_is_small_text_and_the_rules_are_packed():
    for name in shipped_names():
        assert card_path(name).stat().st_size < 20_000
        assert rules_path(name).stat().st_size < 1_000_000
