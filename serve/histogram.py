"""A feature's values across the catalog as a small server-side SVG histogram, its levels' thresholds drawn on
it (the feature page: no scripts, no CDN)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from whytag.reasoning.explain import amount

WIDTH, HEIGHT = 480, 160
LEFT, PAD, BOTTOM = 36, 8, 30  # room for the counts' scale, the edge and the values' scale
BINS = 30


def histogram(values: np.ndarray, thresholds: list[tuple[float, str]], label: str, unit: str) -> str:
    """An <svg>: how many tracks have each range of values (BINS bars from the lowest to the highest value),
    each threshold inside that span a dashed line with its value, and the whole said in its <title>; a
    sentence instead where the catalog holds no value. NaN and ±INF (no extractor writes one; an update or loaded
    RDF may) are counted in the <title>, not drawn: they have no place on the axis, and np.histogram refuses a range
    that reaches them (the feature page's 500)."""
    finite = values[np.isfinite(values)]
    left_out = f" ({len(values) - len(finite):,} not finite, not drawn)" if len(finite) < len(values) else ""
    values = finite
    if len(values) == 0:
        return '<p class="note">No track in the catalog has a value of this feature.</p>'
    low, high = float(values.min()), float(values.max())
    counts, edges = np.histogram(values, bins=BINS if high > low else 1, range=(low, high if high > low else low + 1))
    tallest = int(counts.max())
    span = (edges[-1] - edges[0]) or 1.0

    def x(value: float) -> float:
        return LEFT + (value - edges[0]) / span * (WIDTH - LEFT - PAD)

    def y(count: float) -> float:
        return PAD + (1 - count / tallest) * (HEIGHT - PAD - BOTTOM)

    bars = "".join(f'<rect x="{x(a):.1f}" y="{y(n):.1f}" width="{max(x(b) - x(a) - 1, 1):.1f}" '
                   f'height="{y(0) - y(n):.1f}" fill="#4a6fa5" data-count="{n}"/>'
                   for a, b, n in zip(edges[:-1], edges[1:], counts) if n)
    inside = [(value, name) for value, name in thresholds if low <= value <= high]
    lines = "".join(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{PAD}" y2="{y(0):.1f}" stroke="#d9730d" '
                    f'stroke-width="2" stroke-dasharray="4,3"/>'
                    f'<text x="{x(v) + 3:.1f}" y="{PAD + 10 + 12 * (i % 2)}" fill="#8a4500">'
                    f'{escape(amount(v, unit))}</text>'
                    for i, (v, _) in enumerate(inside))
    said = "; thresholds at " + ", ".join(f"{amount(v, unit)} ({name})" for v, name in inside) if inside else ""
    title = (f"{label} across the catalog's {len(values):,} tracks{left_out}: "
             f"from {amount(low, unit)} to {amount(high, unit)}, "
             f"most between {amount(float(edges[counts.argmax()]), unit)} and "
             f"{amount(float(edges[counts.argmax() + 1]), unit)} ({tallest:,} tracks){said}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="histogram" role="img" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" font-size="10" font-family="sans-serif"><title>{escape(title)}</title>'
            f'{bars}<line x1="{LEFT}" x2="{WIDTH - PAD}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#555"/>{lines}'
            f'<text x="{LEFT - 4}" y="{PAD + 8}" text-anchor="end">{tallest:,}</text>'
            f'<text x="{LEFT - 4}" y="{y(0):.1f}" text-anchor="end">0</text>'
            f'<text x="{LEFT}" y="{HEIGHT - 10}">{escape(amount(low, unit))}</text>'
            f'<text x="{WIDTH - PAD}" y="{HEIGHT - 10}" text-anchor="end">{escape(amount(high, unit))}</text></svg>')
