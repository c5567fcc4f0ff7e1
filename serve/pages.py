"""What the linked-data pages show, read from the graph: one SPARQL query per part of a page.

Each reader returns plain values for a Jinja2 template; IRIs come back as `Iri` so templates can link
them. Explanations are `whytag explain`'s own (reasoning.explain), so a page and the command say the
same words.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import URIRef

from whytag.kg.metadata import display_name, name_pattern
from whytag.kg.store import GraphStore, json_value, solutions_json
from whytag.reasoning.concepts import prefer_level
from whytag.reasoning.explain import Explanation, condition_text, explain
from whytag.serve.cache import Kept
from whytag.serve.chart import Bar
from whytag.serve.sparql import OX_PREFIXES

PAGE = 50
CACHED = 512  # answers over many tracks (pages of lists, feature ranges) kept until the store changes


class Iri(str):
    """An IRI among query values, so that templates link it rather than print it."""


@dataclass
class Page:
    """One page of a list: its rows, its number (from 0) and whether another follows."""

    rows: list[dict]
    number: int
    more: bool


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


class Reader:
    """Reads pages' contents from the embedded store (pyoxigraph directly; explanations as `whytag explain`).

    Lists that sort thousands of tracks (a tag's tracks, a rule's), rules and the feature ranges
    are kept until `changed` is called: the server holds the store's write lock, so only its own
    updates can change them.
    """

    def __init__(self, graph: GraphStore, base: str):
        self.graph = graph
        self.store: ox.Store = graph.oxigraph
        self.base = base
        self.kept = Kept(CACHED)
        self._warming = threading.Lock()  # held while a background read of the ranges runs

    def warm(self) -> None:
        """Read the catalog's feature ranges in the background (minutes for millions of tracks), unless a
        read is under way: pages do not wait for them, their charts say so until they are read."""
        if self._warming.acquire(blocking=False):
            threading.Thread(target=self._warm, name="whytag-ranges", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.ranges()
        finally:
            self._warming.release()

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
        names, bindings = solutions_json(self.store, sparql, prefixes=OX_PREFIXES)
        return [{n: json_value(row.get(n), Iri, "_:", exact=True) for n in names} for row in bindings]

    def page(self, sparql: str, number: int) -> Page:
        """One page of a SELECT: `sparql` has `{window}` where its ordered sub-select takes LIMIT/OFFSET."""
        query = sparql.replace("{window}", f"LIMIT {PAGE + 1} OFFSET {number * PAGE}")
        rows = self.kept.get(query, lambda: self.rows(query))
        return Page(rows[:PAGE], number, len(rows) > PAGE)

    def href(self, iri: str) -> str:
        """Where an IRI's page is: a path under the server for IRIs under the base, else /resource?iri=."""
        if self.base and iri.startswith(self.base) and len(iri) > len(self.base):
            return "/" + quote(iri[len(self.base):], safe="/-_.~")
        return "/resource?iri=" + quote(iri, safe="")

    def heading(self, iri: str) -> tuple[set[Iri], str]:
        """An IRI's rdf:types and its label (a skos:prefLabel or foaf:name first, then a track's "Artist - Title",
        then an rdfs:label; the IRI where it has none), in one query.
        No types may mean no triple mentions it: `mentioned` tells those apart."""
        rows = self.rows(f"SELECT ?type ?pref ?title ?credit ?label WHERE {{ {{ <{iri}> a ?type }} UNION "
                         f"{{ <{iri}> skos:prefLabel|foaf:name ?pref }} UNION {{ <{iri}> dc:title ?title "
                         f"OPTIONAL {{ <{iri}> wt:artistCredit ?credit }} }} UNION {{ <{iri}> rdfs:label ?label }} }}")
        labels = ([r["pref"] for r in rows if r["pref"] is not None]
                  + [display_name(r["title"], r["credit"]) for r in rows if r["title"] is not None]
                  + [r["label"] for r in rows if r["label"] is not None])
        return {r["type"] for r in rows if r["type"] is not None}, str(labels[0]) if labels else iri

    def mentioned(self, iri: str) -> bool:
        return bool(self.store.query(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}",
                                     use_default_graph_as_union=True))

    def triples(self, iri: str) -> list[ox.Triple]:
        """The IRI's description for machines: every triple with it as subject or object, in any graph."""
        return list(self.store.query(f"CONSTRUCT {{ <{iri}> ?p ?o . ?s ?q <{iri}> }} WHERE "
                                     f"{{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?q <{iri}> }} }}",
                                     use_default_graph_as_union=True))

    def resource(self, iri: str) -> dict:
        """Any IRI: its outgoing and incoming triples."""
        return {"outgoing": self.rows(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }} ORDER BY ?p ?o LIMIT 500"),
                "incoming": self.rows(f"SELECT ?s ?p WHERE {{ ?s ?p <{iri}> }} ORDER BY ?p ?s LIMIT 200")}

    # -- tracks -----------------------------------------------------------------------------
    def track(self, iri: str) -> dict:
        """A track: its file, its explained tags (predicted first), tag IRIs by notation, and feature bars."""
        info = self.rows(f"""SELECT ?label ?path ?format ?duration ?rate WHERE {{
            OPTIONAL {{ <{iri}> rdfs:label ?label }}
            OPTIONAL {{ <{iri}> mo:available_as ?f . ?f wt:path ?path .
                       OPTIONAL {{ ?f wt:format ?format }} OPTIONAL {{ ?f wt:duration ?duration }}
                       OPTIONAL {{ ?f wt:sampleRate ?rate }} }} }} LIMIT 1""")
        explanations: list[Explanation] = explain(self.graph, URIRef(iri))
        tags = {str(r["notation"]): r["tag"] for r in self.rows(
            f"SELECT DISTINCT ?notation ?tag WHERE {{ ?a wt:track <{iri}> ; wt:tag ?tag . "
            f"?tag skos:notation ?notation }}")}
        return {"info": info[0] if info else {}, "explanations": explanations, "tag_iris": tags,
                "bars": self.bars(iri), **self.metadata(iri)}

    def metadata(self, iri: str) -> dict:
        """A track's catalog metadata (kg.metadata): title, artists (linked), album, number, date, genre, ISRC
        and its MusicBrainz recording."""
        meta = self.rows(f"""SELECT ?title ?credit ?album ?albumTitle ?number ?date ?genre ?isrc ?musicbrainz WHERE {{
            OPTIONAL {{ <{iri}> dc:title ?title }} OPTIONAL {{ <{iri}> wt:artistCredit ?credit }}
            OPTIONAL {{ ?album mo:track <{iri}> OPTIONAL {{ ?album dc:title ?albumTitle }} }}
            OPTIONAL {{ <{iri}> mo:track_number ?number }} OPTIONAL {{ <{iri}> dc:date ?date }}
            OPTIONAL {{ <{iri}> wt:genreText ?genre }} OPTIONAL {{ <{iri}> mo:isrc ?isrc }}
            OPTIONAL {{ <{iri}> mo:musicbrainz ?musicbrainz }} }} LIMIT 1""")
        artists = self.rows(f"SELECT ?artist ?name WHERE {{ <{iri}> foaf:maker ?artist "
                            f"OPTIONAL {{ ?artist foaf:name ?name }} }} ORDER BY ?name")
        return {"meta": meta[0] if meta else {}, "artists": artists}

    def bars(self, iri: str) -> list[Bar]:
        """The track's features with units, catalog ranges and levels (a level from music knowledge first)."""
        described, named = self.features(), self.levels()
        rows = self.rows(f"""SELECT ?f ?value ?l WHERE {{ {{ <{iri}> ?f ?value . ?f a wt:Feature }}
                UNION {{ <{iri}> wt:hasLevel ?l }} }}""")
        levels: dict[str, str] = {}
        for r in (r for r in rows if r["l"] is not None):
            for feature, level, source in named.get(r["l"], ()):
                if prefer_level(levels.get(feature), source):
                    levels[feature] = level
        ranges = self.kept.peek("ranges")
        if ranges is None:  # not read yet, or forgotten at an update: read in the background, do not wait
            self.warm()
            ranges = {}
        bars = []
        for r in (r for r in rows if r["f"] is not None):
            label, symbol = described.get(r["f"], (r["f"].rsplit("#", 1)[-1], ""))
            low, high = ranges.get(r["f"], (None, None))
            bars.append(Bar(label, float(r["value"]), symbol, low, high, levels.get(r["f"])))
        return sorted(bars, key=lambda b: b.label.lower())

    def features(self) -> dict[str, tuple[str, str]]:
        """Each feature's label and its default unit's symbol (kept: the same for every track page)."""
        return self.kept.get("features", lambda: {r["f"]: (str(r["label"] or r["f"].rsplit("#", 1)[-1]),
                                                          str(r["symbol"] or "")) for r in self.rows("""
            SELECT ?f ?label ?symbol WHERE { ?f a wt:Feature . OPTIONAL { ?f rdfs:label ?label }
              OPTIONAL { ?f wt:defaultUnit ?u } OPTIONAL { ?u qudt:symbol ?symbol } }""")})

    def levels(self) -> dict[str, list[tuple[str, str, str]]]:
        """Each perceptual level's (feature, label, threshold source) from the stored thresholds (kept)."""
        def read() -> dict[str, list[tuple[str, str, str]]]:
            named: dict[str, list[tuple[str, str, str]]] = {}
            for r in self.rows("""SELECT DISTINCT ?l ?f ?level ?source WHERE {
                    ?t wt:level ?l ; wt:feature ?f ; wt:thresholdSource ?source . ?l rdfs:label ?level }"""):
                named.setdefault(r["l"], []).append((r["f"], str(r["level"]), str(r["source"])))
            return named
        return self.kept.get("levels", read)

    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each feature's lowest and highest value in the catalog (read once, kept until the store changes)."""
        return self.kept.get("ranges", lambda: {r["f"]: (float(r["lo"]), float(r["hi"])) for r in self.rows(
            "SELECT ?f (MIN(?v) AS ?lo) (MAX(?v) AS ?hi) WHERE { ?f a wt:Feature . ?t ?f ?v } GROUP BY ?f")})

    # -- tags and rules ---------------------------------------------------------------------
    def tag(self, iri: str, number: int) -> dict:
        """A tag: its label, scheme, tracks carrying it best first (paged), and the rules deciding it."""
        info = self.rows(f"""SELECT ?notation ?scheme WHERE {{ OPTIONAL {{ <{iri}> skos:notation ?notation }}
                                OPTIONAL {{ <{iri}> skos:inScheme ?scheme }} }} LIMIT 1""")
        tracks = self.page(f"""SELECT ?track ?label ?score WHERE {{
            {{ SELECT ?a ?score WHERE {{ ?a wt:tag <{iri}> ; wt:score ?score ; wt:predicted true }}
              ORDER BY DESC(?score) ?a {{window}} }}
            ?a wt:track ?track . {name_pattern('track', 'label')} }} ORDER BY DESC(?score) ?a""", number)
        rules = self.rules(f"?rule a wt:Rule ; wt:forTag <{iri}> .")
        return {"info": info[0] if info else {}, "tracks": tracks,
                "rules": sorted(rules, key=lambda r: -abs(r.weight))}

    def rules(self, pattern: str) -> list[RuleView]:
        """Rules matching a pattern over ?rule, with their conditions in the graph's words (kept: a tag
        page reads its model's rules on every visit)."""
        return self.kept.get(("rules", pattern), lambda: self._read_rules(pattern))

    def _read_rules(self, pattern: str) -> list[RuleView]:
        views: dict[str, RuleView] = {}
        for r in self.rows(f"""SELECT ?rule ?weight ?support ?precision ?tag ?notation ?f ?feature ?op ?threshold
              WHERE {{
                {pattern} ?rule wt:weight ?weight ; wt:support ?support ; wt:forTag ?tag ; wt:hasCondition ?c .
                ?c wt:feature ?f ; wt:operator ?op ; wt:threshold ?threshold .
                OPTIONAL {{ ?rule wt:precision ?precision }} OPTIONAL {{ ?tag skos:notation ?notation }}
                OPTIONAL {{ ?f rdfs:label ?featureLabel }} BIND(COALESCE(?featureLabel, STR(?f)) AS ?feature) }}"""):
            view = views.setdefault(r["rule"], RuleView(r["rule"], r["weight"], r["support"], r["precision"],
                                                        r["tag"], r["notation"]))
            condition = condition_text(r["feature"], r["op"], r["threshold"], r["f"])  # binary/categorical wording
            if condition not in view.conditions:
                view.conditions.append(condition)
        for view in views.values():
            view.conditions.sort()
        return list(views.values())

    def rule(self, iri: str, number: int) -> dict:
        """A rule: its conditions, weight, precision and support, and the tracks it fired on (paged)."""
        found = self.rules(f"VALUES ?rule {{ <{iri}> }}")
        tracks = self.page(f"""SELECT ?track ?label WHERE {{ {{ SELECT DISTINCT ?track ?label WHERE {{
            ?j wt:rule <{iri}> . ?a wt:justifiedBy ?j ; wt:track ?track . {name_pattern('track', 'label')} }}
            ORDER BY ?label ?track {{window}} }} }} ORDER BY ?label ?track""", number)
        return {"rule": found[0] if found else None, "tracks": tracks}
