"""Apply a model set inside the store: SPARQL decides which rules fire and sums their weights.

Tagging is three SPARQL SELECTs and one write. The first SELECT sums, inside the store, the weights
of every (track, tag)'s fired rules — those whose conditions all hold — as a SPARQL aggregate; the
second reads the observations of the features the models use. Python adds the intercept and the
linear terms, squashes the logit to a score (SPARQL has no exp) and marks predictions; the third
SELECT lists, for the assignments to be written only, the rules that fire. The model's tagging graph
is then replaced with the assignments and their justifications — the base rate and one per feature
effect (its fired rules plus its linear term, less its training average), linked to the rules, the
term and the observations — and, per decision, the smallest one-feature change that would reverse
it. So the justifications add up to the logit exactly, and a crash leaves the old tags.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF

from whytag.kg.mapping import feature_node
from whytag.kg.namespaces import WT, slug, tag_iri
from whytag.kg.store import GraphStore, Triple
from whytag.reasoning.counterfactual import FlipFinder
from whytag.reasoning.model import Effect, TagModel, rule_effect, sigmoid
from whytag.reasoning.rules import ModelInfo, double, read_models

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
    observed = feature_observations(store, scope, models)
    assignments = []
    for model in models:
        tm = info.tag_model_iri(model.tag)
        for track in all_tracks:
            total, fired = totals.get((track, tm), (0.0, 0))
            logit = model.intercept + total + sum(linear_contributions(model, observed, track).values())
            score = (1.0 if fired > 0 else 0.0) if model.link == "any" else sigmoid(logit)
            assignments.append(Assignment(assignment_iri(track, info, model.tag), track,
                                          tag_iri(info.vocabulary, model.tag), model.tag, logit, score, fired))
    assignments = _decide(assignments, info.single_label, {m.tag: m.threshold for m in models})
    written = assignments if every_score else [a for a in assignments if a.predicted]
    fired_rules = rules_fired(store, info, written, scope, len(assignments))
    triples = _tagging_triples(info, models, written, fired_rules, observed)
    triples += _flip_triples(info, models, assignments, written, observed)
    store.write_graph(tags_graph(info), triples)
    return assignments


Observed = dict[tuple[URIRef, str], tuple[URIRef, float]]
"""(track, feature name) → (observation, value): what the models read."""


def feature_observations(store: GraphStore, scope: str, models: list[TagModel]) -> Observed:
    """Each track's observation of every feature the models read (the first by IRI if several)."""
    features = sorted({f for model in models for effect in model.effects() for f in effect})
    if not features:
        return {}
    names = " ".join(Literal(f).n3() for f in features)
    rows = store.select(f"""SELECT ?track ?name ?o ?v WHERE {{ {scope}
        VALUES ?name {{ {names} }}
        GRAPH ?schema {{ ?f wt:featureName ?name }}
        GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }} }} ORDER BY DESC(?o)""").rows
    return {(URIRef(track), str(name)): (URIRef(o), float(v)) for track, name, o, v in rows}


def linear_contributions(model: TagModel, observed: Observed, track: URIRef) -> dict[int, float]:
    """Term index → contribution, for each linear term the track has a value for."""
    out = {}
    for index, term in enumerate(model.linear):
        hit = observed.get((track, term.feature))
        if hit is not None:
            out[index] = term.weight * (hit[1] - term.center)
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


def rules_fired(store: GraphStore, info: ModelInfo, written: list[Assignment], scope: str,
                scored: int) -> set[tuple[URIRef, URIRef]]:
    """(track, rule) for each rule that fires in the written assignments, decided inside the store.

    When few of the `scored` (track, tag) pairs are written (predicted tags only), the query names
    those pairs; Oxigraph evaluates such a VALUES block row by row (~12 ms a pair here), so with many
    it is cheaper to cover the tracks' every rule and keep the written pairs' rows.
    """
    if not written:
        return set()
    wanted = {(a.track, info.tag_model_iri(a.notation)) for a in written}
    if len(wanted) * 8 < scored:
        scope = "VALUES (?track ?tm) { " + " ".join(f"(<{t}> <{tm}>)" for t, tm in wanted) + " }"
    rows = store.select(f"""SELECT ?track ?tm ?rule WHERE {{
        {scope}
        GRAPH <{info.graph}> {{ ?tm wt:hasRule ?rule . ?rule wt:conditionCount ?n ; wt:hasCondition ?c .
                               ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
        GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
        FILTER({CONDITION_HOLDS})
      }} GROUP BY ?track ?tm ?rule ?n HAVING (COUNT(DISTINCT ?c) = ?n)""").rows
    return {(URIRef(track), URIRef(rule)) for track, tm, rule in rows if (URIRef(track), URIRef(tm)) in wanted}


def assignment_iri(track: URIRef, info: ModelInfo, tag: str) -> URIRef:
    return URIRef(f"{track}/tags/{slug(info.name)}/{slug(tag)}")


def _tagging_triples(info: ModelInfo, models: list[TagModel], assignments: list[Assignment],
                     fired: set[tuple[URIRef, URIRef]], observed: Observed) -> list[Triple]:
    """Assignments with one justification for the base rate and one per feature effect of the tag's model.

    An effect's contribution is what its fired rules and linear term add, minus its offset (the
    training average), so base rate + contributions = logit; it links the rules that fired, the
    linear term and the observations it read.
    """
    by_tag = {model.tag: model for model in models}
    run = URIRef(f"{tags_graph(info)}/run")
    triples: list[Triple] = [(run, RDF.type, WT.Tagging), (run, PROV.used, info.iri)]
    for a in assignments:
        model = by_tag[a.notation]
        base = URIRef(f"{a.iri}/j/base")
        triples += [(a.iri, RDF.type, WT.TagAssignment), (a.iri, WT.track, a.track), (a.iri, WT.tag, a.tag),
                    (a.iri, WT.fromModelSet, info.iri), (a.iri, WT.score, double(a.score)),
                    (a.iri, WT.logit, double(a.logit)), (a.iri, WT.predicted, Literal(a.predicted)),
                    (a.iri, WT.justifiedBy, base), (base, RDF.type, WT.Justification),
                    (base, WT.contribution, double(model.base_rate))]
        parts: dict[Effect, list] = {effect: [0.0 - model.offsets.get(effect, 0.0)] for effect in model.effects()}
        for rule in model.rules:  # as read back from the graph: ids are the rules' IRIs
            if (a.track, URIRef(rule.id)) in fired:
                part = parts[rule_effect(rule)]
                part[0] += rule.weight
                part.append((WT.rule, URIRef(rule.id)))
        for index, contribution in linear_contributions(model, observed, a.track).items():
            part = parts[(model.linear[index].feature,)]
            part[0] += contribution
            part.append((WT.linearTerm, info.linear_term_iri(a.notation, index)))
        for effect, (contribution, *links) in parts.items():
            j = URIRef(f"{a.iri}/j/{'--'.join(slug(f) for f in effect)}")
            triples += [(a.iri, WT.justifiedBy, j), (j, RDF.type, WT.Justification),
                        (j, WT.effect, info.effect_iri(a.notation, effect)), (j, WT.contribution, double(contribution))]
            triples += [(j, p, o) for p, o in links]
            triples += [(j, WT.fromObservation, observed[(a.track, f)][0]) for f in effect if (a.track, f) in observed]
    return triples


def _flip_triples(info: ModelInfo, models: list[TagModel], scored: list[Assignment], written: list[Assignment],
                  observed: Observed) -> list[Triple]:
    """For each written decision, the smallest one-feature change that reverses it, as a wt:Counterfactual."""
    if not written or any(model.link != "logistic" for model in models):
        return []
    finder = FlipFinder(models, info.single_label)
    logits: dict[URIRef, dict[str, float]] = {}
    for a in scored:
        logits.setdefault(a.track, {})[a.notation] = a.logit
    features = list(finder.walks)
    triples: list[Triple] = []
    for a in written:
        values = {f: observed[(a.track, f)][1] for f in features if (a.track, f) in observed}
        flip = finder.nearest(values, logits[a.track], a.notation)
        if flip is None:
            continue
        node = URIRef(f"{a.iri}/flip")
        triples += [(a.iri, WT.decisionChangesIf, node), (node, RDF.type, WT.Counterfactual),
                    (node, WT.feature, feature_node(flip.feature)), (node, WT.operator, Literal(flip.op)),
                    (node, WT.threshold, double(flip.threshold)),
                    (node, WT.fromObservation, observed[(a.track, flip.feature)][0])]
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
