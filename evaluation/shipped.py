"""Build the shipped model sets (`genres`, `moods`) from the paper's tables, with their model cards.

Each set is learned exactly as `whytag learn --features TABLE` learns one — the table's rows imported into a
fresh store, `reasoning.training.learn` with its default learner — on the features `ingest --extract` computes
by default (the tables' mid-level network columns are absent from audio), so a change to learn's defaults
reaches the shipped sets by a rebuild. The card beside the rules says where the table comes from (licence,
authors), the features given, the learner with its parameters, and its cross-validated scores beside the
paper's XGBoost on the same splits and features (`training.fit_learner`, the fit `learn` makes). The files are
`ontology/models/NAME.card.ttl` (the card, small, read by `whytag models`) and `NAME.rules.ttl.xz` (xz: a third
smaller than gzip on these files: genres' 1.22 MB of Turtle → 72 KB; the format holds no time stamp).
"""

from __future__ import annotations

import lzma
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD
from sklearn.model_selection import KFold, ShuffleSplit

from whytag.datasets.paper_tables import GTZAN_TABLE, JAMENDO_TABLE, load_gtzan, load_jamendo_moodtheme, table_path
from whytag.evaluation.baselines import baselines
from whytag.evaluation.metrics import score
from whytag.extractors.batch import DEFAULT_GROUPS
from whytag.kg.features import feature_node, known_features
from whytag.kg.iris import model_set_iri, slug, table_iri
from whytag.kg.namespaces import WT
from whytag.kg.store import open_store
from whytag.kg.tables import import_features
from whytag.kg.turtle import exact_turtle
from whytag.ontology import MODELS
from whytag.reasoning.learners import DEFAULT_LEARNER
from whytag.reasoning.rules import ModelInfo
from whytag.reasoning.shipped import card_path, rules_path
from whytag.reasoning.training import fit_learner, learn

VERSION = "4"  # the shipped sets' version: raise it when they are rebuilt with different contents
SOURCE = URIRef("https://github.com/vaslyb/perceptible-music-tagging")
LICENCE = URIRef("https://www.apache.org/licenses/LICENSE-2.0")
AUTHORS = "V. Lyberatos et al."  # as the tables' repository and the paper name them
CITATION = ("V. Lyberatos et al.: Challenges and Perspectives in Interpretable Music Auto-Tagging Using Perceptual "
            "Features. IEEE Access, 2025.")
DIGITS = 4  # scores on the card are rounded so a rebuild matches despite the last bits of a float sum
BASELINE = "xgboost (paper)"
Scores = dict[tuple[str, str], float]  # (learner, metric) → mean over the splits


@dataclass(frozen=True)
class ShippedSet:
    """One shipped model set: its name, vocabulary, source table and how its card's scores are cross-validated."""

    name: str
    vocabulary: str
    table: str
    load: Callable[[Path], tuple[pd.DataFrame, pd.Series | pd.DataFrame]]
    protocol: str
    splitter: object
    comment: str

    def splits(self, X: pd.DataFrame) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self.splitter.split(X)


SHIPPED = {s.name: s for s in (
    ShippedSet("genres", "gtzan", GTZAN_TABLE, load_gtzan, "5 random 80/20 splits (ShuffleSplit, random_state=0)",
               ShuffleSplit(n_splits=5, test_size=0.2, random_state=0),
               "GTZAN's 10 genres, learned from the perceptual features Lyberatos et al. published for its 999 clips."),
    # 10 folds, as the Jamendo goal of #31 (bench/jamendo_rules.py --cv 10): each fold's fit of 56 tags on ~2,040
    # tracks takes ~30 CPU-seconds, XGBoost's ~8
    ShippedSet("moods", "jamendo-moodtheme", JAMENDO_TABLE, load_jamendo_moodtheme,
               "10-fold cross-validation (KFold, shuffled, random_state=0)",
               KFold(n_splits=10, shuffle=True, random_state=0),
               "MTG-Jamendo's 56 moods and themes, learned from the perceptual features Lyberatos et al. published "
               "for 2,270 of its tracks (those whose id is 0, 1 or 2 modulo 5)."),
)}


def table(spec: ShippedSet, tables: Path | None = None) -> tuple[pd.DataFrame, pd.Series | pd.DataFrame]:
    """The set's table as (features `ingest --extract` computes, labels), from `tables` or where the paper's are."""
    X, Y = spec.load(tables / spec.table if tables else table_path(spec.table))
    return extracted_columns(X), Y


def extracted_columns(X: pd.DataFrame) -> pd.DataFrame:
    """The table's columns that `ingest --extract` computes by default (its extractor groups), in table order."""
    known = known_features()
    return X[[c for c in X.columns if c in known and known[c].group in DEFAULT_GROUPS]]


def build(name: str, tables: Path | None = None, scores: Scores | None = None) -> tuple[bytes, bytes]:
    """The card's Turtle and the rules' Turtle of shipped set `name`, learned from the paper's table; its
    cross-validated `scores` are measured unless given (they take most of the time: a fit per split)."""
    spec = SHIPPED[name]
    X, Y = table(spec, tables)
    model_graph, features = learned_graph(spec, X, Y)
    card = card_graph(spec, model_graph, features, scores if scores is not None else cross_validate(spec, X, Y))
    rules = Graph()
    for triple in model_graph:
        if triple not in card:
            rules.add(triple)
    return exact_turtle(card), exact_turtle(rules)


def write(name: str, folder: Path = MODELS, tables: Path | None = None,
          scores: Scores | None = None) -> tuple[Path, Path]:
    """Rebuild shipped set `name` into `folder`: the same triples give the same bytes, compressed too."""
    card, rules = build(name, tables, scores)
    card_path(name, folder).write_bytes(card)
    rules_path(name, folder).write_bytes(lzma.compress(rules, preset=9))
    return card_path(name, folder), rules_path(name, folder)


def learned_graph(spec: ShippedSet, X: pd.DataFrame, Y: pd.Series | pd.DataFrame) -> tuple[Graph, list[str]]:
    """The model set's graph as `whytag learn` writes it (its time stamp left out), and the features it was given."""
    source = Path(spec.table).stem
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "graph") as store:
        tracks = import_features(store, X, source)
        summary = learn(store, Y, dict(zip(X.index.astype(str), tracks)), DEFAULT_LEARNER, spec.name,
                        spec.vocabulary, spec.table)
        graph = store.graph_triples(ModelInfo(spec.name, spec.vocabulary).graph)
    graph.remove((model_set_iri(spec.name), PROV.generatedAtTime, None))  # the card's version says which build
    return graph, summary.features


def cross_validate(spec: ShippedSet, X: pd.DataFrame, Y: pd.Series | pd.DataFrame) -> Scores:
    """Mean scores of learn's default learner and of the paper's XGBoost on the same splits and features."""
    scores: dict[tuple[str, str], list[float]] = {}
    for train, test in spec.splits(X):
        model = fit_learner(X.iloc[train], Y.iloc[train], DEFAULT_LEARNER, spec.vocabulary)
        X_train, X_test = X.iloc[train][model.feature_names_], X.iloc[test][model.feature_names_]
        baseline = baselines(isinstance(Y, pd.Series))[BASELINE].fit(X_train, Y.iloc[train])
        for learner, fitted in ((DEFAULT_LEARNER, model), (BASELINE, baseline)):
            result = score(learner, fitted, X_test, Y.iloc[test], 0.0)
            measured = {k: v for k, v in result.metrics.items() if k in ("accuracy", "roc_auc", "pr_auc")}
            if result.coverage:
                measured["top5_coverage_median"] = result.coverage["top5_coverage_median"]
            for metric, value in measured.items():
                scores.setdefault((learner, metric), []).append(value)
    return {key: round(float(np.mean(values)), DIGITS) for key, values in scores.items()}


def card_scores(card: bytes) -> Scores:
    """The cross-validated scores a card states, to rebuild a set without measuring them again."""
    graph = Graph().parse(data=card, format="turtle")
    return {(str(graph.value(node, WT.evaluatedLearner)), str(graph.value(node, WT.metric))):
            float(graph.value(node, WT.meanScore)) for node in graph.subjects(RDF.type, WT.Evaluation)}


def card_graph(spec: ShippedSet, model_graph: Graph, features: list[str],
               scores: Scores) -> Graph:
    """The model card: the set's own triples from `model_graph`, plus its source table, features, scores, version."""
    card, model_set = Graph(), model_set_iri(spec.name)
    for triple in model_graph.triples((model_set, None, None)):
        card.add(triple)
    source = table_iri(Path(spec.table).stem)
    card.add((model_set, RDF.type, WT.ShippedModelSet))
    card.add((model_set, RDFS.comment, Literal(spec.comment)))
    card.add((model_set, OWL.versionInfo, Literal(VERSION)))
    card.add((model_set, PROV.wasDerivedFrom, source))
    card.add((source, RDF.type, PROV.Entity))
    card.add((source, RDFS.label, Literal(spec.table)))
    card.add((source, DCTERMS.source, SOURCE))
    card.add((source, DCTERMS.license, LICENCE))
    card.add((source, DCTERMS.creator, Literal(AUTHORS)))
    card.add((source, DCTERMS.bibliographicCitation, Literal(CITATION)))
    for feature in features:
        card.add((model_set, WT.inputFeature, feature_node(feature)))
    for (learner, metric), value in sorted(scores.items()):
        node = URIRef(f"{model_set}/evaluation/{slug(learner)}/{slug(metric)}")
        card.add((model_set, WT.hasEvaluation, node))
        card.add((node, RDF.type, WT.Evaluation))
        card.add((node, WT.evaluatedLearner, Literal(learner)))
        card.add((node, WT.metric, Literal(metric)))
        card.add((node, WT.protocol, Literal(spec.protocol)))
        card.add((node, WT.meanScore, Literal(value, datatype=XSD.double)))
    return card
