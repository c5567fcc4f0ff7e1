"""Apply a model set inside the store: SPARQL decides which rules fire and sums their weights.

Tagging is two SPARQL SELECTs and one Update. The first SELECT finds, inside the store, every
(track, rule) whose conditions all hold, with the observation that satisfied each condition; the
second sums each (track, tag)'s fired weights as a SPARQL aggregate. Python adds the intercept,
squashes the logit to a score (SPARQL has no exp) and marks predictions; one Update then replaces
the model's tagging graph with the assignments and their justifications (a base rate plus one per
fired rule). So the justifications add up to the logit exactly, and a crash leaves the old tags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from whytag.kg.namespaces import WT, slug, tag_iri
from whytag.kg.store import GraphStore, Triple
from whytag.reasoning.model import sigmoid
from whytag.reasoning.rules import ModelInfo, read_models

CONDITION_HOLDS = ("(?op = '>=' && ?v >= ?th) || (?op = '>' && ?v > ?th) || (?op = '<=' && ?v <= ?th) || "
                   "(?op = '<' && ?v < ?th) || (?op = '==' && ?v = ?th)")


@dataclass(frozen=True)
class Assignment:
    """One track's score for one tag, as written to the graph."""

    iri: URIRef
    track: URIRef
    tag: URIRef
    notation: str
    logit: float
    score: float
    fired: int
    predicted: bool = False


def tags_graph(info: ModelInfo) -> URIRef:
    return URIRef(f"urn:whytag:graph/tags/{slug(info.name)}")


def apply_model(store: GraphStore, name: str, tracks: list[URIRef] | None = None,
                every_score: bool = False) -> list[Assignment]:
    """Tag `tracks` (default: every track with observations) with model set `name`; return all scores.

    The graph receives the predicted tags with their justifications, or with `every_score` every
    (track, tag) score — about ten times the triples for a ten-tag vocabulary.
    """
    info, models = read_models(store, name)
    scope = f"VALUES ?track {{ {' '.join(f'<{t}>' for t in tracks)} }}" if tracks is not None else ""
    fires = FIRES.format(scope=scope, graph=info.graph, holds=CONDITION_HOLDS)
    satisfied = store.select(f"""SELECT ?track ?rule ?o WHERE {{ {fires}
        GRAPH <{info.graph}> {{ ?rule wt:hasCondition ?c . ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
        GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
        FILTER({CONDITION_HOLDS}) }}""").rows
    sums = store.select(f"""SELECT ?track ?tm (SUM(?w) AS ?total) (COUNT(?rule) AS ?fired) WHERE {{ {fires}
        GRAPH <{info.graph}> {{ ?tm wt:hasRule ?rule . ?rule wt:weight ?w }} }} GROUP BY ?track ?tm""").rows
    all_tracks = [URIRef(r[0]) for r in store.select(
        f"SELECT DISTINCT ?track WHERE {{ {scope} GRAPH ?g {{ ?obs wt:ofTrack ?track }} }}").rows]
    totals = {(URIRef(t), URIRef(tm)): (float(s), int(n)) for t, tm, s, n in sums}
    assignments = []
    for model in models:
        tm = info.tag_model_iri(model.tag)
        for track in all_tracks:
            total, fired = totals.get((track, tm), (0.0, 0))
            logit = model.intercept + total
            score = (1.0 if fired > 0 else 0.0) if model.link == "any" else sigmoid(logit)
            assignments.append(Assignment(assignment_iri(track, info, model.tag), track,
                                          tag_iri(info.vocabulary, model.tag), model.tag, logit, score, fired))
    assignments = _decide(assignments, info.single_label, {m.tag: m.threshold for m in models})
    weights = {URIRef(rule.id): rule.weight for model in models for rule in model.rules}
    written = assignments if every_score else [a for a in assignments if a.predicted]
    store.write_graph(tags_graph(info), _tagging_triples(info, models, written, satisfied, weights))
    return assignments


FIRES = """{{ SELECT ?track ?rule WHERE {{
      {scope}
      GRAPH <{graph}> {{ ?rule wt:conditionCount ?n ; wt:hasCondition ?c .
                         ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
      GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
      FILTER({holds})
    }} GROUP BY ?track ?rule ?n HAVING (COUNT(DISTINCT ?c) = ?n) }}"""
"""The (track, rule) pairs where every condition of the rule holds: the store decides what fires."""


def assignment_iri(track: URIRef, info: ModelInfo, tag: str) -> URIRef:
    return URIRef(f"{track}/tags/{slug(info.name)}/{slug(tag)}")


def _tagging_triples(info: ModelInfo, models, assignments: list[Assignment], satisfied, weights) -> list[Triple]:
    """Assignments with their base-rate and fired-rule justifications (linked to satisfying observations)."""
    intercepts = {m.tag: m.intercept for m in models}
    rule_tags = {URIRef(rule.id): model.tag for model in models for rule in model.rules}
    by_pair = {(a.track, a.notation): a.iri for a in assignments}
    double = lambda x: Literal(x, datatype=XSD.double)  # noqa: E731
    run = URIRef(f"{tags_graph(info)}/run")
    triples: list[Triple] = [(run, RDF.type, WT.Tagging), (run, PROV.used, info.iri)]
    for a in assignments:
        base = URIRef(f"{a.iri}/j/base")
        triples += [(a.iri, RDF.type, WT.TagAssignment), (a.iri, WT.track, a.track), (a.iri, WT.tag, a.tag),
                    (a.iri, WT.fromModelSet, info.iri), (a.iri, WT.score, double(a.score)),
                    (a.iri, WT.logit, double(a.logit)), (a.iri, WT.predicted, Literal(a.predicted)),
                    (a.iri, WT.justifiedBy, base), (base, RDF.type, WT.Justification),
                    (base, WT.contribution, double(intercepts[a.notation]))]
    justified: set[URIRef] = set()
    for track, rule, observation in satisfied:
        rule = URIRef(rule)
        a = by_pair.get((URIRef(track), rule_tags[rule]))
        if a is None:  # an assignment not written (not predicted)
            continue
        j = URIRef(f"{a}/j/{rule.rsplit('/', 1)[-1]}")
        if j not in justified:
            justified.add(j)
            triples += [(a, WT.justifiedBy, j), (j, RDF.type, WT.Justification), (j, WT.rule, rule),
                        (j, WT.contribution, double(weights[rule]))]
        triples.append((j, WT.satisfiedBy, URIRef(observation)))
    return triples


def _assignment(row, link: str) -> Assignment:
    iri, track, tag, notation, logit, fired = row
    logit, fired = float(logit), int(fired)
    score = (1.0 if fired > 0 else 0.0) if link == "any" else sigmoid(logit)
    return Assignment(URIRef(iri), URIRef(track), URIRef(tag), str(notation), logit, score, fired)


def _decide(assignments: list[Assignment], single_label: bool, thresholds: dict[str, float]) -> list[Assignment]:
    """Mark predicted tags: each track's top tag (single-label) or every tag at/above its threshold."""
    if not single_label:
        return [replace(a, predicted=a.score >= thresholds.get(a.notation, 0.5)) for a in assignments]
    best: dict[URIRef, Assignment] = {}
    for a in assignments:
        if a.track not in best or (a.score, a.logit) > (best[a.track].score, best[a.track].logit):
            best[a.track] = a
    return [replace(a, predicted=best[a.track] is a) for a in assignments]
