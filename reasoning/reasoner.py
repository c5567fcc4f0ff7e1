"""Apply a model set inside the store: SPARQL decides which rules fire and sums their weights.

Tagging is three SPARQL SELECTs and one Update. The first SELECT sums, inside the store, the weights
of every (track, tag)'s fired rules — those whose conditions all hold — as a SPARQL aggregate; the
second (only for models with linear terms) reads the observations those terms use. Python adds the
intercept and the linear terms, squashes the logit to a score (SPARQL has no exp) and marks
predictions; the third SELECT finds, for the assignments to be written only, each fired rule with
the observation that satisfied each condition. One Update then replaces the model's tagging graph
with the assignments and their justifications (a base rate, one per fired rule, one per linear
term). So the justifications add up to the logit exactly, and a crash leaves the old tags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from whytag.kg.namespaces import WT, slug, tag_iri
from whytag.kg.store import GraphStore, Triple
from whytag.reasoning.model import TagModel, sigmoid
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
    sums = store.select(f"""SELECT ?track ?tm (SUM(?w) AS ?total) (COUNT(?rule) AS ?fired) WHERE {{ {fires}
        GRAPH <{info.graph}> {{ ?tm wt:hasRule ?rule . ?rule wt:weight ?w }} }} GROUP BY ?track ?tm""").rows
    all_tracks = [URIRef(r[0]) for r in store.select(
        f"SELECT DISTINCT ?track WHERE {{ {scope} GRAPH ?g {{ ?obs wt:ofTrack ?track }} }}").rows]
    totals = {(URIRef(t), URIRef(tm)): (float(s), int(n)) for t, tm, s, n in sums}
    observed = linear_observations(store, scope, models)
    assignments = []
    for model in models:
        tm = info.tag_model_iri(model.tag)
        for track in all_tracks:
            total, fired = totals.get((track, tm), (0.0, 0))
            logit = model.intercept + total + sum(c for _, _, c in linear_contributions(model, observed, track))
            score = (1.0 if fired > 0 else 0.0) if model.link == "any" else sigmoid(logit)
            assignments.append(Assignment(assignment_iri(track, info, model.tag), track,
                                          tag_iri(info.vocabulary, model.tag), model.tag, logit, score, fired))
    assignments = _decide(assignments, info.single_label, {m.tag: m.threshold for m in models})
    weights = {URIRef(rule.id): rule.weight for model in models for rule in model.rules}
    written = assignments if every_score else [a for a in assignments if a.predicted]
    satisfied = satisfied_conditions(store, info, written, scope, len(assignments))
    triples = _tagging_triples(info, models, written, satisfied, weights)
    triples += _linear_triples(info, models, written, observed)
    store.write_graph(tags_graph(info), triples)
    return assignments


Observed = dict[tuple[URIRef, str], tuple[URIRef, float]]
"""(track, feature name) → (observation, value): what the linear terms read."""


def linear_observations(store: GraphStore, scope: str, models: list[TagModel]) -> Observed:
    """Each track's observation of every feature some linear term uses (the first by IRI if several)."""
    features = sorted({term.feature for model in models for term in model.linear})
    if not features:
        return {}
    names = " ".join(Literal(f).n3() for f in features)
    rows = store.select(f"""SELECT ?track ?name ?o ?v WHERE {{ {scope}
        VALUES ?name {{ {names} }}
        GRAPH ?schema {{ ?f wt:featureName ?name }}
        GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }} }} ORDER BY DESC(?o)""").rows
    return {(URIRef(track), str(name)): (URIRef(o), float(v)) for track, name, o, v in rows}


def linear_contributions(model: TagModel, observed: Observed,
                         track: URIRef) -> list[tuple[int, URIRef, float]]:
    """(term index, observation, contribution) of each linear term the track has a value for."""
    out = []
    for index, term in enumerate(model.linear):
        hit = observed.get((track, term.feature))
        if hit is not None:
            out.append((index, hit[0], term.weight * (hit[1] - term.center)))
    return out


FIRES = """{{ SELECT ?track ?rule WHERE {{
      {{ SELECT DISTINCT ?track ?c WHERE {{
          {scope}
          GRAPH <{graph}> {{ ?c a wt:Condition ; wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
          GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
          FILTER({holds}) }} }}
      GRAPH <{graph}> {{ ?rule wt:hasCondition ?c ; wt:conditionCount ?n }}
    }} GROUP BY ?track ?rule ?n HAVING (COUNT(DISTINCT ?c) = ?n) }}"""
"""The (track, rule) pairs where every condition of the rule holds: the store decides what fires.

Each distinct condition of the model set is tested once per track (rules share condition nodes),
and only then joined with the rules that use it.
"""


def satisfied_conditions(store: GraphStore, info: ModelInfo, written: list[Assignment], scope: str,
                         scored: int) -> list[tuple]:
    """(track, rule, observation) for each fired rule of the written assignments and each observation
    that satisfied one of its conditions: the links behind the justifications, found inside the store.

    One grouped query: HAVING keeps the rules whose conditions all hold, as in FIRES, and each group
    lists its satisfying observations (IRIs hold no spaces). When few of the `scored` (track, tag)
    pairs are written (predicted tags only), the query names those pairs; Oxigraph evaluates such a
    VALUES block row by row (~12 ms a pair here), so with many it is cheaper to cover the tracks'
    every rule and keep the written pairs' rows.
    """
    if not written:
        return []
    wanted = {(a.track, info.tag_model_iri(a.notation)) for a in written}
    if len(wanted) * 8 < scored:
        scope = "VALUES (?track ?tm) { " + " ".join(f"(<{t}> <{tm}>)" for t, tm in wanted) + " }"
    rows = store.select(f"""SELECT ?track ?tm ?rule (GROUP_CONCAT(STR(?o); separator=" ") AS ?observations) WHERE {{
        {scope}
        GRAPH <{info.graph}> {{ ?tm wt:hasRule ?rule . ?rule wt:conditionCount ?n ; wt:hasCondition ?c .
                               ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
        GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
        FILTER({CONDITION_HOLDS})
      }} GROUP BY ?track ?tm ?rule ?n HAVING (COUNT(DISTINCT ?c) = ?n)""").rows
    return [(track, rule, observation) for track, tm, rule, observations in rows
            if (URIRef(track), URIRef(tm)) in wanted for observation in str(observations).split()]


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


def _linear_triples(info: ModelInfo, models: list[TagModel], assignments: list[Assignment],
                    observed: Observed) -> list[Triple]:
    """One justification per linear term of each written assignment, linked to the observation it read."""
    by_tag = {model.tag: model for model in models}
    triples: list[Triple] = []
    for a in assignments:
        for index, observation, contribution in linear_contributions(by_tag[a.notation], observed, a.track):
            j = URIRef(f"{a.iri}/j/linear-{index}")
            triples += [(a.iri, WT.justifiedBy, j), (j, RDF.type, WT.Justification),
                        (j, WT.linearTerm, info.linear_term_iri(a.notation, index)),
                        (j, WT.contribution, Literal(contribution, datatype=XSD.double)),
                        (j, WT.fromObservation, observation)]
    return triples


def _decide(assignments: list[Assignment], single_label: bool, thresholds: dict[str, float]) -> list[Assignment]:
    """Mark predicted tags: each track's top tag (single-label) or every tag at/above its threshold."""
    if not single_label:
        return [replace(a, predicted=a.score >= thresholds.get(a.notation, 0.5)) for a in assignments]
    best: dict[URIRef, Assignment] = {}
    for a in assignments:
        if a.track not in best or (a.score, a.logit) > (best[a.track].score, best[a.track].logit):
            best[a.track] = a
    return [replace(a, predicted=best[a.track] is a) for a in assignments]
