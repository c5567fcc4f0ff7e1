"""The one shape every learner produces: per tag, an intercept, weighted conjunctive rules and linear terms.

A tag's logit is `intercept + sum(weight of each rule whose conditions all hold) + sum(weight ×
(value − centre) of each linear term)`, and its score is
the logistic sigmoid of that logit ("logistic" link). A set-valued learner such as RIPPER uses the
"any" link instead: score 1 when any rule fires, else 0 (its weights are then 1 and the intercept 0,
so the sum is the count of fired rules, and the score says whether it is positive). Because this is
the model's actual computation, a tag's justifications in the graph add up to its score exactly.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OPERATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


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
            return OPERATORS[self.op](values, self.threshold) & ~np.isnan(values)

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


@dataclass(frozen=True)
class LinearTerm:
    """`weight × (feature − centre)` added to a tag's logit; a missing value contributes nothing.

    The centre is the training mean, so a contribution reads "this much above/below average".
    """

    feature: str
    weight: float
    center: float

    def contribution(self, X: pd.DataFrame) -> np.ndarray:
        values = X[self.feature].to_numpy(dtype=float)
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

    def logit(self, X: pd.DataFrame) -> np.ndarray:
        total = np.full(len(X), self.intercept, dtype=float)
        for rule in self.rules:
            total += rule.weight * rule.fires(X)
        for term in self.linear:
            total += term.contribution(X)
        return total

    def score(self, X: pd.DataFrame) -> np.ndarray:
        logits = self.logit(X)
        if self.link == "any":
            return (logits > 0).astype(float)
        return 1.0 / (1.0 + np.exp(-logits))

    @property
    def n_conditions(self) -> int:
        return sum(len(rule.conditions) for rule in self.rules)


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large |x|."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def annotate(rules: list[Rule], X: pd.DataFrame, y: np.ndarray) -> None:
    """Fill each rule's support and precision from training data (y: 0/1 for the rule's tag)."""
    y = np.asarray(y, dtype=bool)
    for rule in rules:
        mask = rule.fires(X)
        rule.support = int(mask.sum())
        rule.precision = float(y[mask].mean()) if rule.support else float("nan")
