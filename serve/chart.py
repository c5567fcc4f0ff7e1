"""A track's perceptual features as a small inline SVG bar chart, drawn on the server (no scripts, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from whytag.reasoning.explain import amount

ROW = 18
LABEL_WIDTH = 190
BAR_WIDTH = 240
TEXT_WIDTH = 190


@dataclass
class Bar:
    """One feature: its label, value (with unit), where it lies in the catalog's range (None: not read
    yet), and its level."""

    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    level: str | None = None

    @property
    def share(self) -> float:
        """Position of the value in the catalog's [low, high], in [0, 1] (the middle while unknown)."""
        if self.low is None or self.high is None or self.high <= self.low:
            return 0.5
        return min(1.0, max(0.0, (self.value - self.low) / (self.high - self.low)))

    @property
    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return "the catalog's range is still being read"
        return f"catalog range {self.low:.4g} to {self.high:.4g}"


def bar_chart(bars: list[Bar]) -> str:
    """An <svg> with one row per feature: label, a bar scaled to the catalog's range, value and level."""
    height = ROW * len(bars) + 4
    width = LABEL_WIDTH + BAR_WIDTH + TEXT_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="features" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-size="12" font-family="sans-serif">',
             "<title>perceptual features, each bar scaled from the catalog's lowest to highest value</title>"]
    for i, bar in enumerate(bars):
        y = 2 + i * ROW
        value = amount(bar.value, bar.unit)
        level = f" — {bar.level}" if bar.level else ""
        parts.append(f'<g><title>{escape(bar.label)}: {escape(value)}{escape(level)} '
                     f'({escape(bar.range_text)})</title>'
                     f'<text x="{LABEL_WIDTH - 6}" y="{y + 12}" text-anchor="end">{escape(bar.label)}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{BAR_WIDTH}" height="{ROW - 5}" fill="#eee"/>'
                     f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{max(1.0, bar.share * BAR_WIDTH):.1f}" '
                     f'height="{ROW - 5}" fill="#4a7fb0"/>'
                     f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 12}">{escape(value)}{escape(level)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
