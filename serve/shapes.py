"""How a tag's model reads each feature, the EBM-style global view: per feature, its centred contribution to the
tag's logit against the feature's value across the training range — steps where rules test thresholds, slopes
where a linear term reads it, flat beyond the range (the model holds values there at its edges). Server-side SVG."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from whytag.reasoning.explain import amount
from whytag.reasoning.model import TagModel

POINTS = 120  # values read across the training range, besides each threshold's two sides
WIDTH, HEIGHT, PAD = 250, 110, 22
LEFT = 36  # room for the contributions' extremes written left of the plot


@dataclass
class Shape:
    """One feature's learned shape: its values and the contributions there, its training range and thresholds."""

    feature: str  # the feature's name in the model
    values: np.ndarray
    contributions: np.ndarray
    low: float
    high: float
    thresholds: list[float]
    linear: bool

    @property
    def spread(self) -> float:
        """How much the feature can move the logit: the largest contribution less the smallest."""
        return float(self.contributions.max() - self.contributions.min())


def shapes(model: TagModel) -> list[Shape]:
    """The shape of each feature the model reads alone (interactions are not drawn), the largest spread first."""
    features = sorted({effect[0] for effect in model.effects() if len(effect) == 1 and effect[0] in model.ranges})
    found = []
    for feature in features:
        low, high = model.ranges[feature]
        thresholds = sorted({c.threshold for r in model.rules for c in r.conditions
                             if c.feature == feature and len(r.conditions) == 1 and low < c.threshold < high})
        gap = (high - low) * 1e-6 or 1e-6
        values = np.unique(np.concatenate([np.linspace(low, high, POINTS), thresholds,
                                           np.array(thresholds) - gap, np.array(thresholds) + gap]))
        found.append(Shape(feature, values, contributions(model, feature, values), low, high, thresholds,
                           any(t.feature == feature for t in model.linear)))
    return sorted(found, key=lambda s: -s.spread)


def contributions(model: TagModel, feature: str, values: np.ndarray) -> np.ndarray:
    """The feature's centred part of the logit at each value (the other features unread): what a track's reason
    on that feature alone would be at that value."""
    columns = sorted({f for effect in model.effects() for f in effect})
    X = pd.DataFrame({c: values if c == feature else np.nan for c in columns}, index=range(len(values)))
    return model.effect_contributions(X)[(feature,)].to_numpy() - model.offsets.get((feature,), 0.0)


def shape_chart(shape: Shape, label: str, unit: str, tag: str) -> str:
    """A small <svg>: contribution (y) against value (x) over the training range, zero marked, the range's
    edges and the contributions' extremes written at the axes."""
    low_c, high_c = min(0.0, float(shape.contributions.min())), max(0.0, float(shape.contributions.max()))
    span_c = (high_c - low_c) or 1.0
    span_x = (shape.high - shape.low) or 1.0

    def x(value: float) -> float:
        return LEFT + (value - shape.low) / span_x * (WIDTH - LEFT - PAD)

    def y(contribution: float) -> float:
        return 6 + (high_c - contribution) / span_c * (HEIGHT - 6 - PAD)

    points = " ".join(f"{x(v):.1f},{y(c):.1f}" for v, c in zip(shape.values, shape.contributions))
    kind = "steps at the rules' thresholds" + (" and a slope (linear term)" if shape.linear else "")
    if not shape.thresholds:
        kind = "a slope (linear term)" if shape.linear else "flat"
    title = (f"how {tag}'s model reads {label}: {kind}; its part of the logit from {shape.contributions.min():+.3g} "
             f"to {shape.contributions.max():+.3g} across the training range {amount(shape.low, unit)} to "
             f"{amount(shape.high, unit)} (values beyond count as the range's edge)")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="shape" role="img" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-size="10" font-family="sans-serif"><title>{escape(title)}</title>'
            f'<line x1="{LEFT}" x2="{WIDTH - PAD}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#999" '
            f'stroke-dasharray="2,2"/>'
            f'<polyline points="{points}" fill="none" stroke="#4a6fa5" stroke-width="2"/>'
            f'<text x="{LEFT}" y="{HEIGHT - 6}">{escape(amount(shape.low, unit))}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" text-anchor="end">{escape(amount(shape.high, unit))}</text>'
            f'<text x="{LEFT - 4}" y="12" text-anchor="end">{high_c:+.2g}</text>'
            f'<text x="{LEFT - 4}" y="{HEIGHT - PAD}" text-anchor="end">{low_c:+.2g}</text></svg>')
