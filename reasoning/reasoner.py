"""Apply a model set inside the store: SPARQL decides which rules fire and sums their weights.

Tagging is three requests. (1) One SPARQL Update fires every rule on every track whose observations
satisfy all its conditions, writing a wt:Justification per fired rule (linked to the observations
that satisfied it) plus one base-rate justification per tag, into a staging graph. (2) One SPARQL
aggregate sums each assignment's contributions — its logit. (3) One Update swaps the staging graph
in and adds the assignments' scores (the sigmoid of the logit; SPARQL has no exp) and predictions.
So an assignment's justifications add up to its logit exactly, and a crash leaves the old tags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, XSD

from whytag.kg.namespaces import WT, slug
from whytag.kg.store import GraphStore, Triple, triples_block
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


def apply_model(store: GraphStore, name: str, tracks: list[URIRef] | None = None) -> list[Assignment]:
    """Tag `tracks` (default: every track with observations) with model set `name`; return assignments."""
    info, models = read_models(store, name)
    target = tags_graph(info)
    staging = URIRef(f"{target}/staging")
    scope = f"VALUES ?track {{ {' '.join(f'<{t}>' for t in tracks)} }}" if tracks is not None else ""
    assignment = f'IRI(CONCAT(STR(?track), "/tags/{slug(info.name)}/", STRAFTER(STR(?tm), "{info.iri}/")))'
    store.update(f"""
DROP SILENT GRAPH <{staging}> ;
INSERT {{ GRAPH <{staging}> {{
  ?a a wt:TagAssignment ; wt:track ?track ; wt:tag ?tag ; wt:fromModelSet <{info.iri}> ; wt:justifiedBy ?j .
  ?j a wt:Justification ; wt:rule ?rule ; wt:contribution ?w ; wt:satisfiedBy ?o .
}} }} WHERE {{
  {{ SELECT ?track ?rule WHERE {{
      {scope}
      GRAPH <{info.graph}> {{ ?rule wt:conditionCount ?n ; wt:hasCondition ?c .
                              ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
      GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
      FILTER({CONDITION_HOLDS})
    }} GROUP BY ?track ?rule ?n HAVING (COUNT(DISTINCT ?c) = ?n) }}
  GRAPH <{info.graph}> {{ ?tm wt:hasRule ?rule ; wt:forTag ?tag . ?rule wt:weight ?w ; wt:hasCondition ?c .
                          ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?th }}
  GRAPH ?g {{ ?o wt:ofTrack ?track ; wt:feature ?f ; wt:value ?v . }}
  FILTER({CONDITION_HOLDS})
  BIND({assignment} AS ?a)
  BIND(IRI(CONCAT(STR(?a), "/j/", STRAFTER(STR(?rule), "/rule/"))) AS ?j)
}} ;
INSERT {{ GRAPH <{staging}> {{
  ?a a wt:TagAssignment ; wt:track ?track ; wt:tag ?tag ; wt:fromModelSet <{info.iri}> ; wt:justifiedBy ?j .
  ?j a wt:Justification ; wt:contribution ?b .
}} }} WHERE {{
  {{ SELECT DISTINCT ?track WHERE {{ {scope} GRAPH ?g {{ ?obs wt:ofTrack ?track }} }} }}
  GRAPH <{info.graph}> {{ <{info.iri}> wt:hasTagModel ?tm . ?tm wt:forTag ?tag ; wt:intercept ?b }}
  BIND({assignment} AS ?a)
  BIND(IRI(CONCAT(STR(?a), "/j/base")) AS ?j)
}}""")
    rows = store.select(f"""
SELECT ?a ?track ?tag ?notation (SUM(?c) AS ?logit) (COUNT(?rule) AS ?fired) WHERE {{
  GRAPH <{staging}> {{ ?a wt:track ?track ; wt:tag ?tag ; wt:justifiedBy ?j . ?j wt:contribution ?c
                       OPTIONAL {{ ?j wt:rule ?rule }} }}
  GRAPH <{info.graph}> {{ ?tag skos:notation ?notation }}
}} GROUP BY ?a ?track ?tag ?notation""").rows
    links = {m.tag: m.link for m in models}
    thresholds = {m.tag: m.threshold for m in models}
    assignments = [_assignment(row, links[str(row[3])]) for row in rows]
    assignments = _decide(assignments, info.single_label, thresholds)
    run = URIRef(f"{target}/run")
    triples: list[Triple] = []
    for a in assignments:
        triples += [(a.iri, WT.score, Literal(a.score, datatype=XSD.double)),
                    (a.iri, WT.logit, Literal(a.logit, datatype=XSD.double)),
                    (a.iri, WT.predicted, Literal(a.predicted))]
    triples += [(run, RDF.type, WT.Tagging), (run, PROV.used, info.iri)]
    store.update(f"""
DROP SILENT GRAPH <{target}> ;
MOVE SILENT GRAPH <{staging}> TO GRAPH <{target}> ;
INSERT DATA {{ GRAPH <{target}> {{
{triples_block(triples)}
}} }}""")
    return assignments


def _assignment(row, link: str) -> Assignment:
    iri, track, tag, notation, logit, fired = row
    logit, fired = float(logit), int(fired)
    score = (1.0 if fired > 0 else 0.0) if link == "any" else _sigmoid(logit)
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


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
