"""The one shape every learner produces: per tag, an intercept, weighted conjunctive rules and linear terms.

A tag's logit is `intercept + sum(weight of each rule whose conditions all hold) + sum(weight ×
(value − centre) of each linear term)` (an effect whose feature a track lacks but every training track had adds
its training average instead: `TagModel.centre`), and its score is the logistic sigmoid of that logit
("logistic" link). A set-valued learner such as RIPPER uses the
"any" link instead: score 1 when any rule fires, else 0 (its weights are then 1 and the intercept 0,
so the sum is the count of fired rules, and the score says whether it is positive). Because this is
the model's actual computation, a tag's justifications in the graph add up to its score exactly.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from rdflib import URIRef
from rdflib.namespace import XSD


@dataclass(frozen=True)
class Operator:
    """A condition's comparison in every form whytag writes it: Python, SPARQL, an OWL facet and words."""

    test: Callable  # value(s) op threshold, over floats or NumPy arrays
    sparql: str
    facet: URIRef | None  # the XSD facet of the OWL datatype restriction; None for "==" (an owl:oneOf)
    words: str
    with_above: bool  # the threshold itself tests as the values just above it do (counterfactual cuts)


OPERATORS = {  # by the symbol stored as wt:operator; in this order in the store's own test (reasoning.rederive)
    ">=": Operator(operator.ge, ">=", XSD.minInclusive, "≥", True),
    ">": Operator(operator.gt, ">", XSD.minExclusive, ">", False),
    "<=": Operator(operator.le, "<=", XSD.maxInclusive, "≤", False),
    "<": Operator(operator.lt, "<", XSD.maxExclusive, "<", True),
    "==": Operator(operator.eq, "=", None, "=", False),
}


def op_words(op: str) -> str:
    """An operator symbol in words (≥ for >=); an unknown one as it is."""
    return OPERATORS[op].words if op in OPERATORS else op


@dataclass(frozen=True)
class Condition:
    """`feature op threshold`, e.g. Spectral-Centroid >= 1800.0. Features are the table's column names."""

    feature: str
    op: str
    threshold: float

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"condition on {self.feature}: unknown operator {self.op!r}")

    def holds(self, X: pd.DataFrame) -> np.ndarray:
        """Boolean mask over the rows of X (a missing value never satisfies a condition)."""
        values = X[self.feature].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            return OPERATORS[self.op].test(values, self.threshold) & ~np.isnan(values)

    def __str__(self) -> str:
        return f"{self.feature} {self.op} {self.threshold:.6g}"


@dataclass
class Rule:
    """A conjunction of conditions that adds `weight` to one tag's logit when all of them hold."""

    tag: str
    conditions: tuple[Condition, ...]
    weight: float
    support: int = 0  # training tracks whose features satisfy the body
    precision: float = float("nan")  # fraction of those that carry the tag
    id: str = ""

    def fires(self, X: pd.DataFrame) -> np.ndarray:
        mask = np.ones(len(X), dtype=bool)
        for condition in self.conditions:
            mask &= condition.holds(X)
        return mask

    def __str__(self) -> str:
        body = " and ".join(str(c) for c in self.conditions) or "always"
        return f"IF {body} THEN {self.tag} ({self.weight:+.3f})"


Effect = tuple[str, ...]
"""The sorted feature names that a rule or linear term reads: what one per-feature reason sums."""
Terms = tuple[list[np.ndarray], list[np.ndarray], dict[Effect, np.ndarray]]
"""A model's rules' firing masks, linear terms' contributions and, per effect that counts a missing value as
the training average, the rows missing one of its features, over a table's rows (TagModel.terms)."""


def rule_effect(rule: Rule) -> Effect:
    return tuple(sorted({c.feature for c in rule.conditions}))


@dataclass(frozen=True)
class LinearTerm:
    """`weight × (feature − centre)` added to a tag's logit; a missing value contributes nothing.

    The centre is the training mean, so a contribution reads "this much above/below average". A value
    outside [low, high] (the feature's training range, once `TagModel.centre` has set it) counts as the
    range's nearest edge: the line was fitted only there, and a spectral flux four times the largest
    training value once added +8.9 to a logit (a 208 s track on 30 s clips, +569).
    """

    feature: str
    weight: float
    center: float
    low: float = -math.inf
    high: float = math.inf

    def contribution(self, X: pd.DataFrame) -> np.ndarray:
        values = np.clip(X[self.feature].to_numpy(dtype=float), self.low, self.high)
        return np.nan_to_num(self.weight * (values - self.center))

    def __str__(self) -> str:
        return f"{self.weight:+.4g} × ({self.feature} − {self.center:.6g})"


@dataclass
class TagModel:
    """All rules and linear terms for one tag, its intercept (the base rate, as a logit) and its link."""

    tag: str
    intercept: float
    rules: list[Rule] = field(default_factory=list)
    link: str = "logistic"  # or "any" for set-valued rule lists such as RIPPER
    threshold: float = 0.5  # score at or above which a multi-label tag is predicted
    linear: list[LinearTerm] = field(default_factory=list)
    offsets: dict[Effect, float] = field(default_factory=dict)  # an effect's mean raw contribution in training
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # each read feature's training min, max
    missing_average: set[Effect] = field(default_factory=set)  # effects a missing value reads as the training average

    def terms(self, X: pd.DataFrame) -> Terms:
        """Each rule's firing mask, each linear term's contribution and the rows missing a feature of an effect in
        `missing_average`, over the rows of X: what `logit` and `effect_contributions` add up, for a caller that
        wants both without evaluating the rules twice."""
        missing = {}
        for effect in (e for e in self.effects() if e in self.missing_average):  # in order: the same sums each run
            rows = np.isnan(np.column_stack([X[f].to_numpy(dtype=float) for f in effect])).any(axis=1)
            if rows.any():
                missing[effect] = rows
        return [rule.fires(X) for rule in self.rules], [term.contribution(X) for term in self.linear], missing

    def logit(self, X: pd.DataFrame, terms: Terms | None = None) -> np.ndarray:
        """The intercept, the fired rules' weights, the linear terms and, for an effect in `missing_average` on a
        row missing its feature, its offset (there no rule of it fires and its linear term adds nothing)."""
        fires, linear, missing = terms or self.terms(X)
        total = np.full(len(X), self.intercept, dtype=float)
        for rule, fired in zip(self.rules, fires):
            total += rule.weight * fired
        for contribution in linear:
            total += contribution
        for effect, rows in missing.items():
            total += self.offsets.get(effect, 0.0) * rows
        return total

    def score(self, X: pd.DataFrame) -> np.ndarray:
        return scores_of(self.logit(X), self.link)

    @property
    def n_conditions(self) -> int:
        return sum(len(rule.conditions) for rule in self.rules)

    def effects(self) -> list[Effect]:
        """The model's terms grouped by the features they read: one key per feature, or per feature set
        of a rule over several features (an interaction), in first-seen order."""
        return list(dict.fromkeys([rule_effect(rule) for rule in self.rules if rule.conditions]
                                  + [(term.feature,) for term in self.linear]))

    def effect_contributions(self, X: pd.DataFrame, terms: Terms | None = None) -> pd.DataFrame:
        """Per effect (column), each row's raw contribution: its fired rules' weights plus its linear term.

        The columns plus the intercept sum to `logit(X)` exactly; subtract `offsets` to centre them. A row
        missing a feature of an effect in `missing_average` has the effect's offset: the average training track's.
        """
        fires, linear, missing = terms or self.terms(X)
        out = {effect: np.zeros(len(X)) for effect in self.effects()}
        for rule, fired in zip(self.rules, fires):
            if rule.conditions:
                out[rule_effect(rule)] += rule.weight * fired
        for term, contribution in zip(self.linear, linear):
            out[(term.feature,)] += contribution
        for effect, rows in missing.items():
            out[effect] += self.offsets.get(effect, 0.0) * rows
        frame = pd.DataFrame(out, index=X.index)
        frame.columns = list(out)  # keep the tuples as column labels
        return frame

    def centre(self, X: pd.DataFrame) -> None:
        """Note each read feature's training range and hold the model to it (`confine`); then set
        `offsets` to each effect's mean contribution on X (training data), so a reason reads "compared
        with the average track" and the base rate becomes the average track's logit.

        An effect whose features every training row has goes in `missing_average`: a track missing one
        then gets the effect's offset (a reason of 0), not "no step fired, the line at its centre", a
        combination no training track had (a reason of −2 where the training tracks' reached ±1 at most:
        tests/reasoning/test_extrapolation.py). Where training rows lacked a value, the model learned what
        a missing one adds (boosted trees and EBM send it to a side of their own), so that stays; and a
        set-valued model ("any" link) keeps "a rule over a missing value does not fire".
        """
        features = sorted({f for effect in self.effects() for f in effect})
        self.ranges = {f: (float(X[f].min()), float(X[f].max())) for f in features if X[f].notna().any()}
        self.confine()
        self.missing_average = ({effect for effect in self.effects() if X[list(effect)].notna().all(axis=None)}
                                if self.link == "logistic" else set())  # "any" counts fired rules: none fire
        self.offsets = {effect: float(mean) for effect, mean in self.effect_contributions(X).mean().items()}

    def confine(self) -> None:
        """No extrapolation: every part of the logit reads a value beyond the training range as the range's edge.

        A linear term is clipped there (its `low`, `high`). A rule condition already is wherever its test
        gives the same answer beyond an edge as at it, which holds for every threshold strictly inside the
        range; a condition that holds on the whole range is made to hold on every measured value (its
        threshold moved to ±∞), and a rule that fires nowhere in the range is dropped. So the store's own
        SPARQL tests of raw values (`reasoning.rederive`) decide exactly as this model does.
        """
        rules = []
        for rule in self.rules:
            conditions = []
            for condition in rule.conditions:
                if condition.feature not in self.ranges:
                    conditions.append(condition)
                    continue
                edges = np.array(self.ranges[condition.feature])
                holds = OPERATORS[condition.op].test(edges, condition.threshold)
                if condition.op == "==" or holds[0] != holds[1]:  # the edges differ: the test is monotone there
                    conditions.append(condition)
                elif holds[0]:  # holds on the whole range: on every measured value
                    conditions.append(Condition(condition.feature, condition.op, -math.inf
                                                if condition.op in (">=", ">") else math.inf))
                else:
                    break  # holds nowhere in the range: the rule never fires
            else:
                rule.conditions = tuple(conditions)
                rules.append(rule)
        self.rules = rules
        self.linear = [LinearTerm(t.feature, t.weight, t.center, *self.ranges.get(t.feature, (-math.inf, math.inf)))
                       for t in self.linear]

    @property
    def base_rate(self) -> float:
        """The logit part no feature explains: the intercept (with any rule that always fires) plus every
        effect's offset."""
        always = sum(rule.weight for rule in self.rules if not rule.conditions)
        return self.intercept + always + sum(self.offsets.values())

    def reasons(self, X: pd.DataFrame, terms: Terms | None = None) -> pd.DataFrame:
        """Per effect, each row's centred contribution; with `base_rate` they add up to `logit(X)` exactly."""
        raw = self.effect_contributions(X, terms)
        return raw - pd.Series([self.offsets.get(e, 0.0) for e in raw.columns], index=raw.columns)


def top_share(reasons: np.ndarray, k: int = 5) -> np.ndarray:
    """Per row of per-effect contributions, the share of their total |contribution| held by the k largest
    (1 where a row has no contribution at all): how much of an explanation its first k lines hold."""
    magnitude = np.abs(np.asarray(reasons, dtype=float))
    total = magnitude.sum(axis=1)
    top = -np.sort(-magnitude, axis=1)[:, :k].sum(axis=1)
    return np.divide(top, total, out=np.ones_like(total), where=total > 0)


def score_of(logit: float, link: str = "logistic") -> float:
    """One logit's score as the graph stores it: its logistic sigmoid (no overflow for large |logit|), or
    for the "any" link 1.0 when it is positive (a rule fired: the weights are 1, the intercept 0)."""
    if link == "any":
        return 1.0 if logit > 0 else 0.0
    return 1.0 / (1.0 + math.exp(-logit)) if logit >= 0 else math.exp(logit) / (1.0 + math.exp(logit))


def scores_of(logits: np.ndarray, link: str = "logistic") -> np.ndarray:
    """Many logits' scores at once, as learners and tagging decide on them: `score_of`'s within a rounding
    (learned thresholds are cut between these values, so they stay exactly these)."""
    if link == "any":
        return (logits > 0).astype(float)
    with np.errstate(over="ignore"):  # a logit below −709 scores 0.0
        return 1.0 / (1.0 + np.exp(-logits))


def annotate(rules: list[Rule], X: pd.DataFrame, y: np.ndarray) -> None:
    """Fill each rule's support and precision from training data (y: 0/1 for the rule's tag)."""
    y = np.asarray(y, dtype=bool)
    for rule in rules:
        mask = rule.fires(X)
        rule.support = int(mask.sum())
        rule.precision = float(y[mask].mean()) if rule.support else float("nan")
