"""Re-decide stored tag assignments inside the store, with SPARQL alone, and compare.

Tagging decides in bulk, outside the store, from feature values read in batches. The models'
rules also live in the graph (conditions with operator and threshold, weights, linear terms), so
the store itself can say which rules fire on a track and add up its logit: this module does that
for sampled assignments and compares with the scores written. A difference means the graph and
the tags disagree (a model relearned without re-tagging, values edited since, or a bug).
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from whytag.kg.queries import query
from whytag.kg.store import GraphStore
from whytag.reasoning.model import score_of

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rederived:
    """A stored assignment's logit and score beside those the store derives again."""

    assignment: URIRef
    stored_logit: float
    stored_score: float
    logit: float
    score: float

    @property
    def agrees(self) -> bool:
        return (abs(self.logit - self.stored_logit) <= TOLERANCE * max(1.0, abs(self.logit))
                and abs(self.score - self.stored_score) <= TOLERANCE)

    def __str__(self) -> str:
        return (f"{self.assignment}: stored logit {self.stored_logit:.12g} (score {self.stored_score:.12g}), "
                f"the store derives {self.logit:.12g} (score {self.score:.12g})")


def sample_assignments(store: GraphStore, n: int) -> list[tuple[URIRef, URIRef, URIRef, float, float, str, float]]:
    """Up to n stored predicted assignments at random: (assignment, track, tag model, logit, score, link, intercept)."""
    rows = store.values(query("sampled-assignments", limit=int(n)))
    return [(URIRef(a), URIRef(t), URIRef(tm), logit, score, link, intercept)
            for a, t, tm, logit, score, link, intercept in rows]


def rederive(store: GraphStore, n: int) -> list[Rederived]:
    """Re-derive n sampled predicted assignments in the store (rules fired, linear terms and the offsets of effects
    missing a value, by SPARQL)."""
    sample = sample_assignments(store, n)
    if not sample:
        return []
    pairs = [(track, tm) for _, track, tm, *_ in sample]
    rules = {(t, tm): total for t, tm, total in store.values(query("rules-fired", track=pairs))}
    linear = {(t, tm): total for t, tm, total in store.values(query("linear-terms-summed", track=pairs))}
    missing = {(t, tm): total for t, tm, total in store.values(query("missing-as-average", track=pairs))}
    out = []
    for a, track, tm, logit, score, link, intercept in sample:
        key = (str(track), str(tm))
        derived = intercept + rules.get(key, 0.0) + linear.get(key, 0.0) + missing.get(key, 0.0)
        out.append(Rederived(a, logit, score, derived, score_of(derived, link)))
    return out
