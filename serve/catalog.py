"""The catalog page: every track's title, artists, duration and top tags, sorted by any column, narrowed by
tag, perceptual level, artist and text, and paged.

Sorting every track by its name in SPARQL cost half a second a page at 10,000 tracks, and paging with OFFSET
more the deeper the page. So the catalog is read once (the kg/queries/catalog-*.rq and level-names.rq
queries) into arrays kept until the store changes; a page is then a few vectorised steps over them — a mask
per facet, an order per sort column computed once — and costs the same on page 1 and page 2,000.
"""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from urllib.parse import urlencode

import numpy as np
from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.kg.namespaces import DC, FOAF, MO, RDFS, WT
from whytag.kg.queries import query
from whytag.kg.store import GraphStore
from whytag.serve.cache import Kept
from whytag.serve.links import page_audio_url, page_number

PAGE = 50  # tracks a page
TOP = 3  # tags shown a track, of each model set
ARTISTS_SHOWN = 20  # artists in the facet, most tracks first (those chosen always)
COLUMNS = ("title", "artist", "duration")  # the sortable columns; "tag:NOTATION" sorts by a chosen tag's score
ORDERS = ("asc", "desc")
TEXTS_KEPT = 64  # searches whose matches are kept


class CatalogError(WhytagError):
    """A catalog request that cannot be answered as asked (an unknown column, tag or level, a page past the
    end): its HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status


def duration_text(seconds: float) -> str:
    """A duration as m:ss (h:mm:ss from an hour), to the nearest second."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class View:
    """What one request asks of the catalog: facets (all must hold), a search text, the sort, the page."""

    tags: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()  # level IRIs' local names, e.g. TempoFast
    artists: tuple[str, ...] = ()  # artist IRIs
    text: str = ""
    model_set: str = ""  # the model set whose top tags rows show ("": each set's)
    sort: str = "title"
    order: str = "asc"
    page: int = 0

    @classmethod
    def read(cls, params: Mapping[str, list[str]]) -> View:
        """The view a request's query parameters ask for (empty values ignored); CatalogError 400 for a sort,
        order or page that cannot mean anything."""
        def many(name: str) -> tuple[str, ...]:
            return tuple(dict.fromkeys(v.strip() for v in params.get(name, []) if v.strip()))

        def one(name: str, default: str) -> str:
            values = [v.strip() for v in params.get(name, []) if v.strip()]
            return values[-1] if values else default

        view = cls(many("tag"), many("level"), many("artist"), one("q", ""), one("set", ""),
                   one("sort", "title"), one("order", ""), 0)
        if view.sort not in COLUMNS and not view.sort.startswith("tag:"):
            raise CatalogError(400, f"sort={view.sort}: no such column (sort by {', '.join(COLUMNS)} or tag:NAME, "
                                    f"a chosen tag's score)")
        if view.sort.startswith("tag:") and view.sort[4:] not in view.tags:
            raise CatalogError(400, f"sort={view.sort}: sorting by a tag's score needs that tag chosen "
                                    f"(add tag={view.sort[4:]})")
        order = view.order or ("desc" if view.sort.startswith("tag:") else "asc")
        if order not in ORDERS:
            raise CatalogError(400, f"order={order}: give asc or desc")
        page = one("page", "1")
        number = page_number(page)
        if number is None:
            raise CatalogError(400, f"page={page}: pages are numbered 1, 2, 3 …")
        return replace(view, order=order, page=number - 1)

    def url(self, **changes: object) -> str:
        """The query string of this view with `changes` (a changed facet or sort starts again at page 1)."""
        view = {**self.__dict__, "page": 0, **changes}  # not dataclasses.replace: a page makes dozens of these
        params = [*(("tag", t) for t in view["tags"]), *(("level", lv) for lv in view["levels"]),
                  *(("artist", a) for a in view["artists"])]
        params += [(name, view[key]) for name, key, default in (
            ("q", "text", ""), ("set", "model_set", ""), ("sort", "sort", "title"),
            ("order", "order", "desc" if view["sort"].startswith("tag:") else "asc")) if view[key] != default]
        if view["page"]:
            params.append(("page", str(view["page"] + 1)))
        return "/?" + urlencode(params) if params else "/"

    def sorted_by(self, column: str) -> str:
        """The link of a column's heading: this column, the other way round if it is the sort now."""
        if self.sort == column:
            return self.url(order="desc" if self.order == "asc" else "asc")
        return self.url(sort=column, order="desc" if column.startswith("tag:") else "asc")

    def without(self, facet: str, value: str) -> str:
        """The link that removes one chosen facet value (a tag's removal also drops a sort by its score)."""
        left = tuple(v for v in getattr(self, facet) if v != value)
        if facet == "tags" and self.sort == f"tag:{value}":
            return self.url(tags=left, sort="title", order="asc")
        return self.url(**{facet: left})

    def adding(self, facet: str, value: str) -> str:
        """The link that adds a facet value to those chosen."""
        return self.url(**{facet: (*getattr(self, facet), value)})


@dataclass(frozen=True)
class Level:
    """A perceptual level as the facet shows it: its local name (the URL's value), label and feature."""

    name: str
    label: str
    feature: str
    known: bool  # stated by music knowledge (ontology/levels.ttl) rather than learned tertiles


@dataclass
class Index:
    """The whole catalog as arrays, one position a track (tracks in IRI order, so position is the tiebreak)."""

    tracks: list[str]
    titles: list[str]  # the title, else the file's name, else the row id, else "untitled"
    credits: list[str | None]  # the artist column's text (the credit, else the artists' names)
    artists: list[list[tuple[str, str]]]  # each track's artists as (IRI, name)
    paths: list[str | None]
    durations: np.ndarray  # seconds, NaN where unknown
    searched: list[str]  # what a search text matches, lower case: title, credit, row id, path
    scores: dict[str, np.ndarray]  # a tag's notation → each track's score (NaN: not tagged)
    tagged: dict[str, list[tuple[float, int]]]  # a tag's IRI → (score, track position) of each predicted assignment,
    # best first (ties in IRI order): sorted once here, not on each tag page
    assigned: list[list[tuple[str, str, float]]]  # each track's predicted tags as (model set, notation, score)
    sets: list[str]
    levels: dict[str, Level]  # by local name
    level_pairs: tuple[np.ndarray, np.ndarray]  # (track position, level number) for each wt:hasLevel
    level_names: list[str]
    artist_pairs: tuple[np.ndarray, np.ndarray]  # (track position, artist number) for each foaf:maker
    artist_iris: list[str]
    artist_names: list[str]
    orders: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # column → (present, missing)


class Catalog:
    """Answers catalog pages from the index, read once (in the background at start) and again after
    `changed` (the server's own updates: it holds the store's write lock, so nothing else changes it)."""

    def __init__(self, graph: GraphStore, href: Callable[[str], str], settled: Callable[[], None] = lambda: None):
        self.graph = graph
        self.href = href  # where an IRI's page is (serve.pages.Reader.href)
        self.settled = settled  # called after each read of the index: at the start, and again after an update
        self.kept = Kept(1)
        self.texts = Kept(TEXTS_KEPT)
        self._sorting = threading.Lock()  # orders are computed once, by the first request that needs one

    def warm(self, report: Callable[[str], None] = lambda _: None) -> None:
        """Read the index in a background thread, so the first visitor does not wait for it; `report` hears when
        the read starts and ends (seconds at 10,000 tracks: whoever started the server knows why the catalog's
        first page waits)."""
        def read() -> None:
            report("reading the catalog for its pages (every track's names, tags and levels) …")
            started = time.perf_counter()
            index = self.index()
            report(f"catalog read: {len(index.tracks):,} tracks in {time.perf_counter() - started:.1f} s")
        threading.Thread(target=read, name="whytag-catalog", daemon=True).start()

    def changed(self) -> None:
        """Forget the index: the store was updated."""
        self.kept.clear()
        self.texts.clear()

    def index(self) -> Index:
        return self.kept.get("index", self._read)

    def _read(self) -> Index:
        """The index read anew, then `settled` called (`whytag serve` freezes the GC's view of it: after an update
        the index read again was left to the GC's full collections, which walk it for 180-350 ms)."""
        index = read_index(self.graph)
        self.settled()
        return index

    def named(self, rows: list[dict]) -> list[dict]:
        """Rows holding a `track` IRI, each given the track's title and artists as the catalog's rows show them
        (the file's name when untitled): the tag and rule pages' columns."""
        index = self.index()
        named = []
        for row in rows:
            i = _position(index, str(row["track"]))
            named.append({**row, "href": self.href(str(row["track"])),
                          "title": str(row["track"]) if i is None else index.titles[i],
                          "credit": None if i is None else index.credits[i],
                          "artists": [] if i is None else [(self.href(a), name) for a, name in index.artists[i]]})
        return named

    def by_title(self, tracks: list[str]) -> list[str]:
        """Track IRIs by the title `named` gives them (ties in IRI order): a rule page's list, sorted whole and named
        a page at a time (naming all 1,800 tracks a rule fired on took 11 ms at 10,000 tracks)."""
        index = self.index()

        def title(track: str) -> str:
            i = _position(index, track)
            return (track if i is None else index.titles[i]).lower()
        return sorted(tracks, key=lambda track: (title(track), track))

    def tagged(self, tag: str) -> list[dict]:
        """The tracks the tag (IRI) is predicted for, best first (ties in IRI order), a row (track, score) an
        assignment: the tag page's list, from the index (a query reading them sorted from the store took 0.5 s at
        10,000 tracks)."""
        index = self.index()
        return [{"track": index.tracks[i], "score": score} for score, i in index.tagged.get(tag, [])]

    def page(self, view: View) -> dict:
        """A page's rows and facets for a template; CatalogError for a facet value the catalog lacks (400)
        or a page past the end (404)."""
        index = self.index()
        mask = self._mask(index, view)
        present, missing = self._order(index, view.sort)
        if view.order == "desc":
            present = present[::-1]
        order = np.concatenate([present, missing])
        if mask is not None:
            order = order[mask[order]]
        total = len(order)
        pages = max(1, math.ceil(total / PAGE))
        if view.page >= pages:
            raise CatalogError(404, f"page={view.page + 1}: past the end (the catalog as chosen has {pages} "
                                    f"page{'s' if pages > 1 else ''})")
        shown = order[view.page * PAGE:(view.page + 1) * PAGE]
        return {"view": view, "rows": [self._row(index, int(i), view) for i in shown], "total": total,
                "first": view.page * PAGE + 1, "pages": pages, "sets": index.sets,
                "facets": _facets(index, view, mask), "columns": COLUMNS}

    def _mask(self, index: Index, view: View) -> np.ndarray | None:
        """Which tracks every chosen facet and the search text allow (None: every track)."""
        mask = None

        def both(allowed: np.ndarray) -> None:
            nonlocal mask
            mask = allowed if mask is None else mask & allowed

        for tag in view.tags:
            if tag not in index.scores:
                raise CatalogError(400, f"tag={tag}: no track is tagged {tag!r}" + _known(sorted(index.scores)))
            both(~np.isnan(index.scores[tag]))
        for name in view.levels:
            if name not in index.levels:
                raise CatalogError(400, f"level={name}: no track has a perceptual level {name!r}"
                                        + _known(sorted(index.levels)))
            both(_holding(len(index.tracks), index.level_pairs, index.level_names.index(name)))
        for artist in view.artists:
            if artist not in index.artist_iris:
                raise CatalogError(400, f"artist={artist}: no track in the catalog is by this artist")
            both(_holding(len(index.tracks), index.artist_pairs, index.artist_iris.index(artist)))
        if view.model_set and view.model_set not in index.sets:
            raise CatalogError(400, f"set={view.model_set}: no tags from a model set of that name"
                                    + _known(index.sets))
        if view.text:
            both(self.texts.get(view.text.lower(), lambda: np.array(
                [view.text.lower() in s for s in index.searched], dtype=bool)))
        return mask

    def _order(self, index: Index, column: str) -> tuple[np.ndarray, np.ndarray]:
        """The positions holding a value of the column in ascending order (ties in IRI order), and those
        without one (in IRI order: last, whichever the direction)."""
        if column not in index.orders:
            with self._sorting:
                if column not in index.orders:
                    index.orders[column] = _ordered(index, column)
        return index.orders[column]

    def _row(self, index: Index, i: int, view: View) -> dict:
        """One table row: the track's title, artists, duration, player and top tags (and the chosen tags'
        scores), links and numbers made text here (in the template they took most of a page's time)."""
        top: dict[str, list[tuple[str, str]]] = {}
        for model_set, notation, score in index.assigned[i]:  # best first already
            if (not view.model_set or model_set == view.model_set) and len(top.setdefault(model_set, [])) < TOP:
                top[model_set].append((notation, f"{score:.2f}"))
        duration, href = index.durations[i], self.href(index.tracks[i])
        return {"href": href, "title": index.titles[i], "credit": index.credits[i],
                "artists": [(self.href(a), name) for a, name in index.artists[i]],
                "audio": page_audio_url(href) if index.paths[i] else None,
                "duration": "" if np.isnan(duration) else duration_text(float(duration)),
                "top": top, "scores": [f"{index.scores[t][i]:.2f}" for t in view.tags]}


def _known(names: list[str], shown: int = 12) -> str:
    """ " (known: a, b, …)" for an error line."""
    if not names:
        return " (none in this catalog)"
    return f" (known: {', '.join(names[:shown])}{', …' if len(names) > shown else ''})"


def _holding(n: int, pairs: tuple[np.ndarray, np.ndarray], number: int) -> np.ndarray:
    """The tracks paired with `number` (a level or an artist), as a mask."""
    allowed = np.zeros(n, dtype=bool)
    allowed[pairs[0][pairs[1] == number]] = True
    return allowed


def _counts(n: int, pairs: tuple[np.ndarray, np.ndarray], mask: np.ndarray | None, size: int) -> np.ndarray:
    """How many of the allowed tracks each level or artist holds."""
    tracks, numbers = pairs
    return np.bincount(numbers if mask is None else numbers[mask[tracks]], minlength=size)


def _facets(index: Index, view: View, mask: np.ndarray | None) -> dict:
    """What each facet offers among the tracks now shown (values with a track among them, counted) and
    which are chosen: tags, levels by feature (music knowledge's first), artists (most tracks first)."""
    n = len(index.tracks)
    tags = [(t, int(np.count_nonzero(~np.isnan(s) if mask is None else ~np.isnan(s) & mask)))
            for t, s in index.scores.items()]
    tags.sort(key=lambda tc: (-tc[1], tc[0]))
    level_counts = _counts(n, index.level_pairs, mask, len(index.level_names))
    by_feature: dict[str, list[tuple[Level, int]]] = {}
    for number, name in enumerate(index.level_names):
        level = index.levels[name]
        if level_counts[number] and name not in view.levels:
            by_feature.setdefault(level.feature, []).append((level, int(level_counts[number])))
    for levels in by_feature.values():
        levels.sort(key=lambda lc: (not lc[0].known, lc[0].label))
    artist_counts = _counts(n, index.artist_pairs, mask, len(index.artist_iris))
    most = np.argsort(-artist_counts, kind="stable")[:ARTISTS_SHOWN]
    artists = [(index.artist_iris[a], index.artist_names[a], int(artist_counts[a]))
               for a in most if artist_counts[a] and index.artist_iris[a] not in view.artists]
    names = dict(zip(index.artist_iris, index.artist_names))
    return {"tags": [(t, c) for t, c in tags if c and t not in view.tags],
            "levels": sorted(by_feature.items()),
            "artists": artists,
            "chosen": [("tags", t, t) for t in view.tags]
                      + [("levels", lv, f"{index.levels[lv].feature}: {index.levels[lv].label}") for lv in view.levels]
                      + [("artists", a, names[a]) for a in view.artists]
                      + ([("text", view.text, f"“{view.text}”")] if view.text else [])}


def _ordered(index: Index, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column's order (see Catalog._order)."""
    n = len(index.tracks)
    if column == "duration" or column.startswith("tag:"):
        values = index.durations if column == "duration" else index.scores[column[4:]]
        held = np.flatnonzero(~np.isnan(values))
        present = held[np.argsort(values[held], kind="stable")]  # positions are in IRI order: ties keep it
    else:
        keys = index.titles if column == "title" else index.credits
        present = np.array(sorted((i for i in range(n) if keys[i]), key=lambda i: keys[i].casefold()),
                           dtype=np.int64)  # sorted() is stable: ties stay in IRI order
    held = np.zeros(n, dtype=bool)
    held[present] = True
    return present, np.flatnonzero(~held)


def read_index(graph: GraphStore) -> Index:
    """Read the catalog's tracks, artists, tags and levels into an Index: each column one property read alone
    (property-values.rq, property-texts.rq) and joined here by subject (10,000 tracks: 3.4-4.1 s in six queries
    joining the columns, ~1.3 s apart), the levels a row each (catalog-levels.rq)."""
    tracks = sorted({track for (track,) in graph.values(query("catalog-tracks"))})
    position = {t: i for i, t in enumerate(tracks)}
    artists, artist_iris, artist_names, artist_pairs = _artists(graph, tracks, position)
    title, credit, label = (_column(graph, p, text=True) for p in (DC.title, WT.artistCredit, RDFS.label))
    paths, durations_of = _column(graph, WT.path, text=True), _column(graph, WT.duration)
    files: dict[str, str] = {}  # each track's first file with a path (what ingest records)
    for track, file in graph.values(query("property-values", property=MO.available_as)):
        if file in paths:
            files.setdefault(track, file)
    titles, credits, track_paths, durations, searched = [], [], [], [], []
    for i, track in enumerate(tracks):
        name, by, row = title.get(track), credit.get(track), label.get(track)
        path = paths[files[track]] if track in files else None
        titles.append(name or (PurePath(path).name if path else None) or row or f"untitled ({_short(track)})")
        credits.append(by or ", ".join(n for _, n in artists[i]) or None)
        track_paths.append(path)
        duration = durations_of.get(files[track]) if track in files else None
        durations.append(np.nan if duration is None else float(duration))
        searched.append(" ".join(s for s in (name, by and f"{by} - {name}", row, path) if s).lower())
    scores, tagged, assigned = _tags(graph, tracks, position)
    levels: dict[str, Level] = {}
    for level, level_label, _, feature_label, source in sorted(graph.values(query("level-names"))):
        name = level.rsplit("#", 1)[-1]
        known = source.startswith("music knowledge") or (name in levels and levels[name].known)
        levels[name] = Level(name, level_label, feature_label or "", known)
    level_names = sorted(levels)
    level_number = {name: j for j, name in enumerate(level_names)}
    level_pairs = [(position[t], level_number[level.rsplit("#", 1)[-1]])
                   for level, held in graph.values(query("catalog-levels")) if level.rsplit("#", 1)[-1] in level_number
                   for t in held.split() if t in position]
    return Index(tracks, titles, credits, artists, track_paths, np.array(durations, dtype=float), searched, scores,
                 tagged, assigned, sorted({a[0] for tags in assigned for a in tags}), levels, _pairs(level_pairs),
                 level_names, _pairs(artist_pairs), artist_iris, artist_names)


def _position(index: Index, track: str) -> int | None:
    """The track's position in the index (its tracks are in IRI order), None for a track it lacks."""
    i = bisect_left(index.tracks, track)
    return i if i < len(index.tracks) and index.tracks[i] == track else None


def _column(graph: GraphStore, prop: URIRef, text: bool = False) -> dict[str, object]:
    """Each subject's first object of the property (as text with `text`: property-texts.rq), read alone."""
    column: dict[str, object] = {}
    for subject, value in graph.values(query("property-texts" if text else "property-values", property=prop)):
        column.setdefault(subject, value)
    return column


def _artists(graph: GraphStore, tracks: list[str], position: dict[str, int]
             ) -> tuple[list[list[tuple[str, str]]], list[str], list[str], list[tuple[int, int]]]:
    """Each track's artists as (IRI, name) (foaf:maker, by name), the artists' IRIs and names by number, and the
    (track position, artist number) pairs of the facet."""
    names = _column(graph, FOAF.name, text=True)
    makers = sorted(((track, names.get(artist), artist) for track, artist in graph.values(
        query("property-values", property=FOAF.maker)) if track in position), key=lambda m: (m[0], m[1] or "", m[2]))
    artists: list[list[tuple[str, str]]] = [[] for _ in tracks]
    number: dict[str, int] = {}
    artist_names: list[str] = []
    pairs: list[tuple[int, int]] = []
    for track, named, artist in makers:
        name = str(named or artist)
        if (artist, name) not in artists[position[track]]:
            if number.setdefault(artist, len(artist_names)) == len(artist_names):
                artist_names.append(name)
            artists[position[track]].append((artist, name))
            pairs.append((position[track], number[artist]))
    return artists, list(number), artist_names, pairs


def _tags(graph: GraphStore, tracks: list[str], position: dict[str, int]
          ) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[float, int]]], list[list[tuple[str, str, float]]]]:
    """Each predicted assignment's track, tag, score and model set, a property each joined by assignment: the
    catalog's scores by notation, each tag's (score, position) pairs by IRI best first, each track's tags best first."""
    names = dict(graph.values(query("tag-names")))
    track_of, tag_of, score_of, set_of = (_column(graph, p) for p in (WT.track, WT.tag, WT.score, WT.fromModelSet))
    scores: dict[str, np.ndarray] = {}
    tagged: dict[str, list[tuple[float, int]]] = {}
    assigned: list[list[tuple[str, str, float]]] = [[] for _ in tracks]
    for a, predicted in graph.values(query("property-values", property=WT.predicted)):
        track, tag, score = track_of.get(a), tag_of.get(a), score_of.get(a)
        if predicted is not True or track not in position or tag is None or score is None:
            continue
        i, notation = position[track], names.get(tag, tag.rsplit("/", 1)[-1])
        tagged.setdefault(tag, []).append((score, i))
        if notation not in scores:
            scores[notation] = np.full(len(tracks), np.nan)
        column = scores[notation]
        column[i] = score if np.isnan(column[i]) else max(column[i], score)
        model_set = set_of.get(a)
        assigned[i].append((names.get(model_set, model_set or ""), notation, score))
    for tags in assigned:
        tags.sort(key=lambda t: (t[0], -t[2], t[1]))
    for pairs in tagged.values():
        pairs.sort(key=lambda pair: (-pair[0], pair[1]))
    return scores, tagged, assigned


def _pairs(pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(track positions, numbers) as two integer arrays."""
    both = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return both[:, 0].copy(), both[:, 1].copy()


def _short(track: str) -> str:
    """The end of a track's IRI, its hash cut to 12 characters: what an untitled track is called."""
    tail = track.rstrip("/").rsplit("/", 1)[-1]
    return tail[:len("sha256-") + 12] if tail.startswith("sha256-") else tail
