"""A tag's reasons as a server-side SVG waterfall: from the base rate through each feature's contribution
to the logit and the score, in `whytag explain`'s own numbers and words (no scripts, no CDN).

Each bar carries its exact contribution in `data-contribution` (and the chart its `data-logit` and
`data-score`), so a test, or a reader's tool, can check the picture against the explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from whytag.reasoning.explain import Explanation, Reason, flip_text

TOP = 8  # feature reasons drawn one bar each; the rest are summed into one bar
ROW = 22
LABEL_WIDTH = 400  # the feature, its value with unit and its level, right-aligned before the bars
PLOT_WIDTH = 280
NUMBER_WIDTH = 70  # the contribution, in its own column, so no label is cut at the plot's edge
UP, DOWN, TOTAL = "#2f7d4f", "#b0413e", "#4a6fa5"  # towards the tag, away from it, the sums


@dataclass(frozen=True)
class Step:
    """One bar: what it stands for in words, its contribution to the logit, the feature page it links to
    (None: base rate, the summed rest) and, on the flip's feature, what would change the decision."""

    kind: str  # "base", "reason", "rest"
    words: str
    contribution: float
    feature: str | None = None
    flip: str | None = None


def steps(explanation: Explanation, top: int = TOP) -> list[Step]:
    """The bars in order: the base rate, the `top` largest reasons (and the flip's feature, wherever it
    ranks), then the rest as one "N other features" bar."""
    ranked = explanation.ranked()
    flip_iri = explanation.flip.iri if explanation.flip else None
    shown = [r for i, r in enumerate(ranked) if i < top or (flip_iri and _feature(r) == flip_iri)]
    rest = [r for r in ranked if r not in shown]
    out = [Step("base", "base rate (the average training track)", explanation.base_rate)]
    for reason in shown:
        flip = (flip_text(explanation.flip, explanation.tag, explanation.predicted)
                if flip_iri and _feature(reason) == flip_iri else None)
        out.append(Step("reason", _words(reason), reason.contribution, _feature(reason), flip))
    if rest:
        out.append(Step("rest", f"{len(rest)} other feature{'s' if len(rest) != 1 else ''}",
                        sum(r.contribution for r in rest)))
    return out


def _feature(reason: Reason) -> str | None:
    """The feature a reason's bar links to: its first reading's (an interaction's bar links to its first)."""
    return reason.readings[0].feature if reason.readings else None


def _words(reason: Reason) -> str:
    """A reason's bar label: the features read with value, unit and level, as `whytag explain` words them."""
    readings = " and ".join(r.text() for r in reason.readings) or str(reason.effect)
    levels = [r.level for r in reason.readings if r.level]
    return readings + (f" — {', '.join(levels)}" if levels else "")


def waterfall(explanation: Explanation, href: Callable[[str], str], top: int = TOP) -> str:
    """The full chart: one labelled, linked row per step, the running logit drawn as floating bars, then the
    logit and the score."""
    bars = steps(explanation, top)
    ends = _running(bars)
    scale = _scale([0.0, *ends])
    rows = len(bars) + 1
    height = ROW * (rows + 2) + 8
    width = LABEL_WIDTH + PLOT_WIDTH + NUMBER_WIDTH
    mark = "predicted" if explanation.predicted else "not predicted"
    title = (f"why {explanation.tag}: logit {explanation.logit:+.3f}, score {explanation.score:.2f} ({mark}); "
             f"base rate {explanation.base_rate:+.3f} and {len(explanation.ranked())} feature reasons")
    # a group, not an image: its bars' labels are links, which an image's children cannot be (axe-core)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="waterfall" role="group" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" font-size="12" font-family="sans-serif" '
             f'data-tag={quoteattr(explanation.tag)} data-logit="{explanation.logit!r}" '
             f'data-score="{explanation.score!r}">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{scale(0.0):.1f}" x2="{scale(0.0):.1f}" y1="0" y2="{ROW * rows}" stroke="#999" '
             f'stroke-dasharray="2,2"/>']
    start = 0.0
    for i, (bar, end) in enumerate(zip(bars, ends)):  # each bar floats from the last one's end
        parts.append(_row(bar, start, end, i * ROW, scale, href))
        start = end
    y = len(bars) * ROW
    parts.append(f'<g class="total" data-contribution="{explanation.logit!r}"><title>logit '
                 f'{explanation.logit:+.4g}: the base rate and every reason added</title>'
                 f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-weight="bold">logit</text>'
                 f'{_rect(scale, 0.0, explanation.logit, y, TOTAL)}'
                 f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 6}" y="{y + 15}" font-weight="bold">'
                 f'{explanation.logit:+.3f}</text></g>')
    parts.append(f'<text class="score" x="{LABEL_WIDTH - 8}" y="{y + ROW + 16}" text-anchor="end">score '
                 f'{explanation.score:.2f} ({mark})</text>')
    flip = next((bar.flip for bar in bars if bar.flip), None)
    if flip:  # said in full under the chart, beside the ⇄ on its feature's bar
        parts.append(f'<text class="flip" x="4" y="{y + 2 * ROW + 16}">⇄ {escape(flip)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _row(bar: Step, start: float, end: float, y: int, scale: Callable[[float], float],
         href: Callable[[str], str]) -> str:
    """One step's row: its words (linked to the feature's page), its floating bar, its number, and on the flip's
    feature the change that would reverse the decision."""
    colour = TOTAL if bar.kind == "base" else UP if bar.contribution >= 0 else DOWN
    label = escape(_fitted(bar.words + (" ⇄" if bar.flip else "")))
    text = (f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{label}'
            "</text>")
    if bar.feature:
        text = f'<a href={quoteattr(href(bar.feature))}>{text}</a>'
    flip = ""
    if bar.flip:  # the threshold of "what would change the tag", drawn on this feature's bar
        x = scale(end)
        flip = (f'<g class="flip"><title>{escape(bar.flip)}</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" '
                f'y2="{y + ROW - 1}" stroke="#000" stroke-width="2" stroke-dasharray="3,2"/></g>')
    tooltip = f"{bar.words}: {bar.contribution:+.4g}" + (f"; {bar.flip}" if bar.flip else "")
    return (f'<g class="step {bar.kind}" data-contribution="{bar.contribution!r}"><title>{escape(tooltip)}</title>'
            f'{text}{_rect(scale, start, end, y, colour)}{flip}'
            f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 6}" y="{y + 15}">{bar.contribution:+.3f}</text></g>')


def _fitted(words: str, room: int = (LABEL_WIDTH - 12) * 10 // 65) -> str:
    """The words cut with an ellipsis to what the label column holds (the row's <title> says them all)."""
    return words if len(words) <= room else words[:room - 1].rstrip() + "…"


def _rect(scale: Callable[[float], float], start: float, end: float, y: int, colour: str) -> str:
    left, right = sorted((scale(start), scale(end)))
    return (f'<rect x="{left:.1f}" y="{y + 4}" width="{max(1.0, right - left):.1f}" height="{ROW - 8}" '
            f'fill="{colour}"/>')


def _running(bars: list[Step]) -> list[float]:
    """Where each bar ends on the logit axis: the running sum from the base rate."""
    total, ends = 0.0, []
    for bar in bars:
        total += bar.contribution
        ends.append(total)
    return ends


def _scale(points: list[float], left: float = LABEL_WIDTH + 4, width: float = PLOT_WIDTH - 8
           ) -> Callable[[float], float]:
    """A logit → x mapping spanning the points (and 0), with a little room at both ends."""
    low, high = min(points), max(points)
    span = (high - low) or 1.0
    return lambda value: left + (value - low) / span * width


def mini_waterfall(explanation: Explanation, top: int = TOP) -> str:
    """A compact strip of the same steps for a list's rows: no labels, one <title> saying the numbers."""
    bars = steps(explanation, top)
    ends = _running(bars)
    width, height, slot = 160, 18, 160 / (len(bars) + 1)
    low, high = min(0.0, *ends), max(0.0, *ends)
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return 2 + (high - value) / span * (height - 4)

    words = "; ".join(f"{b.words} {b.contribution:+.2f}" for b in bars)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="waterfall mini" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" data-logit="{explanation.logit!r}" '
             f'data-score="{explanation.score!r}">',
             f"<title>{escape(f'{explanation.tag}: logit {explanation.logit:+.2f} = {words}')}</title>",
             f'<line x1="0" x2="{width}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#bbb"/>']
    start = 0.0
    for i, (bar, end) in enumerate(zip(bars, ends)):
        top_y, bottom_y = sorted((y(start), y(end)))
        colour = TOTAL if bar.kind == "base" else UP if bar.contribution >= 0 else DOWN
        parts.append(f'<rect class="step" data-contribution="{bar.contribution!r}" x="{i * slot + 1:.1f}" '
                     f'y="{top_y:.1f}" width="{slot - 2:.1f}" height="{max(1.0, bottom_y - top_y):.1f}" '
                     f'fill="{colour}"/>')
        start = end
    top_y, bottom_y = sorted((y(0.0), y(explanation.logit)))
    parts.append(f'<rect class="total" x="{len(bars) * slot + 1:.1f}" y="{top_y:.1f}" width="{slot - 2:.1f}" '
                 f'height="{max(1.0, bottom_y - top_y):.1f}" fill="{TOTAL}"/></svg>')
    return "".join(parts)
