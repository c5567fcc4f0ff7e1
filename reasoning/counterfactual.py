"""What would change a tag decision: the smallest change of one feature's value that flips it.

For an additive model a feature's part of every tag's logit is a step function (its one-condition
rules) plus a straight line (its linear term), the same for every track. So along that feature
each tag's logit is piecewise linear, with breaks only at the rules' thresholds, and the nearest
value at which the decision flips is found exactly by walking those pieces outward from the track's
value — no search, no sampling. The walk stays within the range the feature had in training (a
"change" to a value no training track had would not be a plausible explanation, and beyond that range
the model holds every value at the range's edge, so nothing changes there). Features that
appear in an interaction rule (conditions on several features) are not walked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from whytag.reasoning.model import OPERATORS, Rule, TagModel

PAIRS_AT_ONCE = 4_000_000  # (pair, candidate, tag) cells evaluated at once, ~32 MB a float array
OPS = (">=", ">", "<=", "<")  # a flip's operator going up past a cut, past a crossing; down past a cut, a crossing


@dataclass(frozen=True)
class Flip:
    """A decision flips when `feature` is `op threshold`, everything else unchanged: as found (by feature
    name, with `change`) or as read back from the graph for wording (by feature label, with `unit`)."""

    feature: str
    op: str
    threshold: float
    value: float  # the track's current value
    unit: str = ""  # the unit symbol of threshold and value
    change: float = math.nan  # |threshold − value| as a fraction of the feature's training range
    iri: str = ""  # the feature's IRI, as read back from the graph (how a binary feature's words are found)

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
                fires &= OPERATORS[condition.op].test(x, condition.threshold)
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
                    sides.setdefault(condition.threshold, set()).add(OPERATORS[condition.op].with_above)
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
        columns = {f: np.array([v], dtype=float) for f, v in values.items()}
        return self.nearest_many(columns, np.array([[logits[name] for name in self.tags]]),
                                 np.array([0]), np.array([self.tags.index(tag)]))[0]

    def nearest_many(self, values: dict[str, np.ndarray], logits: np.ndarray, rows: np.ndarray,
                     tags: np.ndarray) -> list[Flip | None]:
        """`nearest` for many (track, tag) pairs at once: track `rows[k]` (a row of each feature's values
        and of `logits`, tracks × tags) and tag index `tags[k]`. Features are walked in turn, every
        pair at once; on a tie the feature walked first wins. Only each pair's nearest becomes a Flip."""
        change = np.full(len(rows), np.inf)
        feature_of = np.full(len(rows), -1)
        point, op, value = np.zeros(len(rows)), np.zeros(len(rows), dtype=int), np.zeros(len(rows))
        names = list(self.walks)
        for f, (feature, walk) in enumerate(self.walks.items()):
            column = values.get(feature)
            if column is None:
                continue
            x = column[rows]
            pairs = np.flatnonzero(np.isfinite(x))
            if not len(pairs):
                continue
            tags_count = len(self.tags)
            width = (2 * len(walk.cuts) + 1) * (tags_count if self.single_label else 1) * tags_count
            chunk = max(1, PAIRS_AT_ONCE // width)  # candidates × tags per pair: bound the arrays' size
            for start in range(0, len(pairs), chunk):
                chosen = pairs[start:start + chunk]
                found, at, how = self._nearest_on(walk, x[chosen], logits[rows[chosen]], tags[chosen])
                better = found < change[chosen]
                k = chosen[better]
                change[k], feature_of[k], point[k], op[k], value[k] = (found[better], f, at[better], how[better],
                                                                       x[k])
        return [None if feature_of[k] < 0 else
                Flip(names[feature_of[k]], OPS[op[k]], float(point[k]), float(value[k]), change=float(change[k]))
                for k in range(len(rows))]

    def _nearest_on(self, walk: _Walk, x: np.ndarray, logit: np.ndarray,
                    t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per pair (value x[k], every tag's logits logit[k], tag t[k]): the point nearest x[k] on one
        feature where tag t[k]'s decision differs from now, as arrays: its change (a fraction of the
        training range; inf where none), the point and its operator (an index into OPS).

        A flip can only start at a cut (a rule starts or stops firing) or where tag t's logit meets
        another tag's (or its decision threshold) inside a piece; every such point is a candidate, and
        the decision is evaluated just beyond each, all at once. The candidates go in one flat list
        (pair by pair; padding them to one width per pair was most of the work), and each pair's
        nearest is the least distant, the lowest point on a tie.
        """
        pairs, cuts = np.arange(len(x)), walk.cuts
        held = np.clip(x, walk.low, walk.high)  # a linear term reads a value beyond the training range at its edge
        base = logit - walk.step_values(x) - walk.slopes * held[:, None]  # every tag's logit less this feature's part
        low, high = np.minimum(walk.low, x), np.maximum(walk.high, x)
        edges = np.column_stack([low, np.broadcast_to(cuts, (len(x), len(cuts))), high])
        intercepts = base[:, None, :] + walk.steps  # pairs × pieces × tags: logit = intercepts + slopes × x
        own = intercepts[pairs, :, t]  # pairs × pieces: tag t's intercepts
        if self.single_label:  # where tag t's logit meets another tag's
            num, den = intercepts - own[:, :, None], (walk.slopes[t][:, None] - walk.slopes)[:, None, :]
        else:  # where tag t's logit meets its decision threshold
            num, den = (self.cut_logits[t][:, None] - own)[:, :, None], walk.slopes[t][:, None, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            crossings = num / den
        inside = (crossings >= edges[:, :-1, None]) & (crossings <= edges[:, 1:, None]) & np.isfinite(crossings)
        candidates = np.concatenate([np.broadcast_to(cuts, (len(x), len(cuts))),
                                     np.where(inside, crossings, np.nan).reshape(len(x), -1)], axis=1)
        with np.errstate(invalid="ignore"):
            usable = (candidates >= low[:, None]) & (candidates <= high[:, None]) & (candidates != x[:, None])
        of, column = np.nonzero(usable)  # each candidate's pair, in pair order
        candidate = candidates[of, column]
        nudge = 1e-9 * (high - low)[of]
        beyond = candidate + np.where(candidate > x[of], nudge, -nudge)
        logits = base[of] + walk.step_values(beyond) + np.clip(beyond, walk.low, walk.high)[:, None] * walk.slopes
        flips = self._decides(logits, t[of]) != self._decides(logit, t)[of]
        distance = np.where(flips, np.abs(candidate - x[of]), np.inf)
        nearest = np.full(len(x), np.inf)
        np.minimum.at(nearest, of, distance)
        point = np.full(len(x), np.inf)
        tie = flips & (distance == nearest[of])
        np.minimum.at(point, of[tie], candidate[tie])
        going_up = point > x
        cut = np.minimum(np.searchsorted(cuts, point), max(len(cuts) - 1, 0))
        at_cut = cuts[cut] == point if len(cuts) else np.zeros(len(x), dtype=bool)
        closed = np.where(going_up, walk.up_closed[cut], walk.down_closed[cut]) if len(cuts) else at_cut
        # at a cut rules start or stop firing: the threshold itself is past the flip when every test there says
        # so (>= or <=); strictly past a crossing otherwise (at it, the two logits tie)
        how = np.where(going_up, np.where(at_cut & closed, 0, 1), np.where(at_cut & closed, 2, 3))
        return nearest / (walk.high - walk.low), point, how

    def _decides(self, logits: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Per row k: is tag t[k] predicted (the top tag, or at/above its threshold) with every tag's logits
        `logits[k]` (rows × tags)?"""
        own = logits[np.arange(len(t)), t]
        if self.single_label:
            return np.all(own[:, None] >= logits, axis=1)
        return own >= self.cut_logits[t]


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))
