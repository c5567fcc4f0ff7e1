"""Plain-language reasons for a tag, read from the graph (a SPARQL query plus wording).

The text is built only from triples — assignment, justifications, rules, conditions, observations,
levels — so it cannot disagree with what the graph says.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Literal, URIRef

from whytag.kg.store import GraphStore
from whytag.reasoning.rules import ModelInfo

ASSIGNMENTS_QUERY = """
SELECT ?a ?notation ?score ?logit ?predicted ?j ?contribution ?rule ?term WHERE {{
  GRAPH ?tg {{ ?a wt:track <{track}> ; wt:tag ?tag ; wt:score ?score ; wt:logit ?logit ; wt:predicted ?predicted ;
              wt:fromModelSet ?model ; wt:justifiedBy ?j . ?j wt:contribution ?contribution .
              OPTIONAL {{ ?j wt:rule ?rule }} OPTIONAL {{ ?j wt:linearTerm ?term }} }}
  GRAPH ?mg {{ ?tag skos:notation ?notation . }}
  {filters}
}}"""

CONDITIONS_QUERY = """
SELECT ?j ?weight ?precision ?support ?c ?featureLabel ?value ?unit ?op ?threshold ?levelLabel WHERE {{
  VALUES (?j ?rule) {{ {pairs} }}
  GRAPH ?tg {{ ?j wt:satisfiedBy ?o . }}
  GRAPH ?rg {{ ?rule wt:weight ?weight ; wt:support ?support ; wt:hasCondition ?c .
               ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?threshold . }}
  GRAPH ?og {{ ?o wt:feature ?f ; wt:value ?value ; qudt:unit ?unit . }}
  OPTIONAL {{ GRAPH ?rg {{ ?rule wt:precision ?precision }} }}
  OPTIONAL {{ GRAPH ?fg {{ ?f rdfs:label ?featureLabel }} }}
  OPTIONAL {{ GRAPH ?lg {{ <{track}> wt:hasLevel ?level }}
             GRAPH ?dg {{ ?lt wt:level ?level ; wt:feature ?f . ?level rdfs:label ?levelLabel }} }}
}}"""
"""Two queries rather than one with OPTIONALs: the store then starts from this track's few rows."""

LINEAR_QUERY = """
SELECT ?j ?featureLabel ?value ?unit ?coefficient ?center WHERE {{
  VALUES (?j ?term) {{ {pairs} }}
  GRAPH ?tg {{ ?j wt:fromObservation ?o . }}
  GRAPH ?mg {{ ?term wt:feature ?f ; wt:coefficient ?coefficient ; wt:center ?center . }}
  GRAPH ?og {{ ?o wt:value ?value ; qudt:unit ?unit . }}
  OPTIONAL {{ GRAPH ?fg {{ ?f rdfs:label ?featureLabel }} }}
}}"""

UNIT_WORDS = {"PER-MIN": "BPM", "HZ": "Hz", "SEC": "s", "PER-SEC": "/s", "DeciB": "dB"}
OP_WORDS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


@dataclass
class Reason:
    """One justification: its contribution and, for a rule, the conditions with observed values."""

    contribution: float
    rule: str | None = None
    weight: float = 0.0
    precision: float | None = None
    support: int = 0
    conditions: dict[str, str] = field(default_factory=dict)
    term: str | None = None
    trend: str = ""  # a linear term's reason in words

    def text(self) -> str:
        if self.term is not None:
            return self.trend
        if self.rule is None:
            return "base rate of the tag (the model's intercept)"
        number = self.rule.rsplit("/", 1)[-1]
        precision = f", precision {self.precision:.2f}" if self.precision is not None else ""
        body = " and ".join(self.conditions[c] for c in sorted(self.conditions))
        return f"{body} — rule {number}, weight {self.weight:+.3g}{precision} on {self.support} training tracks"


@dataclass
class Explanation:
    """Why a track has a tag: the score, the logit and the reasons that add up to it."""

    tag: str
    score: float
    logit: float
    predicted: bool
    reasons: list[Reason]

    def text(self, top: int = 8) -> str:
        ranked = sorted(self.reasons, key=lambda r: -abs(r.contribution))
        mark = "predicted" if self.predicted else "not predicted"
        lines = [f"{self.tag}, {self.score:.2f} ({mark}); logit {self.logit:+.3f} = sum of {len(ranked)} contributions:"]
        lines += [f"  {r.contribution:+8.3f}  {r.text()}" for r in ranked[:top]]
        rest = ranked[top:]
        if rest:
            lines.append(f"  {sum(r.contribution for r in rest):+8.3f}  {len(rest)} smaller contributions")
        return "\n".join(lines)


def explain(store: GraphStore, track: URIRef, tag: str | None = None, model: str | None = None) -> list[Explanation]:
    """Explanations for a track's assignments (one tag, or all), best score first."""
    filters = []
    if tag is not None:
        filters.append(f"FILTER(STR(?notation) = {Literal(tag).n3()})")
    if model is not None:
        filters.append(f"FILTER(?model = <{ModelInfo(model, '').iri}>)")
    rows = store.select(ASSIGNMENTS_QUERY.format(track=track, filters="\n  ".join(filters))).rows
    heads: dict[str, tuple] = {}
    reasons: dict[str, dict[str, Reason]] = defaultdict(dict)
    owner: dict[str, Reason] = {}
    for a, notation, score, logit, predicted, j, contribution, rule, term in rows:
        heads[str(a)] = (str(notation), float(score), float(logit), bool(predicted.toPython()))
        owner[str(j)] = reasons[str(a)].setdefault(str(j), Reason(
            float(contribution), str(rule) if rule is not None else None, term=str(term) if term is not None else None))
    fired = [(j, reason.rule) for j, reason in owner.items() if reason.rule is not None]
    for start in range(0, len(fired), 200):
        pairs = " ".join(f"(<{j}> <{rule}>)" for j, rule in fired[start:start + 200])
        for (j, weight, precision, support, c, feature_label, value, unit, op, threshold,
             level_label) in store.select(CONDITIONS_QUERY.format(track=track, pairs=pairs)).rows:
            reason = owner[str(j)]
            reason.weight, reason.support = float(weight), int(support)
            reason.precision = float(precision) if precision is not None else None
            reason.conditions[str(c)] = _condition_words(feature_label, value, unit, op, threshold, level_label)
    linear = [(j, reason.term) for j, reason in owner.items() if reason.term is not None]
    for start in range(0, len(linear), 200):
        pairs = " ".join(f"(<{j}> <{term}>)" for j, term in linear[start:start + 200])
        for j, feature_label, value, unit, coefficient, center in store.select(
                LINEAR_QUERY.format(pairs=pairs)).rows:
            owner[str(j)].trend = _trend_words(feature_label, value, unit, coefficient, center)
    explanations = [Explanation(*heads[a], list(reasons[a].values())) for a in heads]
    return sorted(explanations, key=lambda e: (-e.score, e.tag))


def _condition_words(feature_label, value, unit, op, threshold, level_label) -> str:
    """E.g. 'tempo 96 BPM ≥ 90 (moderate)': the observed value, the test it passed, and its level."""
    level = f" ({level_label})" if level_label is not None else ""
    return f"{feature_label} {_amount(value, unit)} {OP_WORDS[str(op)]} {float(threshold):.4g}{level}"


def _trend_words(feature_label, value, unit, coefficient, center) -> str:
    """E.g. 'tempo 96 BPM is 12 below the training mean 108 — linear term, +0.021 per unit'."""
    difference = float(value) - float(center)
    side = "above" if difference >= 0 else "below"
    return (f"{feature_label} {_amount(value, unit)} is {abs(difference):.4g} {side} the training mean "
            f"{float(center):.4g} — linear term, {float(coefficient):+.3g} per unit")


def _amount(value, unit) -> str:
    """A value with its unit word, e.g. '96 BPM'."""
    unit_word = UNIT_WORDS.get(str(unit).rsplit("/", 1)[-1], "")
    return f"{float(value):.4g}{(' ' + unit_word) if unit_word else ''}"
