"""What the linked-data pages show, read from the graph: one SPARQL query per part of a page.

Each reader returns plain values for a Jinja2 template; IRIs come back as `Iri` so templates can link
them. Explanations are `whytag explain`'s own (reasoning.explain), so a page and the command say the
same words.
"""

from __future__ import annotations

import logging
import math
import mimetypes
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from whytag.errors import WhytagError, first_line
from whytag.kg.features import features_by_iri, known_features
from whytag.kg.mapping import track_values
from whytag.kg.metadata import display_name
from whytag.kg.namespaces import DC, FOAF, MO, RDF, RDFS, SKOS, WT, XSD
from whytag.kg.queries import QueryError, query
from whytag.kg.store import GraphStore, json_value
from whytag.reasoning.explain import (
    Explanation,
    Known,
    condition_text,
    explain,
    explain_tracks,
    read_known,
    reading_level,
)
from whytag.reasoning.rules import read_models
from whytag.serve.cache import Kept
from whytag.serve.catalog import Catalog
from whytag.serve.chart import Bar
from whytag.serve.histogram import histogram
from whytag.serve.links import page_url, shape_anchor
from whytag.serve.shapes import Shape, shape_chart, shapes

LOG = logging.getLogger("whytag")
PAGE = 50
CACHED = 512  # answers over many tracks (pages of lists, feature ranges) kept until the store changes

# the predicates a page's heading and a track page read from the quads about an IRI, as text made once (an rdflib
# namespace's attribute took ~2 µs, 40 of them a track page)
TYPE, PREF_LABEL, NAME, TITLE, CREDIT, LABEL = map(str, (RDF.type, SKOS.prefLabel, FOAF.name, DC.title, WT.artistCredit,
                                                         RDFS.label))
TRACK_META = {name: str(predicate) for name, predicate in (
    ("number", MO.track_number), ("date", DC.date), ("genre", WT.genreText), ("isrc", MO.isrc),
    ("musicbrainz", MO.musicbrainz))}
FILE_META = {name: str(predicate) for name, predicate in (
    ("path", WT.path), ("format", WT.format), ("duration", WT.duration), ("rate", WT.sampleRate))}
AVAILABLE_AS, TRACK_OF, MAKER, DOUBLE = map(str, (MO.available_as, MO.track, FOAF.maker, XSD.double))

AUDIO_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg", "mp3": "audio/mpeg", "mp4": "audio/mp4",
               "m4a": "audio/mp4", "aiff": "audio/aiff", "opus": "audio/ogg"}  # by the format ingest recorded


class AudioNotFound(WhytagError, LookupError):
    """No audio to send for a track: none ingested, or its file is gone; the message says which."""


def first_name(prefs: list, titled: list[tuple[object, object]], labels: list) -> str | None:
    """An IRI's name as pages show it, the one precedence for a page's heading and its lists' names: a skos:prefLabel
    or foaf:name (`prefs`) first, then a track's "Artist - Title" (`titled`: (title, credit) pairs), then an
    rdfs:label; None without any (an empty name counts as none: a title "" gives no "None" heading)."""
    names = [str(name) for name in (prefs + [display_name(title, credit) for title, credit in titled] + labels)
             if name is not None and str(name).strip()]
    return names[0] if names else None


class Iri(str):
    """An IRI among query values, so that templates link it rather than print it."""


class PageError(WhytagError):
    """A page that cannot be shown: a page number past a list's end, or one that is no page number (its
    status and a one-line reason, as the catalog's errors)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


@dataclass
class Page:
    """One page of a list: its rows, its number (from 1), whether another follows and how many there are."""

    rows: list  # dicts a template shows (a kept list of IRIs is named a page at a time)
    number: int
    more: bool
    pages: int = 1


@dataclass
class RuleView:
    """A rule as pages show it: conditions in words, weight, precision and support."""

    iri: Iri
    weight: float
    support: int
    precision: float | None
    tag: Iri | None = None
    notation: str | None = None
    conditions: list[str] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)  # the features its conditions test (IRIs)


@dataclass
class ShapeView:
    """One feature's learned shape on a tag page: the model set, the feature's label and IRI, the shape, its SVG."""

    model_set: str
    label: str
    iri: Iri | None
    shape: Shape
    svg: str
    anchor: str = ""  # its id on the tag page, which a feature's page links to (serve.links.shape_anchor)


class Reader:
    """Reads pages' contents from the embedded store (named queries; explanations as `whytag explain`).

    Lists that sort thousands of tracks (a tag's tracks, a rule's), rules and the feature ranges
    are kept until `changed` is called: the server holds the store's write lock, so only its own
    updates can change them.
    """

    def __init__(self, graph: GraphStore, base: str, catalog: Catalog | None = None):
        self.graph = graph
        # the titles and artists that tag and rule pages list, as the catalog shows them (the server's own)
        self.catalog = catalog or Catalog(graph, self.href)
        self.base = base
        self.kept = Kept(CACHED)
        self._warming = threading.Lock()  # held while a background read of the ranges runs

    def warm(self, start: bool = False) -> None:
        """Read the catalog's feature ranges in the background (minutes for millions of tracks), unless a read is
        under way: pages do not wait for them, their charts say so until they are read. At the `start`, first what
        every page uses and no track changes (the ontology's features, the models' effects and levels, every rule):
        ~0.6 s, half of it parsing features.ttl with the GIL held, which the first 32 visitors all waited on."""
        if self._warming.acquire(blocking=False):
            threading.Thread(target=self._warm, args=(start,), name="whytag-warm", daemon=True).start()

    def _warm(self, start: bool) -> None:
        try:
            if start:
                self._read_or_log(self._read_shared, "what every page uses", "the first page needing it reads it")
            # read whether or not the above failed: the ranges were left unread until the next track page
            self._read_or_log(self.ranges, "the catalog's feature ranges",
                              "track pages say they are still being read; the next one reads them again")
        finally:
            self._warming.release()

    def _read_shared(self) -> None:
        """What every page uses and no track changes, kept: the ontology's features, the models' effects and the
        levels, the features' labels and units and the models reading them, every rule."""
        features_by_iri()
        self.known()
        self.features()
        self.used_features()
        self.rules()

    @staticmethod
    def _read_or_log(read: Callable[[], object], what: str, then: str) -> None:
        """Run a background read of `what`; a failure is one line in the log saying what happens `then` (it was a
        thread's traceback on stderr)."""
        try:
            read()
        except Exception as err:  # noqa: BLE001 - no request to answer here: logged, and read again where needed
            LOG.warning(f"whytag serve: reading {what} failed: {first_line(err)} ({then})")

    def ranged(self) -> bool:
        """Whether the catalog's feature ranges are read (track pages' charts show them)."""
        return self.kept.peek("ranges") is not None

    def changed(self) -> None:
        """Forget every kept answer: the store was updated (the next track page reads the ranges again,
        not every update: an ingest through the server sends one a track)."""
        self.kept.clear()

    # -- generic ----------------------------------------------------------------------------
    def rows(self, sparql: str) -> list[dict]:
        """A SELECT's rows as dicts of Python values (Iri, float, int, bool, str; None where unbound), read
        in one call (see GraphStore.rows: a page's rows one by one took 190 ms beside a busy thread, not 1.4)."""
        names, bindings = self.graph.bindings(sparql)
        return [{n: json_value(row.get(n), Iri, "_:", exact=True) for n in names} for row in bindings]

    def paged(self, key: object, read: Callable[[], list], number: int) -> Page:
        """Page `number` (from 1) of the list `read` gives, read once and kept under `key` until the store changes;
        PageError past the end."""
        rows = self.kept.get(key, read)
        pages = max(1, math.ceil(len(rows) / PAGE))
        if number > pages:
            raise PageError(404, f"page={number}: past the end (this list has {pages} page{'s' if pages > 1 else ''})")
        return Page(rows[(number - 1) * PAGE:number * PAGE], number, number < pages, pages)

    def href(self, iri: str) -> str:
        """Where an IRI's page is (serve.links: the one place page URLs are made)."""
        return page_url(iri, self.base)

    def audio_file(self, iri: str) -> tuple[Path, str]:
        """A track's ingested audio file and its media type, found in the store only (no path from a request
        reaches the file system); AudioNotFound saying why when there is none to send."""
        try:
            rows = self.graph.rows(query("track-audio-file", track=URIRef(iri)))
        except QueryError as err:
            raise AudioNotFound(f"{iri}: not a track IRI ({err})") from err
        if not rows:
            raise AudioNotFound(f"{iri}: no audio file was ingested for it")
        path, kind = Path(rows[0][0]), str(rows[0][1] or "")
        if not path.is_file():
            raise AudioNotFound(f"{iri}: its file {path} is gone")
        return path, AUDIO_TYPES.get(kind.lower(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")

    def about(self, iri: str) -> list[tuple[dict, dict, dict, dict | None]]:
        """The quads with the IRI as subject, in every graph: what its heading reads, and a track page its metadata
        and values (read once for both: six reads of one predicate each were 0.45 ms of a track page's CPU)."""
        return self.graph.quads(iri)

    def heading(self, iri: str, own: list[tuple] | None = None) -> tuple[set[Iri], str]:
        """An IRI's rdf:types and its label (a skos:prefLabel or foaf:name first, then a track's "Artist - Title",
        then an rdfs:label; the IRI where it has none), read from the quads about it (`own`, where `about` read them
        already; a query's parse and plan took 0.4 ms of every page's CPU).
        No types may mean no triple mentions it: `mentioned` tells those apart."""
        own = self.about(iri) if own is None else own

        def objects(predicate: str) -> list:
            return [json_value(o, Iri, "_:", exact=True) for _, p, o, _ in own if p["value"] == predicate]

        credits = objects(CREDIT) or [None]
        name = first_name(objects(PREF_LABEL) + objects(NAME),
                          [(title, credit) for title in objects(TITLE) for credit in credits], objects(LABEL))
        return set(objects(TYPE)), iri if name is None else name

    def names(self, iris: list[str]) -> dict[str, str]:
        """The name of each IRI that has one (as a page's heading names it), for a page's lists (a few hundred IRIs
        at most) that would show IRIs."""
        rows: dict[str, list[dict]] = defaultdict(list)
        for row in self.rows(query("resource-names", iri=sorted(set(iris)))) if iris else []:
            rows[row["iri"]].append(row)
        return {iri: name for iri, found in rows.items() if (name := first_name(
            [r["pref"] for r in found if r["pref"] is not None],
            [(r["title"], r["credit"]) for r in found if r["title"] is not None],
            [r["label"] for r in found if r["label"] is not None]))}

    def mentioned(self, iri: str) -> bool:
        """Whether any triple has the IRI as subject or object (a page, or a 404)."""
        return bool(self.graph.native_results(query("iri-mentioned", iri=URIRef(iri))))

    def triples(self, iri: str) -> list:
        """The IRI's description for machines: every triple with it as subject or object, in any graph."""
        return list(self.graph.native_results(query("iri-triples", iri=URIRef(iri))))

    def resource(self, iri: str, types: Iterable[Iri] = ()) -> dict:
        """Any IRI: its outgoing and incoming triples, and the names of the resources they link and of its `types`
        (an artist's page lists its tracks by title, not by hash, and is "a music artist" as its table says)."""
        outgoing = self.rows(query("resource-outgoing", iri=URIRef(iri), limit=500))
        incoming = self.rows(query("resource-incoming", iri=URIRef(iri), limit=200))
        linked = [r["o"] for r in outgoing if isinstance(r["o"], Iri)] + [r["s"] for r in incoming
                                                                          if isinstance(r["s"], Iri)] + list(types)
        return {"outgoing": outgoing, "incoming": incoming, "names": self.names(linked)}

    # -- tracks -----------------------------------------------------------------------------
    def track(self, iri: str, own: list[tuple] | None = None) -> dict:
        """A track: its catalog metadata and file, its explained tags (predicted first) with their IRIs by notation,
        and feature bars. Its values are read once for both, with its metadata, from the quads about it (`own`, where
        `about` read them already; no query); what no track changes (the models' effects, the levels) is kept: two
        queries a page (explain's)."""
        meta, artists, values = self._track_quads(iri, self.about(iri) if own is None else own)
        explanations: list[Explanation] = explain(self.graph, URIRef(iri), known=self.known(), values=values)
        tags = {e.tag: Iri(e.tag_iri) for e in explanations}
        return {"meta": meta, "artists": artists,
                "explanations": explanations, "tag_iris": tags, "bars": self.bars(iri, values)}

    def _track_quads(self, iri: str, own: list[tuple]) -> tuple[dict, list[dict], dict[str, float]]:
        """A track's metadata (the first of each: title, credit, album and its title, number, date, genre, ISRC,
        MusicBrainz recording, label, and the first file with a path: its path, format, duration and rate), its
        artists with their names (by name, a row a name) and its feature values (the doubles in its own graph), read
        from the quads about it: three queries were 1.4 ms of a track page's CPU, their parse and plan most of it
        (bench/RESULTS.md, 2026-12-07 #28)."""
        def value(term: dict | None) -> object:
            return json_value(term, Iri, "_:", exact=True)

        def first(quads: list[tuple], predicate: str) -> dict | None:
            return next((o for _, p, o, _ in quads if p["value"] == predicate), None)

        album = next((s for s, _, _, _ in self.graph.quads(None, TRACK_OF, iri)), None)
        files = [self.graph.quads(f["value"]) for f in
                 (o for _, p, o, _ in own if p["value"] == AVAILABLE_AS and o["type"] == "uri")]
        file = next((quads for quads in files if first(quads, FILE_META["path"]) is not None), [])
        meta = {"title": first(own, TITLE), "credit": first(own, CREDIT), "album": album,
                "albumTitle": first(self.graph.quads(album["value"], TITLE), TITLE)
                if album is not None and album["type"] == "uri" else None,
                **{name: first(own, predicate) for name, predicate in TRACK_META.items()}, "label": first(own, LABEL),
                **{name: first(file, predicate) for name, predicate in FILE_META.items()}}
        def names(artist: dict) -> list[dict | None]:
            found = self.graph.quads(artist["value"], NAME) if artist["type"] == "uri" else []
            return [o for _, _, o, _ in found] or [None]

        artists = [{"artist": value(artist), "name": value(name)}
                   for artist in (o for _, p, o, _ in own if p["value"] == MAKER) for name in names(artist)]
        artists.sort(key=lambda row: (row["name"] is not None, row["name"] or ""))  # ORDER BY ?name: unbound first
        values = {p["value"]: float(value(o)) for _, p, o, g in own
                  if g is not None and g["value"] == iri and o.get("datatype") == DOUBLE}
        return {k: value(v) for k, v in meta.items()}, artists, values

    def known(self) -> Known:
        """What explanations read that no track changes: every model's effects and the stated levels (kept)."""
        return self.kept.get("known", lambda: read_known(self.graph))

    def bars(self, iri: str, values: dict[str, float] | None = None) -> list[Bar]:
        """The track's features (its `values` where read already) with units, catalog ranges, levels (as its
        explanations say them: reasoning.explain.reading_level), the ontology's description and family, and the
        tags whose models read each."""
        described, used, levels = self.features(), self.used_features(), self.known().levels
        values = track_values(self.graph, iri) if values is None else values
        ranges = self.kept.peek("ranges")
        if ranges is None:  # not read yet, or forgotten at an update: read in the background, do not wait
            self.warm()
            ranges = {}
        bars = []
        for feature, value in values.items():
            if feature not in described:
                continue
            label, symbol = described[feature]
            info = features_by_iri().get(feature)
            bars.append(Bar(label, value, symbol, *ranges.get(feature, (None, None)),
                            reading_level(feature, value, levels), feature, info.description if info else "",
                            info.family if info else "", info.perceptual if info else True, used.get(feature, [])))
        return sorted(bars, key=lambda b: b.label.lower())

    def used_features(self) -> dict[str, list[str]]:
        """The tags whose stored models read each feature (kept: the same for every track page)."""
        def read() -> dict[str, list[str]]:
            used: dict[str, list[str]] = {}
            for feature, notation in self.graph.rows(query("model-features")):
                used.setdefault(feature, []).append(str(notation))
            return used
        return self.kept.get("used-features", read)

    def features(self) -> dict[str, tuple[str, str]]:
        """Each feature's label and its default unit's symbol (kept: the same for every track page)."""
        return self.kept.get("features", lambda: {r["f"]: (str(r["label"] or r["f"].rsplit("#", 1)[-1]),
                                                          str(r["symbol"] or "")) for r in self.rows(
            query("feature-units"))})

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each feature's lowest and highest value in the catalog (read once, kept until the store changes)."""
        return self.kept.get("ranges", lambda: {r["f"]: (float(r["lo"]), float(r["hi"]))
                                                for r in self.rows(query("feature-ranges"))})

    # -- tags and rules ---------------------------------------------------------------------
    def tag(self, iri: str, number: int) -> dict:
        """A tag: its label, scheme, tracks carrying it best first (paged, with the catalog's titles and artists)
        with their reasons (kept, like the list), the rules deciding it and how its model reads each feature."""
        info = self.rows(query("tag-info", tag=URIRef(iri)))
        tracks = self.paged(("tag-tracks", iri), lambda: self.catalog.tagged(iri), number)
        tracks.rows = self.catalog.named(tracks.rows)
        rules = self.rules(tag=iri)
        notation = str(info[0]["notation"]) if info and info[0]["notation"] is not None else None
        scheme = info[0]["scheme"] if info else None
        return {"info": info[0] if info else {}, "names": self.names([scheme] if scheme else []), "tracks": tracks,
                "rules": sorted(rules, key=lambda r: -abs(r.weight)),
                "explained": self.kept.get(("explained", iri, number),
                                           lambda: self.explained(tracks.rows, iri, notation)),
                "shapes": self.shapes(iri, notation)}

    def explained(self, rows: list[dict], iri: str, notation: str | None) -> dict[str, Explanation]:
        """Each listed track's explanation of the tag (IRI `iri`), by `whytag explain`'s own code for the whole list
        at once (explain_tracks: three queries for 50 rows), so a mini waterfall's numbers are the command's; the
        predicted assignment first, then the best score, where several model sets give the tag."""
        if not rows or notation is None:
            return {}
        found = explain_tracks(self.graph, [URIRef(str(row["track"])) for row in rows], tag=notation,
                               known=self.known())
        chosen = {}
        for track, explanations in found.items():
            mine = [e for e in explanations if e.tag_iri == iri]  # a notation another vocabulary shares is not this tag
            if mine:
                chosen[track] = max(mine, key=lambda e: (e.predicted, e.score))
        return chosen

    def shapes(self, iri: str, notation: str | None) -> list[ShapeView]:
        """How each model set's model of the tag reads its features, the largest effect first (kept: a model set
        is read whole, seconds for a shipped one)."""
        def read() -> list[ShapeView]:
            described, views = self.features(), []
            for (name,) in self.graph.rows(query("tag-model-sets", tag=URIRef(iri))):
                _, models = read_models(self.graph, str(name))
                for model in (m for m in models if m.tag == notation):
                    for shape in shapes(model):
                        feature = str(known_features()[shape.feature].iri) if shape.feature in known_features() else ""
                        label, unit = described.get(feature, (shape.feature, ""))
                        views.append(ShapeView(str(name), label, Iri(feature) if feature else None, shape,
                                               shape_chart(shape, label, unit, notation),
                                               shape_anchor(str(name), feature or shape.feature)))
            return views
        return self.kept.get(("shapes", iri), read) if notation else []

    def rules(self, rule: str | None = None, tag: str | None = None, tested: str | None = None) -> list[RuleView]:
        """The rules with their conditions in the graph's words, chosen by `rule`, `tag` or `tested` (a feature
        one of their conditions tests) IRI, from every rule read once and kept (a query binding a feature scanned
        every counterfactual's wt:feature: 90 ms at 10,000 tracks, 35 ms for all 94 rules)."""
        return [view for view in self.kept.get("rules", self._read_rules)
                if rule in (None, view.iri) and tag in (None, view.tag) and (tested is None or tested in view.tests)]

    def _read_rules(self) -> list[RuleView]:
        views: dict[str, RuleView] = {}
        for r in self.rows(query("rule-conditions")):
            view = views.setdefault(r["rule"], RuleView(r["rule"], r["weight"], r["support"], r["precision"],
                                                        r["tag"], r["notation"]))
            condition = condition_text(r["feature"], r["op"], r["threshold"], r["f"])  # binary/categorical wording
            if condition not in view.conditions:
                view.conditions.append(condition)
            view.tests.add(str(r["f"]))
        for view in views.values():
            view.conditions.sort()
        return list(views.values())

    def rule(self, iri: str, number: int) -> dict:
        """A rule: its conditions, weight, precision and support, and the tracks it fired on (paged, by title)."""
        found = self.rules(rule=iri)
        tracks = self.paged(("rule-tracks", iri), lambda: self.catalog.by_title(
            self.graph.iris(query("rule-tracks", rule=URIRef(iri)))), number)
        tracks.rows = self.catalog.named([{"track": Iri(track)} for track in tracks.rows])
        return {"rule": found[0] if found else None, "tracks": tracks}

    # -- features ---------------------------------------------------------------------------
    def feature(self, iri: str) -> dict:
        """A feature: what the graph says of it (label, description, unit, family, extractors), its levels'
        thresholds, its values across the catalog as a histogram (kept until the store changes), the tag models
        reading it (each linked to its chart on the tag page) and the rules testing it."""
        about = self.rows(query("feature-about", feature=URIRef(iri)))
        head = about[0] if about else {}
        extractors = {r["extractor"]: str(r["extractorLabel"] or r["extractor"]) for r in about if r["extractor"]}
        levels = sorted(self.known().levels.get(iri, []), key=lambda lv: (
            lv.source, lv.lower is not None, lv.lower or 0.0, lv.upper is not None, lv.upper or 0.0))
        label = str(head.get("label") or iri.rsplit("#", 1)[-1])
        symbol = str(head.get("symbol") or "")
        values = self.kept.get(("feature-values", iri), lambda: self.graph.numbers(
            query("feature-values", feature=URIRef(iri))))
        between: dict[float, list[str]] = {}  # a threshold, and the levels it parts (slow / moderate)
        for level in levels:
            for bound in (level.lower, level.upper):
                if bound is not None and level.label not in between.setdefault(float(bound), []):
                    between[float(bound)].append(level.label)
        thresholds = sorted((bound, " / ".join(names)) for bound, names in between.items())
        models = [{**m, "href": self.href(str(m["tag"])) + "#" + shape_anchor(str(m["name"]), iri)}
                  for m in self.rows(query("feature-models", feature=URIRef(iri)))]
        return {"about": head, "extractors": extractors, "levels": levels, "count": len(values),
                "histogram": histogram(values, thresholds, label, symbol), "models": models,
                "rules": sorted(self.rules(tested=iri), key=lambda r: (str(r.notation), -abs(r.weight)))}
