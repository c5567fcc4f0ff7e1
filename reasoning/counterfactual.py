"""What would change a tag decision: the smallest change of one feature's value that flips it.

For an additive model a feature's part of every tag's logit is a step function (its one-condition
rules) plus a straight line (its linear term), the same for every track. So along that feature
each tag's logit is piecewise linear, with breaks only at the rules' thresholds, and the nearest
value at which the decision flips is found exactly by walking those pieces outward from the track's
value — no search, no sampling. The walk stays within the range the feature had in training (a
"change" to a value no training track had would not be a plausible explanation). Features that
appear in an interaction rule (conditions on several features) are not walked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from whytag.reasoning.model import OPERATORS, Rule, TagModel

@dataclass(frozen=True)
class Flip:
    """The decision on `tag` flips when `feature` is `op threshold`, everything else unchanged."""

    tag: str
    feature: str
    op: str
    threshold: float
    value: float  # the track's current value
    change: float  # |threshold − value| as a fraction of the feature's training range

    def __str__(self) -> str:
        return f"{self.feature} {self.op} {self.threshold:.6g}"


@dataclass
class _Walk:
    """One feature's pieces: cut points, and per piece each tag's step value; slopes per tag."""

    cuts: np.ndarray  # sorted thresholds inside the training range
    up_closed: np.ndarray  # per cut: every test there counts the threshold itself with the piece above it
    down_closed: np.ndarray  # per cut: every test there counts it with the piece below
    steps: np.ndarray  # (len(cuts) + 1) × tags: the step function's value inside each piece
    slopes: np.ndarray  # tags: the linear term's coefficient
    low: float
    high: float
    rules: list[tuple[int, Rule]]  # (tag index, rule) of the rules over this feature alone

    def step_values(self, x: np.ndarray) -> np.ndarray:
        """Each tag's step function at each value of x (len(x) × tags), exactly as its rules fire.

        Strictly inside the training range and off the cuts, the rules fire alike across a piece, so the
        value is the piece's (a lookup); at a cut or on or beyond the range's edges (a rule may test a
        threshold there), the rules are evaluated.
        """
        piece = np.searchsorted(self.cuts, x)
        at_cut = np.zeros(len(x), dtype=bool)
        if len(self.cuts):
            at_cut = self.cuts[np.minimum(piece, len(self.cuts) - 1)] == x
        exact = at_cut | (x <= self.low) | (x >= self.high) | np.isnan(x)  # a threshold may sit on an edge
        out = self.steps[piece]
        if exact.any():
            out[exact] = self.fired_values(x[exact])
        return out

    def fired_values(self, x: np.ndarray) -> np.ndarray:
        """Each tag's step function at each value of x, from its rules' conditions."""
        out = np.zeros((len(x), len(self.slopes)))
        for t, rule in self.rules:
            fires = np.ones(len(x), dtype=bool)
            for condition in rule.conditions:
                fires &= OPERATORS[condition.op](x, condition.threshold)
            out[:, t] += rule.weight * fires
        return out


class FlipFinder:
    """Nearest decision flips for tracks scored by one model set's TagModels (logistic link only)."""

    def __init__(self, models: list[TagModel], single_label: bool) -> None:
        self.tags = [m.tag for m in models]
        self.single_label = single_label
        self.cut_logits = np.array([_logit(m.threshold) for m in models])
        interacting = {c.feature for m in models for r in m.rules if len({c.feature for c in r.conditions}) > 1
                       for c in r.conditions}
        ranges: dict[str, tuple[float, float]] = {}
        for model in models:
            for feature, (low, high) in model.ranges.items():
                old = ranges.get(feature, (low, high))
                ranges[feature] = (min(low, old[0]), max(high, old[1]))
        self.walks = {f: self._walk(models, f, low, high) for f, (low, high) in ranges.items()
                      if f not in interacting and high > low and all(m.link == "logistic" for m in models)}

    @staticmethod
    def _walk(models: list[TagModel], feature: str, low: float, high: float) -> _Walk:
        """The feature's step function per tag (its rules over this feature alone) and linear slopes."""
        own = [(t, rule) for t, model in enumerate(models) for rule in model.rules
               if rule.conditions and all(c.feature == feature for c in rule.conditions)]
        sides: dict[float, set[bool]] = {}  # per threshold: does each test there hold the threshold above it?
        for _, rule in own:
            for condition in rule.conditions:
                if low < condition.threshold < high:
                    sides.setdefault(condition.threshold, set()).add(condition.op in (">=", "<"))
        cuts = np.array(sorted(sides))
        middles = np.concatenate([[low], (cuts[:-1] + cuts[1:]) / 2, [high]]) if len(cuts) else np.array([low])
        slopes = np.array([sum(term.weight for term in m.linear if term.feature == feature) for m in models])
        walk = _Walk(cuts, np.array([sides[c] == {True} for c in cuts], dtype=bool),
                     np.array([sides[c] == {False} for c in cuts], dtype=bool), np.zeros(0), slopes, low, high, own)
        walk.steps = walk.fired_values(middles)
        return walk

    def nearest(self, values: dict[str, float], logits: dict[str, float], tag: str) -> Flip | None:
        """The flip of `tag`'s decision for a track (its feature values and every tag's logit) that needs
        the smallest change of one feature, as a fraction of that feature's training range."""
        t = self.tags.index(tag)
        logit = np.array([logits[name] for name in self.tags])
        best: Flip | None = None
        for feature, walk in self.walks.items():
            value = values.get(feature)
            if value is None or not math.isfinite(value):
                continue
            flip = self._nearest_on(walk, feature, value, logit, t)
            if flip is not None and (best is None or flip.change < best.change):
                best = flip
        return best

    def _nearest_on(self, walk: _Walk, feature: str, value: float, logit: np.ndarray, t: int) -> Flip | None:
        """The point nearest `value` on one feature where tag t's decision differs from now.

        A flip can only start at a cut (a rule starts or stops firing) or where tag t's logit meets
        another tag's (or its decision threshold) inside a piece; every such point is a candidate, and
        the decision is evaluated just beyond each, all at once.
        """
        base = logit - walk.step_values(np.array([value]))[0] - walk.slopes * value  # every tag's logit without this feature's part
        low, high = min(walk.low, value), max(walk.high, value)
        edges = np.concatenate([[low], walk.cuts, [high]])
        intercepts = base + walk.steps  # pieces × tags: on each piece, logit = intercepts + slopes × x
        if self.single_label:  # where tag t's logit meets another tag's
            num, den = intercepts - intercepts[:, [t]], walk.slopes[t] - walk.slopes
        else:  # where tag t's logit meets its decision threshold
            num, den = self.cut_logits[t] - intercepts[:, [t]], np.array([walk.slopes[t]])
        with np.errstate(divide="ignore", invalid="ignore"):
            crossings = num / den
        inside = (crossings >= edges[:-1, None]) & (crossings <= edges[1:, None]) & np.isfinite(crossings)
        candidates = np.unique(np.concatenate([walk.cuts, crossings[inside]]))
        candidates = candidates[(candidates >= low) & (candidates <= high) & (candidates != value)]
        if len(candidates) == 0:
            return None
        up = candidates > value
        nudge = 1e-9 * (high - low)
        beyond = candidates + np.where(up, nudge, -nudge)
        logits = base + walk.step_values(beyond) + np.outer(beyond, walk.slopes)
        flips = self._decides(logits, t) != self._decides(logit[None, :], t)[0]
        if not flips.any():
            return None
        distance = np.where(flips, np.abs(candidates - value), np.inf)
        i = int(np.argmin(distance))
        point, going_up = float(candidates[i]), bool(up[i])
        cut = np.flatnonzero(walk.cuts == point)
        if len(cut) and going_up:  # rules start or stop firing here: is the threshold itself past the flip?
            op = ">=" if walk.up_closed[cut[0]] else ">"
        elif len(cut):
            op = "<=" if walk.down_closed[cut[0]] else "<"
        else:  # strictly past a crossing (at it, the two logits tie)
            op = ">" if going_up else "<"
        return Flip(self.tags[t], feature, op, point, value, float(distance[i]) / (walk.high - walk.low))

    def _decides(self, logits: np.ndarray, t: int) -> np.ndarray:
        """Per row of every tag's logits: is tag t predicted (the top tag, or at/above its threshold)?"""
        if self.single_label:
            return np.all(logits[:, [t]] >= logits, axis=1)
        return logits[:, t] >= self.cut_logits[t]


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))
