"""The learn stage: labelled tracks in the graph → a model set of rules stored in the graph."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.kg.features import known_features
from whytag.kg.iris import slug
from whytag.kg.mapping import feature_table
from whytag.kg.store import GraphStore
from whytag.kg.tables import TableError
from whytag.reasoning.concepts import assert_levels, tertile_levels, write_levels
from whytag.reasoning.learners import DEFAULT_LEARNER, OneVsRestRuleLearner, registry
from whytag.reasoning.rules import ModelInfo, write_models


class LearnError(WhytagError, ValueError):
    """Labels or a learner name that whytag cannot learn from; the message says why."""


@dataclass(frozen=True)
class FeatureChoice:
    """The features a model learns from, and each feature left out with the reason why."""

    kept: list[str]
    left_out: dict[str, str] = field(default_factory=dict)


def learning_features(X: pd.DataFrame, raw: bool = False, groups: Iterable[str] | None = None) -> FeatureChoice:
    """Which columns of a training table to learn from: by default the perceptual ones that vary.

    Left out: raw descriptors (the ontology's `wt:perceptual false`: MFCCs, tuning frequency, the key's
    pitch class) unless `raw`; features of a group not in `groups` (e.g. the shipped models keep to
    `extractors.batch.DEFAULT_GROUPS`, what `ingest --extract` measures); and constant features — one
    value, or (median not 0) 90% of the values within 1% of the median, as GTZAN's Length is (its 30 s
    clips give 30.000 to 30.013 s): a reason such as "length 30 s — low length" says nothing, and
    a 208 s track made such a term +569. Columns the ontology does not know are the user's own: kept.
    """
    known, wanted = known_features(), None if groups is None else set(groups)
    kept, left_out = [], {}
    for column in X.columns:
        info = known.get(column)
        if info is not None and not info.perceptual and not raw:
            left_out[column] = "a raw descriptor (--raw-features learns from it)"
        elif info is not None and wanted is not None and info.group not in wanted:
            left_out[column] = f"of the {info.group} group, which is not extracted by default"
        elif is_constant(X[column]):
            left_out[column] = "constant in the training data"
        else:
            kept.append(column)
    return FeatureChoice(kept, left_out)


def is_constant(values: pd.Series) -> bool:
    """One value, or (median not 0) a 5th-95th percentile spread within 1% of the median."""
    present = values.dropna().to_numpy(dtype=float)
    if len(np.unique(present)) < 2:
        return True
    low, high = np.percentile(present, [5, 95])
    median = float(np.median(present))
    return median != 0 and high - low <= 0.01 * abs(median)


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
    left_out: dict[str, str] = field(default_factory=dict)  # features not learned from, and why


def learn(store: GraphStore, Y: pd.Series | pd.DataFrame, ids: dict[str, URIRef], learner: str = DEFAULT_LEARNER,
          name: str = "default", vocabulary: str = "tags", training_set: str = "", seed: int = 0,
          raw_features: bool = False) -> LearnSummary:
    """Fit `learner` on the labelled tracks' feature values (the `learning_features`, raw descriptors too
    with `raw_features`) and store its rules and the learned levels."""
    X_all = feature_table(store, sorted(set(ids.values())))
    wanted = {str(iri): label_id for label_id, iri in ids.items()}
    present = [t for t in X_all.index if t in wanted]
    skipped = sorted(str(wanted_id) for iri, wanted_id in wanted.items() if iri not in set(present))
    if not present:
        raise TableError("none of the labelled tracks has features in the store (ingest and extract them first)")
    X = X_all.loc[present]
    Y = Y.loc[[wanted[t] for t in present]]
    Y.index = present
    model = fit_learner(X, Y, learner, vocabulary, seed, raw_features)
    left_out = learning_features(X.dropna(axis=1, how="any"), raw=raw_features).left_out
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
                        list(model.feature_names_), left_out)


def fit_learner(X: pd.DataFrame, Y: pd.Series | pd.DataFrame, learner: str, vocabulary: str,
                seed: int = 0, raw_features: bool = False) -> OneVsRestRuleLearner:
    """`learner` fitted as `learn` fits it (the `learning_features` of those with a value on every track;
    multi-label tags cut where their training F1 is best): one function, so the shipped model sets'
    cross-validation scores what ships."""
    known = registry()
    if learner not in known:
        raise LearnError(f"unknown learner {learner!r}; choose one of {', '.join(known)}")
    X = X.dropna(axis=1, how="any")
    choice = learning_features(X, raw=raw_features)
    if not choice.kept:
        raise LearnError(f"no feature to learn from: {', '.join(f'{f} ({why})' for f, why in choice.left_out.items())}")
    X = X[choice.kept]
    # Multi-label: cut each tag where its training F1 is best (0.5 would rarely predict a rare tag).
    threshold = 0.5 if isinstance(Y, pd.Series) else "f1"
    model = known[learner](random_state=seed, id_prefix=slug(vocabulary), threshold=threshold)
    try:
        model.fit(X, Y)
    except ValueError as err:  # learners check X and Y as scikit-learn's do; here Y is the user's labels
        raise LearnError(str(err)) from None
    return model
