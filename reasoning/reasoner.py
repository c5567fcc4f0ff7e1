"""Apply a model set to the catalog: stream tracks in batches, score them, write tags with their reasons.

Tagging reads the model set from its graph and then, batch by batch, reads the track's values of the
features the models use in bulk, decides which rules fire and adds up every tag's logit exactly as the
models compute it (`TagModel.logit`), squashes it to a score and marks predictions. Each batch's
assignments replace its tracks' earlier ones from the set in one transaction, with their justifications —
the base rate and one per feature effect (its fired rules plus its linear term, less its training
average), linked to the rules and the term — and, per decision, the smallest one-feature change that
would reverse it. The values are read READ_AHEAD tracks at a time while no write runs (reads beside the
store's writes ran several times slower), and each batch is scored while the store writes the one before;
memory stays that of one read-ahead's values and one batch, however large the catalog is. The rules also live in
the graph as SPARQL and OWL, and `rederive` re-decides sampled assignments inside the store with SPARQL
alone, so the two paths are checked against each other (`whytag validate --rederive N`).

Re-tagging never leaves a track without tags (issue #29): a batch's old tags go in the transaction that
writes its new ones, so a run killed or stopped by a full disk at any point leaves every track with its old
tags or its new ones, each whole, and readers (`explain`, `query`, `serve`) keep answering throughout; the
tags of tracks the run does not cover (gone from the store, or left out of `tracks`) are removed at its end.
The run node records when tagging started and ended and how many tracks it tagged: an interrupted run (no
end) leaves whole batches tagged, and `whytag validate` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from whytag.kg import iris
from whytag.kg import ntriples as nt
from whytag.kg.mapping import feature_node, feature_value_rows
from whytag.kg.namespaces import WT
from whytag.kg.ntriples import NTriples, line
from whytag.kg.queries import Named, query
from whytag.kg.store import GraphStore, Triple
from whytag.kg.write_behind import WriteBehind
from whytag.reasoning.concepts import assert_levels
from whytag.reasoning.counterfactual import OPS, Flip, FlipFinder
from whytag.reasoning.model import TagModel, rule_effect, score_of, scores_of
from whytag.reasoning.rules import ModelInfo, read_models

BATCH = 1000  # tracks read, scored and written together: one transaction each, memory of one batch
READ_AHEAD = 50_000  # tracks whose values are read in one pass while no write runs: ~12 MB at 30 features


class _P:
    """The predicates and classes of assignments in N-Triples syntax, formatted once (see kg.ntriples)."""

    type, assignment, counterfactual = nt.iri(RDF.type), nt.iri(WT.TagAssignment), nt.iri(WT.Counterfactual)
    track, tag, model_set, score, logit = (nt.iri(WT.track), nt.iri(WT.tag), nt.iri(WT.fromModelSet),
                                           nt.iri(WT.score), nt.iri(WT.logit))
    predicted, justified_by, contribution = nt.iri(WT.predicted), nt.iri(WT.justifiedBy), nt.iri(WT.contribution)
    effect, rule, tagged_as = nt.iri(WT.effect), nt.iri(WT.rule), nt.iri(WT.taggedAs)
    changes_if, feature, operator, threshold = (nt.iri(WT.decisionChangesIf), nt.iri(WT.feature),
                                                nt.iri(WT.operator), nt.iri(WT.threshold))
    operators = {op: Literal(op).n3() for op in OPS}  # a counterfactual's operator as a literal


@dataclass(frozen=True)
class Assignment:
    """One track's score for one tag, as written to the graph."""

    track: URIRef
    tag: URIRef
    notation: str
    logit: float
    score: float
    fired: int
    predicted: bool = False
    path: str = ""  # what follows the track's IRI in the assignment's (iris.assignment_path)

    @property
    def iri(self) -> URIRef:
        """The assignment's IRI (iris.assignment_iri), made when asked: a batch scores ten thousand."""
        return URIRef(f"{self.track}{self.path}")


def tags_graph(info: ModelInfo) -> URIRef:
    return iris.tags_graph(info.name)


def run_iri(info: ModelInfo) -> URIRef:
    """The tagging run of a model set (one: each run replaces the last)."""
    return iris.run_iri(info.name)


def apply_model(store: GraphStore, name: str, tracks: list[URIRef] | None = None,
                every_score: bool = False) -> list[Assignment]:
    """Tag `tracks` (default: every track) with model set `name` and return every (track, tag) score.

    Holds all scores in memory: for a catalog, iterate `tag_batches` instead.
    """
    return [a for batch in tag_batches(store, name, tracks, every_score) for a in batch]


def tag_batches(store: GraphStore, name: str, tracks: list[URIRef] | None = None, every_score: bool = False,
                batch_size: int = BATCH, on_start: Callable[[int], None] | None = None) -> Iterator[list[Assignment]]:
    """Tag tracks batch by batch with model set `name`, yielding each batch's scores once it is written.

    The graph receives the predicted tags with their justifications, or with `every_score` every
    (track, tag) score — about ten times the triples for a ten-tag vocabulary. Each batch replaces its
    tracks' earlier tags from the set in one step; the tags of tracks not tagged are removed at the end.
    Then every track's music-knowledge levels (fast, minor, loud) are stored, as the queries read them, for
    tracks added since `learn` (or with no `learn`), whichever way a catalog is tagged (the CLI, the Python
    API, the demo pipeline). `on_start` is told how many tracks will be tagged.
    """
    info, models = read_models(store, name)
    if tracks is None:
        tracks = catalog_tracks(store)
    graph = tags_graph(info)
    started = datetime.now(UTC).replace(microsecond=0)
    run = run_iri(info)
    # the last run's end and counts go with the start: they no longer describe the graph once a batch lands
    store.write_graph(graph, [(run, RDF.type, WT.Tagging), (run, PROV.used, info.iri),
                              (run, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime))],
                      clear=[Named("remove-tagging-run", {"run": run})])
    if on_start is not None:
        on_start(len(tracks))
    scorer = Scorer(info, models)
    tagged = 0
    counts = {(parts.tag, model.tag): 0 for model, parts in zip(models, scorer.parts)}  # by (tag, notation)
    in_flight: list[Assignment] | None = None
    with WriteBehind(store.concurrent) as writer:  # a batch is scored while the store loads the one before
        for batch, values in read_ahead(store, tracks, scorer.features, batch_size, writer.wait):
            assignments, triples = scorer.tag(values, every_score)
            writer.wait()
            if in_flight is not None:  # written: a caller that stops here leaves no later batch written
                yield in_flight
            writer.submit(replace_tags, store, graph, batch, triples)
            in_flight = assignments
            tagged += len(values)
            for a in assignments:
                counts[(a.tag, a.notation)] += a.predicted
        writer.wait()
    if in_flight is not None:
        yield in_flight
    remove_tags_of_others(store, graph, tracks, batch_size)
    ended = datetime.now(UTC).replace(microsecond=0)
    store.add(graph, [(run, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)),
                      (run, WT.trackCount, Literal(tagged, datatype=XSD.integer)),
                      *tag_count_triples(run, counts)])
    assert_levels(store, compact=False)  # compacted once below, for the tags and the levels (it was twice)
    store.compact()


def old_tags(tracks: list[URIRef]) -> list[Named]:
    """What removes, from a tags graph, every triple of the tracks' assignments (with their justifications and
    counterfactuals) and every triple about the tracks themselves (write_graph's `clear`)."""
    return [Named("remove-tags-of-tracks", {"t": tracks, "s": tracks})]


def replace_tags(store: GraphStore, graph: URIRef, tracks: list[URIRef], triples: NTriples) -> None:
    """Write a batch's tags in place of its tracks' earlier ones, in one transaction: a reader, or a run killed
    at any point, sees each track with its old tags or its new ones, never neither. Tracks that had none are
    loaded natively (several times faster than an Update: kg.store.GraphStore._load)."""
    if store.rows(query("assignments-of-tracks", t=tracks, graph=graph, limit=1)):
        store.write_graph(graph, triples, clear=old_tags(tracks))
    else:
        store.add(graph, triples)


def remove_tags_of_others(store: GraphStore, graph: URIRef, tracks: list[URIRef], batch_size: int = BATCH) -> None:
    """Remove the tags of tracks a run did not tag (gone from the store, or not asked for), a batch of
    tracks per transaction, so the graph holds exactly the run's tags when it ends."""
    tagged = set(tracks)
    others = [URIRef(t) for (t,) in store.values(query("tagged-tracks", graph=graph)) if URIRef(t) not in tagged]
    for start in range(0, len(others), batch_size):
        store.write_graph(graph, [], clear=old_tags(others[start:start + batch_size]))


def tag_count_triples(run: URIRef, counts: dict[tuple[URIRef, str], int]) -> list[Triple]:
    """How many tracks the run tagged with each tag (by IRI and notation), counted as it wrote them: a
    catalog's tag counts read in a millisecond instead of counting every assignment (`whytag validate`
    recounts them)."""
    triples: list[Triple] = []
    for (tag, notation), n in counts.items():
        node = iris.tag_count_iri(run, notation)
        triples += [(run, WT.tagCount, node), (node, WT.countedTag, tag),
                    (node, WT.trackCount, Literal(n, datatype=XSD.integer))]
    return triples


def catalog_tracks(store: GraphStore) -> list[URIRef]:
    """Every track in the store, in IRI order."""
    return sorted(URIRef(t) for (t,) in store.values(query("track-iris")))


def read_ahead(store: GraphStore, tracks: list[URIRef], features: list[str], batch_size: int,
               idle: Callable[[], None]) -> Iterator[tuple[list[URIRef], pd.DataFrame]]:
    """Each batch of `tracks` with its values, read READ_AHEAD tracks at a time once `idle()` (the writer's
    wait) has returned: a read beside the store's write took 6.1 ms a track against 0.4–0.9 alone (two cores
    shared with the bulk loader and its background work; bench/RESULTS.md, 2026-12-07 18:30)."""
    span = max(1, READ_AHEAD // batch_size) * batch_size
    for start in range(0, len(tracks), span):
        idle()
        batches = [tracks[b:b + batch_size] for b in range(start, min(start + span, len(tracks)), batch_size)]
        yield from [(batch, read_values(store, batch, features)) for batch in batches]


def read_values(store: GraphStore, tracks: list[URIRef], features: list[str]) -> pd.DataFrame:
    """A batch's values of `features` (tracks × features; NaN where unmeasured; tracks with none left out),
    in one query."""
    if not tracks or not features:
        return pd.DataFrame(columns=features, dtype=float)
    matrix = np.full((len(tracks), len(features)), np.nan)
    rows = feature_value_rows(store, tracks, [str(feature_node(f)) for f in features])
    matrix[rows[:, 0].astype(int), rows[:, 1].astype(int)] = rows[:, 2]
    kept = ~np.isnan(matrix).all(axis=1)
    return pd.DataFrame(matrix[kept], index=pd.Index([t for t, k in zip(tracks, kept) if k], dtype=object),
                        columns=features)


class Scorer:
    """One model set's tag models applied to batches of feature values: scores, decisions and the triples."""

    def __init__(self, info: ModelInfo, models: list[TagModel]) -> None:
        self.info = info
        self.models = models
        self.features = sorted({f for model in models for effect in model.effects() for f in effect})
        self.thresholds = np.array([model.threshold for model in models])
        self.flips = FlipFinder(models, info.single_label) if all(m.link == "logistic" for m in models) else None
        self.parts = [_ModelParts(info, model) for model in models]

    def tag(self, X: pd.DataFrame, every_score: bool) -> tuple[list[Assignment], NTriples]:
        """Every (track, tag) score of a batch, and the triples of those written (predicted, or all).

        The triples come as N-Triples text: a catalog's tags are millions of them, and rdflib terms
        cost more to build than everything else in tagging (kg.ntriples).
        """
        terms = [m.terms(X) for m in self.models]  # each rule evaluated once, for the logits and the reasons
        fired = [np.column_stack(fires) if fires else np.zeros((len(X), 0), bool) for fires, *_ in terms]
        logits = (np.column_stack([m.logit(X, t) for m, t in zip(self.models, terms)]) if len(X)
                  else np.zeros((0, len(self.models))))
        scores = np.column_stack([scores_of(lg, m.link) for m, lg in zip(self.models, logits.T)]) if len(X) else logits
        predicted = self._decide(logits, scores)
        assignments, lines = [], []
        reasons = [m.reasons(X, t).to_numpy() for m, t in zip(self.models, terms)]  # columns: model.effects()
        written = np.ones(predicted.shape, dtype=bool) if every_score else predicted
        flips = self._flips(X, logits, written)
        counts = np.column_stack([f.sum(axis=1) for f in fired]).tolist() if len(X) else []
        logit_rows, predicted_rows, written_rows = logits.tolist(), predicted.tolist(), written.tolist()
        for i, track in enumerate(X.index):
            for t, (model, parts) in enumerate(zip(self.models, self.parts)):
                logit = logit_rows[i][t]
                a = Assignment(track, parts.tag, model.tag, logit, score_of(logit, model.link), counts[i][t],
                               predicted_rows[i][t], parts.path)
                assignments.append(a)
                if written_rows[i][t]:
                    node = f"{track}{parts.path}"  # text: URIRef + str would make (and check) a URIRef
                    lines += self._assignment_lines(a, node, parts, fired[t][i], reasons[t][i])
                    lines += self._flip_lines(node, flips.get((i, t)))
        return assignments, NTriples("".join(lines))

    def _flips(self, X: pd.DataFrame, logits: np.ndarray, written: np.ndarray) -> dict[tuple[int, int], Flip]:
        """The nearest decision flip of each written (track row, tag index), all found at once."""
        if self.flips is None or not written.any():
            return {}
        rows, tags = np.nonzero(written)
        found = self.flips.nearest_many({f: X[f].to_numpy(dtype=float) for f in X.columns}, logits, rows, tags)
        return {(int(i), int(t)): flip for i, t, flip in zip(rows, tags, found) if flip is not None}

    def _decide(self, logits: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Predicted (track, tag): each track's top tag (single-label: highest score, then logit) or every
        tag at/above its threshold."""
        if not self.info.single_label:
            return scores >= self.thresholds
        out = np.zeros(scores.shape, dtype=bool)
        if len(scores):
            top = scores == scores.max(axis=1, keepdims=True)
            best = np.where(top, logits, -np.inf).argmax(axis=1)  # ties: the higher logit, then the first tag
            out[np.arange(len(best)), best] = True
        return out

    def _assignment_lines(self, a: Assignment, iri: str, parts: _ModelParts, fired: np.ndarray,
                          reasons: np.ndarray) -> list[str]:
        """An assignment with its base rate and one justification per feature effect of the tag's model,
        and, when predicted, the one-pattern `<track> wt:taggedAs <tag>`.

        An effect's contribution is what its fired rules and linear term add, minus its offset (the
        training average), so base rate + contributions = logit; it links the rules that fired. Not its
        linear term (the model graph names the effect's term, which applies wherever the track has the
        term's feature) nor the values read (the track's values of the effect's features): triples saved.
        """
        node, track = nt.iri(iri), nt.iri(a.track)  # checked once: what is appended to it below is slugs
        base = f"<{iri}{parts.base_path}>"
        lines = [line(node, _P.type, _P.assignment), line(node, _P.track, track), line(node, _P.tag, parts.tag_nt),
                 line(node, _P.model_set, parts.model_set), line(node, _P.score, nt.double(a.score)),
                 line(node, _P.logit, nt.double(a.logit)), line(node, _P.predicted, nt.boolean(a.predicted)),
                 line(node, _P.justified_by, base), line(base, _P.contribution, parts.base_rate)]
        if a.predicted:
            lines.append(line(track, _P.tagged_as, parts.tag_nt))
        links: list[list[tuple[str, str]]] = [[] for _ in parts.effects]
        for k in np.flatnonzero(fired):
            if parts.rule_effect[k] is not None:
                links[parts.rule_effect[k]].append((_P.rule, parts.rule_iris[k]))
        for e, path in enumerate(parts.effect_paths):
            j = f"<{iri}{path}>"
            lines += [line(node, _P.justified_by, j), line(j, _P.effect, parts.effect_iris[e]),
                      line(j, _P.contribution, nt.double(reasons[e]))]
            lines += [line(j, p, o) for p, o in links[e]]
        return lines

    def _flip_lines(self, iri: str, flip: Flip | None) -> list[str]:
        """The smallest one-feature change that reverses the decision of assignment `iri` (if any), as a
        wt:Counterfactual."""
        if flip is None:
            return []
        node = f"<{iri}{iris.COUNTERFACTUAL_PATH}>"
        return [line(nt.iri(iri), _P.changes_if, node), line(node, _P.type, _P.counterfactual),
                line(node, _P.feature, nt.iri(feature_node(flip.feature))),
                line(node, _P.operator, _P.operators[flip.op]),
                line(node, _P.threshold, nt.double(flip.threshold))]


class _ModelParts:
    """A tag model's IRIs and structure as the triples need them, computed once per run, not per track."""

    def __init__(self, info: ModelInfo, model: TagModel) -> None:
        self.path = iris.assignment_path(info.name, model.tag)  # assignments sit under their tracks' IRIs
        self.tag = iris.tag_iri(info.vocabulary, model.tag)
        self.effects = model.effects()
        index = {effect: e for e, effect in enumerate(self.effects)}
        self.tag_nt, self.model_set = nt.iri(self.tag), nt.iri(info.iri)  # in N-Triples, for the lines
        self.effect_iris = [nt.iri(info.effect_iri(model.tag, effect)) for effect in self.effects]
        self.effect_paths = [iris.justification_path(iris.effect_slug(effect)) for effect in self.effects]
        self.base_path = iris.justification_path("base")
        # as read back from the graph, rule ids are the rules' IRIs; a rule without conditions is in the base rate
        self.rule_effect = [index[rule_effect(rule)] if rule.conditions else None for rule in model.rules]
        self.rule_iris = [nt.iri(rule.id) for rule in model.rules]
        self.base_rate = nt.double(model.base_rate)
