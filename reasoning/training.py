"""The learn stage: labelled tracks in the graph → a model set of rules stored in the graph."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.kg.iris import slug
from whytag.kg.mapping import feature_table
from whytag.kg.store import GraphStore
from whytag.kg.tables import TableError
from whytag.reasoning.concepts import assert_levels, tertile_levels, write_levels
from whytag.reasoning.learners import OneVsRestRuleLearner, registry
from whytag.reasoning.rules import ModelInfo, write_models


class LearnError(WhytagError, ValueError):
    """Labels or a learner name that whytag cannot learn from; the message says why."""


@dataclass
class LearnSummary:
    """What learning produced: the model set, its size and its fit on the training tracks."""

    info: ModelInfo
    tracks: int
    rules: int
    max_conditions_per_tag: int
    linear_terms: int
    training_score: float
    skipped: list[str]
    features: list[str]  # the columns the learner was given


def learn(store: GraphStore, Y: pd.Series | pd.DataFrame, ids: dict[str, URIRef], learner: str, name: str,
          vocabulary: str, training_set: str, seed: int = 0) -> LearnSummary:
    """Fit `learner` on the labelled tracks' feature values and store its rules and the learned levels."""
    X_all = feature_table(store, sorted(set(ids.values())))
    wanted = {str(iri): label_id for label_id, iri in ids.items()}
    present = [t for t in X_all.index if t in wanted]
    skipped = sorted(str(wanted_id) for iri, wanted_id in wanted.items() if iri not in set(present))
    if not present:
        raise TableError("none of the labelled tracks has features in the store (ingest and extract them first)")
    X = X_all.loc[present]
    Y = Y.loc[[wanted[t] for t in present]]
    Y.index = present
    model = fit_learner(X, Y, learner, vocabulary, seed)
    X = X[model.feature_names_]
    info = ModelInfo(name, vocabulary, f"{learner}: {model!r}", training_set, isinstance(Y, pd.Series))
    write_models(store, info, model.models_.values())
    write_levels(store, tertile_levels(X, training_set))
    assert_levels(store)
    if isinstance(Y, pd.Series):
        score = float((model.predict(X) == Y).mean())
    else:
        score = float((model.predict(X).to_numpy() == Y.to_numpy()).mean())
    return LearnSummary(info, len(present), sum(len(m.rules) for m in model.models_.values()),
                        max(m.n_conditions for m in model.models_.values()),
                        sum(len(m.linear) for m in model.models_.values()), score, skipped,
                        list(model.feature_names_))


def fit_learner(X: pd.DataFrame, Y: pd.Series | pd.DataFrame, learner: str, vocabulary: str,
                seed: int = 0) -> OneVsRestRuleLearner:
    """`learner` fitted as `learn` fits it (features with a value on every track; multi-label tags cut where
    their training F1 is best): one function, so the shipped model sets' cross-validation scores what ships."""
    known = registry()
    if learner not in known:
        raise LearnError(f"unknown learner {learner!r}; choose one of {', '.join(known)}")
    X = X.dropna(axis=1, how="any")
    # Multi-label: cut each tag where its training F1 is best (0.5 would rarely predict a rare tag).
    threshold = 0.5 if isinstance(Y, pd.Series) else "f1"
    model = known[learner](random_state=seed, id_prefix=slug(vocabulary), threshold=threshold)
    try:
        model.fit(X, Y)
    except ValueError as err:  # learners check X and Y as scikit-learn's do; here Y is the user's labels
        raise LearnError(str(err)) from None
    return model
