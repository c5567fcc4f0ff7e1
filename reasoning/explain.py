"""Plain-language reasons for a tag, read from the graph (SPARQL queries plus wording).

A tag's logit is its base rate plus one contribution per feature effect; each reason names the
features it read with their values, units and perceptual levels, all taken from the graph's labels
(so another vocabulary or language needs no code), and, with `detail`, the rules that fired inside
it and its linear term. The text is built only from triples, so it cannot disagree with the graph.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from rdflib import Literal, URIRef

from whytag.errors import WhytagError
from whytag.kg.features import features_by_iri
from whytag.kg.mapping import tracks_values
from whytag.kg.queries import query
from whytag.kg.store import GraphStore
from whytag.reasoning.concepts import LevelThreshold, level_of, stated_levels
from whytag.reasoning.counterfactual import Flip
from whytag.reasoning.model import OPERATORS, op_words
from whytag.reasoning.rules import ModelInfo
from whytag.reasoning.shipped import shipped_names

CHUNK = 200  # VALUES rows per query
Chunk = list[tuple[URIRef, URIRef]]
"""Up to CHUNK (justification, effect) pairs."""


@dataclass
class Reading:
    """One feature a reason read: its label, the track's value (None: not measured), unit and level."""

    feature: str
    label: str
    value: float | None = None
    unit: str = ""
    level: str | None = None

    def text(self) -> str:
        if self.value is None:
            return f"{self.label} not measured"
        return value_text(self.label, self.value, self.unit, self.feature)


@dataclass
class RuleDetail:
    """A rule that fired inside a reason: its conditions in words, weight and training statistics."""

    rule: str
    weight: float
    conditions: list[str]
    support: int
    precision: float | None

    def text(self) -> str:
        precision = f", precision {self.precision:.2f}" if self.precision is not None else ""
        return (f"rule {self.rule.rsplit('/', 1)[-1]}: {' and '.join(sorted(self.conditions))} → "
                f"{self.weight:+.3g}{precision} on {self.support} training tracks")


@dataclass
class Reason:
    """One justification: the base rate (no effect) or one feature effect's contribution."""

    contribution: float
    effect: str | None = None
    readings: list[Reading] = field(default_factory=list)
    rules: list[RuleDetail] = field(default_factory=list)
    coefficient: float | None = None  # of the effect's linear term
    center: float | None = None
    offset: float = 0.0
    low: float | None = None  # the training range of the effect's feature (one-feature effects)
    high: float | None = None
    missing_average: bool = False  # a missing value counts as the average training track (wt:missingAsAverage)

    def text(self) -> str:
        if self.effect is None:
            return f"base rate (the average training track): {self.contribution:+.3g}"
        levels = [r.level for r in self.readings if r.level]
        level = f" — {', '.join(levels)}" if levels else ""
        beyond = f" — {self.beyond_text()}" if self.held() is not None else ""
        average = " — so it counts as the average training track" if self.as_average() else ""
        return f"{' and '.join(r.text() for r in self.readings)}{level}{beyond}{average}: {self.contribution:+.3g}"

    def as_average(self) -> bool:
        """Whether a feature the reason reads is not measured and the model counts that as the training average."""
        return self.missing_average and any(r.value is None for r in self.readings)

    def held(self) -> float | None:
        """The training range's edge the reading is held at, when its value lies beyond it (else None)."""
        value = self.readings[0].value if len(self.readings) == 1 else None
        if value is None or self.low is None or self.high is None or self.low <= value <= self.high:
            return None
        return self.low if value < self.low else self.high

    def beyond_text(self) -> str:
        """Why a value beyond the training range counts as the range's edge, in words."""
        reading, edge = self.readings[0], self.held()
        side = "lowest" if edge == self.low else "highest"
        return (f"beyond what the model was trained on, so it counts as the {side} value seen in training, "
                f"{amount(edge, reading.unit)}")

    def detail_lines(self) -> list[str]:
        """The parts of this reason: what each feature is, fired rules, the linear term, the offset."""
        lines = [f"{r.label}: {features_by_iri()[r.feature].description}" for r in self.readings
                 if r.feature in features_by_iri()]
        lines += [rule.text() for rule in sorted(self.rules, key=lambda r: -abs(r.weight))]
        if self.coefficient is not None and self.readings and self.readings[0].value is not None:
            reading = self.readings[0]
            value = reading.value if self.held() is None else self.held()
            read = amount(value, reading.unit) + (" (held at the training range's edge)" if self.held() is not None
                                                   else "")
            lines.append(f"linear: {self.coefficient:+.3g} per unit × ({read} − "
                         f"training mean {self.center:.4g}) = {self.coefficient * (value - self.center):+.3g}")
        if self.as_average():
            lines.append(f"not measured: the training average of this feature's part, {self.offset:+.3g}")
        lines.append(f"less the training average of this feature's part: {0.0 - round(self.offset, 12):+.3g}")
        return lines


@dataclass
class Explanation:
    """Why a track has a tag: the score, the logit, the base rate and per-feature reasons adding up to it."""

    tag: str
    score: float
    logit: float
    predicted: bool
    reasons: list[Reason]
    flip: Flip | None = None
    tag_iri: str | None = None  # where a page links the tag (None: not read)

    @property
    def base_rate(self) -> float:
        return sum(r.contribution for r in self.reasons if r.effect is None)

    def ranked(self) -> list[Reason]:
        """The feature reasons, largest |contribution| first."""
        return sorted((r for r in self.reasons if r.effect is not None), key=lambda r: -abs(r.contribution))

    def shown_share(self, top: int) -> float:
        """Share of the reasons' Σ|contribution| (base rate excluded) that the first `top` hold."""
        magnitudes = [abs(r.contribution) for r in self.ranked()]
        total = sum(magnitudes)
        return sum(magnitudes[:top]) / total if total > 0 else 1.0

    def text(self, top: int = 5, detail: bool = False) -> str:
        ranked = self.ranked()
        mark = "predicted" if self.predicted else "not predicted"
        lines = [f"{self.tag}, {self.score:.2f} ({mark}); logit {self.logit:+.3f} = base rate "
                 f"{self.base_rate:+.3f} + {len(ranked)} feature reason{'s' if len(ranked) != 1 else ''}"]
        if self.flip is not None:
            lines.append(f"  {flip_text(self.flip, self.tag, self.predicted)}")
        for reason in ranked[:top]:
            lines.append(f"  {reason.text()}")
            if detail:
                lines += [f"      {line}" for line in reason.detail_lines()]
        rest = ranked[top:]
        shown = f"the {min(top, len(ranked))} shown hold {self.shown_share(top):.0%} of the reasons' weight"
        if rest:
            shown += f"; {len(rest)} smaller sum to {sum(r.contribution for r in rest):+.3g}"
        lines.append(f"  ({shown})")
        return "\n".join(lines)

    def as_dict(self, top: int = 5) -> dict:
        """For `--format json`: every number and word of the explanation, all reasons largest first."""
        # a flip read from the graph has no `change` (the finder's measure of it)
        return {"tag": self.tag, "score": self.score, "logit": self.logit, "predicted": self.predicted,
                "base_rate": self.base_rate, f"top{top}_share": self.shown_share(top),
                "would_change_if": {k: v for k, v in asdict(self.flip).items() if k != "change"} if self.flip else None,
                "reasons": [asdict(r) for r in self.ranked()]}


@dataclass
class Effect:
    """A stored model's feature effect, the same on every track: the features it reads as (IRI, label, unit symbol),
    its offset, its feature's training range and its linear term."""

    features: list[tuple[str, str, str]] = field(default_factory=list)
    offset: float = 0.0
    low: float | None = None
    high: float | None = None
    coefficient: float | None = None
    center: float | None = None
    missing_average: bool = False


@dataclass
class Known:
    """What explanations read that no track changes: the models' feature effects (by IRI) and the stated levels
    (by feature IRI). `explain` reads those a track's reasons need; a server reads them all once (`read_known`)
    and keeps them until the store changes, so a track costs only its own reads."""

    effects: dict[str, Effect]
    levels: dict[str, list[LevelThreshold]]


def read_known(store: GraphStore, effects: list[str] | None = None) -> Known:
    """The effects listed (None: every stored model's) and every stated level."""
    found: dict[str, Effect] = {}
    for chunk in [None] if effects is None else _chunks(effects):
        for effect, f, label, symbol in store.values(query("effect-readings", effect=chunk)):
            features = found.setdefault(effect, Effect()).features
            if all(f != known for known, _, _ in features):  # a feature with two labels: its first
                features.append((f, str(label or f.rsplit("#", 1)[-1]), str(symbol or "")))
        for effect, coefficient, center, offset, low, high, average in store.values(
                query("effect-terms", effect=chunk)):
            held = found.setdefault(effect, Effect())
            held.offset, held.missing_average = float(offset), average is True
            if low is not None:
                held.low, held.high = float(low), float(high)
            if coefficient is not None:
                held.coefficient, held.center = float(coefficient), float(center)
    return Known(found, stated_levels(store))


def explain(store: GraphStore, track: URIRef, tag: str | None = None, model: str | None = None,
            detail: bool = False, known: Known | None = None, values: dict[str, float] | None = None
            ) -> list[Explanation]:
    """Explanations for a track's assignments (one tag, or all), best score first; `detail` adds the rules.
    `known` (read_known) and `values` (the track's, kg.mapping.track_values) where the caller has read them: a
    track page reads its values once for its explanations and its features."""
    track = URIRef(track)
    return explain_tracks(store, [track], tag, model, detail, known,
                          None if values is None else {str(track): values}).get(str(track), [])


class NothingToExplain(WhytagError, LookupError):
    """A track with no stored assignment of the tag or model set asked for; the message says which, and why."""


def nothing_to_explain(store: GraphStore, name: str, track: URIRef, tag: str | None = None,
                       model: str | None = None) -> NothingToExplain:
    """Why `explain` found nothing for `track` (`name` as the user typed it): no such model set or tag in the
    store, a tag not predicted for it (only predicted tags are stored without `tag --every-score`), or no
    tagging yet."""
    decides: dict[str, set[str]] = defaultdict(set)
    for set_name, notation in store.rows(query("model-set-tags")):
        decides[str(set_name)].add(str(notation))
    if model is not None and model not in decides:
        shipped = f"; `whytag tag --model {model}` loads and applies it" if model in shipped_names() else ""
        return NothingToExplain(f"{name}: no model set named {model!r} in the store "
                                f"(it holds {', '.join(sorted(decides)) or 'none'}{shipped})")
    sets = [s for s in sorted(decides) if model in (None, s)]
    if tag is not None and sets and not any(tag in decides[s] for s in sets):
        return NothingToExplain(f"{name}: no tag {tag!r} in model set{'s' if len(sets) > 1 else ''} "
                                f"{', '.join(sets)} (`whytag models` lists their vocabularies)")
    held = explain(store, track, None, model) if tag is not None else []
    if held:
        return NothingToExplain(f"{name}: no stored {tag!r} score: it was not predicted (its tags: "
                                f"{', '.join(e.tag for e in held)}), and `whytag tag` stores only predicted "
                                "tags unless given --every-score")
    return NothingToExplain(f"{name}: no tag assignments{f' from model set {model!r}' if model else ''} "
                            f"(run `whytag tag{f' --model {model}' if model else ''}` first)")


def explain_tracks(store: GraphStore, tracks: list[URIRef], tag: str | None = None, model: str | None = None,
                   detail: bool = False, known: Known | None = None,
                   values: dict[str, dict[str, float]] | None = None) -> dict[str, list[Explanation]]:
    """`explain` for each listed track at once (a tag page's rows: a few queries for the list, not a few a track),
    by track IRI; `values` by track IRI where read already (kg.mapping.tracks_values)."""
    rows = [row for chunk in _chunks(tracks) for row in store.rows(query(
        "explain-assignments", track=chunk, wanted=None if tag is None else [(Literal(tag),)],
        model=None if model is None else [ModelInfo(model, "").iri]))]
    heads: dict[str, tuple] = {}
    iris: dict[str, str] = {}
    of: dict[str, str] = {}  # each assignment's track
    reasons: dict[str, dict[str, Reason]] = defaultdict(dict)
    owner: dict[str, tuple[str, Reason]] = {}  # each justification's assignment and reason
    for t, a, tag_iri, notation, score, logit, predicted, j, contribution, effect in rows:
        heads[str(a)] = (str(notation), float(score), float(logit), bool(predicted))
        iris[str(a)], of[str(a)] = str(tag_iri), str(t)
        owner[str(j)] = (str(a), reasons[str(a)].setdefault(str(j), Reason(
            float(contribution), str(effect) if effect is not None else None)))
    effects = [(j, reason.effect) for j, (_, reason) in owner.items() if reason.effect is not None]
    if known is None:
        known = read_known(store, sorted({effect for _, effect in effects}))
    if values is None:
        values = tracks_values(store, sorted(set(of.values())))
    for j, effect in effects:
        a, reason = owner[j]
        _fill(reason, known.effects.get(effect), values.get(of[a], {}), known.levels)
    if detail:
        _read_rules(store, list(_chunks([(URIRef(j), URIRef(e)) for j, e in effects])),
                    {j: reason for j, (_, reason) in owner.items()})
    flips = _read_flips(store, list(heads), reasons)
    found: dict[str, list[Explanation]] = defaultdict(list)
    for a in heads:
        found[of[a]].append(Explanation(*heads[a], list(reasons[a].values()), flips.get(a), iris[a]))
    return {t: sorted(explanations, key=lambda e: (-e.score, e.tag)) for t, explanations in found.items()}


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _fill(reason: Reason, effect: Effect | None, values: dict[str, float],
          levels: dict[str, list[LevelThreshold]]) -> None:
    """A feature reason's readings (each feature's label, the track's value, unit and level, by label), offset,
    training range and linear term, from its effect (None: the graph says nothing more of it)."""
    if effect is None:
        return
    for f, label, symbol in effect.features:
        value = values.get(f)
        reason.readings.append(Reading(f, label, value, symbol if value is not None else "",
                                       reading_level(f, value, levels)))
    reason.readings.sort(key=lambda r: r.label)
    reason.offset, reason.low, reason.high = effect.offset, effect.low, effect.high
    reason.missing_average = effect.missing_average
    reason.coefficient, reason.center = effect.coefficient, effect.center


def reading_level(feature: str, value: float | None, levels: dict[str, list[LevelThreshold]]) -> str | None:
    """The level a reading of `feature` says beside its value (levels: stated_levels'): none where there is no
    value, or where the feature's values are words of their own ('in a major key', not '… — major')."""
    if value is None or worded(feature):
        return None
    return level_of(value, levels.get(feature, []))


def _read_rules(store: GraphStore, chunks: list[Chunk], owner: dict[str, Reason]) -> None:
    """Fill each feature reason's fired rules, with their conditions in words."""
    for chunk in chunks:
        rules: dict[tuple[str, str], RuleDetail] = {}
        for j, rule, weight, precision, support, _, label, op, threshold, feature in store.rows(
                query("explain-rules", j=[j for j, _ in chunk])):
            detail = rules.get((str(j), str(rule)))
            if detail is None:
                detail = rules[(str(j), str(rule))] = RuleDetail(
                    str(rule), float(weight), [], int(support), float(precision) if precision is not None else None)
                owner[str(j)].rules.append(detail)
            detail.conditions.append(condition_text(str(label), str(op), float(threshold), str(feature)))


def _read_flips(store: GraphStore, assignments: list[str], reasons: dict[str, dict[str, Reason]]
                ) -> dict[str, Flip]:
    """Each assignment's counterfactual, where the graph has one, in the words of the reason reading its feature
    (a flip changes one feature the model reads alone); none where the track has no value of it."""
    flips = {}
    for chunk in _chunks(assignments):
        for a, feature, op, threshold in store.rows(query("explain-flips", a=chunk)):
            reading = next((r for reason in reasons[a].values() for r in reason.readings if r.feature == feature), None)
            if reading is not None and reading.value is not None:
                flips[a] = Flip(reading.label, str(op), float(threshold), reading.value, reading.unit, iri=feature)
    return flips


def amount(value: float, unit: str, digits: int = 4) -> str:
    """A value with its unit symbol, e.g. '96 BPM'."""
    return f"{value:.{digits}g}{(' ' + unit) if unit else ''}"


def value_text(label: str, value: float, unit: str, feature: str = "") -> str:
    """A feature's value in words: a binary feature's words for it ('in a major key'), a categorical one's
    category ('key F'), else the label and the amount ('tempo 96 BPM'). `feature` is its IRI."""
    words = coded_text(feature, value)
    if words is None:
        return f"{label} {amount(value, unit)}"
    return words if features_by_iri()[feature].true_text else f"{label} {words}"


def coded_text(feature: str, value: float) -> str | None:
    """A binary feature's words for its value ('in a major key'), a categorical one's category ('F'); None for a
    numeric feature, or a value that is none of its codes. `feature` is its IRI."""
    info = features_by_iri().get(feature)
    if info is not None and info.true_text and value in (0.0, 1.0):
        return info.true_text if value == 1.0 else info.false_text
    if info is not None and info.categories and float(value).is_integer() and 0 <= value < len(info.categories):
        return info.categories[int(value)]
    return None


def worded(feature: str) -> bool:
    """Whether a feature's values are said in words of their own ('in a major key', 'key F'): no level is added."""
    info = features_by_iri().get(feature)
    return info is not None and bool(info.true_text or info.categories)


def coded_values(feature: str, op: str, threshold: float) -> list[float] | None:
    """Of a binary or categorical feature's codes (0/1, or 0 … n−1), those that satisfy `op threshold`;
    None for a numeric feature (or an unknown one)."""
    if not worded(feature):
        return None
    info = features_by_iri()[feature]
    codes = [0.0, 1.0] if info.true_text else [float(i) for i in range(len(info.categories))]
    return [code for code in codes if OPERATORS[op].test(code, threshold)]


def condition_text(label: str, op: str, threshold: float, feature: str = "") -> str:
    """A rule's condition in words, e.g. 'tempo ≥ 120'; for a binary feature the value it asks for ('in a
    minor key'), for a categorical one its categories ('key F, F♯ or G'). `feature` is the IRI."""
    codes = coded_values(feature, op, threshold)
    if codes is not None and len(codes) == 1:
        return value_text(label, codes[0], "", feature)
    if codes:
        names = [value_text(label, code, "", feature).removeprefix(f"{label} ") for code in codes]
        return f"{label} {', '.join(names[:-1])} or {names[-1]}"
    return f"{label} {op_words(op)} {threshold:.4g}"


def flip_text(flip: Flip, tag: str, predicted: bool) -> str:
    """The smallest one-feature change that would reverse the decision on `tag`, with as many digits as
    tell the threshold from the value; for a binary feature, its other value in words ("would not be
    happy if it were in a minor key")."""
    verdict = f"would not be {tag}" if predicted else f"would be {tag}"
    codes = coded_values(flip.iri, flip.op, flip.threshold)
    if codes is not None and len(codes) == 1 and features_by_iri()[flip.iri].true_text:
        return f"{verdict} if it were {value_text(flip.feature, codes[0], '', flip.iri)}"
    if codes:
        return f"{verdict} if its {condition_text(flip.feature, flip.op, flip.threshold, flip.iri)}"
    digits = next((d for d in range(4, 12) if f"{flip.threshold:.{d}g}" != f"{flip.value:.{d}g}"), 12)
    return (f"{verdict} if {flip.feature} were {op_words(flip.op)} "
            f"{amount(flip.threshold, flip.unit, digits)} (now {amount(flip.value, flip.unit, digits)})")
