"""A track's features as pages list them: grouped by family (rhythm, dynamics, timbre, ...), the features the tag
models read first, each with a small inline SVG of where its value lies in the catalog (no scripts, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from whytag.kg.features import families
from whytag.reasoning.explain import amount, coded_text

BAR_WIDTH = 120
BAR_HEIGHT = 12


@dataclass
class Bar:
    """One feature of a track: its IRI, label, value (with unit), where it lies in the catalog's range (None: not
    read yet), its level, the ontology's description and family, whether a listener perceives it, and the tags
    whose models read it."""

    label: str
    value: float
    unit: str
    low: float | None
    high: float | None
    level: str | None = None
    iri: str = ""
    description: str = ""
    family: str = ""
    perceptual: bool = True
    used_by: list[str] = field(default_factory=list)

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

    @property
    def amount(self) -> str:
        """The value as explanations word it: a binary or categorical feature's words ('in a major key', 'F'),
        else the number with its unit."""
        words = coded_text(self.iri, self.value)
        return amount(self.value, self.unit) if words is None else words

    @property
    def band(self) -> str:
        """low, middle or high in the catalog: the level's colour (the level is also said in words)."""
        return "low" if self.share < 1 / 3 else "high" if self.share > 2 / 3 else "middle"

    @property
    def folded(self) -> bool:
        """Listed only when asked for: a zero, or a descriptor no listener perceives (MFCCs), that no model reads."""
        return not self.used_by and (self.value == 0.0 or not self.perceptual)


@dataclass
class FamilyRows:
    """One family's features on a track page: its name, description, and rows (those the models read first)."""

    name: str
    description: str
    bars: list[Bar]

    @property
    def used(self) -> int:
        return sum(1 for bar in self.bars if bar.used_by)


def by_family(bars: list[Bar]) -> tuple[list[FamilyRows], list[Bar]]:
    """The unfolded features by family (families holding features the models read first, then the ontology's
    order), and the folded ones (zeros and raw descriptors) apart, by label."""
    known = families()
    grouped: dict[str, list[Bar]] = {}
    for bar in sorted(bars, key=lambda b: (not b.used_by, b.label.lower())):
        if not bar.folded:
            grouped.setdefault(bar.family or "other", []).append(bar)
    order = {name: i for i, name in enumerate(known)}
    rows = [FamilyRows(name, known[name].description if name in known else "", found)
            for name, found in grouped.items()]
    rows.sort(key=lambda f: (f.used == 0, order.get(f.name, len(order))))
    return rows, sorted((b for b in bars if b.folded), key=lambda b: b.label.lower())


def position_bar(bar: Bar) -> str:
    """A small <svg>: the catalog's range as a track, the value as a filled part, its words in a <title>."""
    level = f" — {bar.level}" if bar.level else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="position" role="img" width="{BAR_WIDTH}" '
            f'height="{BAR_HEIGHT}" viewBox="0 0 {BAR_WIDTH} {BAR_HEIGHT}"><title>{escape(bar.label)}: '
            f'{escape(bar.amount)}{escape(level)} ({escape(bar.range_text)})</title>'
            f'<rect width="{BAR_WIDTH}" height="{BAR_HEIGHT}" fill="#eee"/>'
            f'<rect width="{max(1.0, bar.share * BAR_WIDTH):.1f}" height="{BAR_HEIGHT}" fill="#4a7fb0"/></svg>')
