"""Catalog scale: whytag's pipeline on synthetic catalogs of growing size, beside two baselines.

Usage: python bench/scale.py [--sizes 10000 100000] [--learner sparse] [--baseline-limit 600] [--out DIR] [--keep]
                             [--before DIR] [--no-baselines] [--store [LABEL=]URL] [--tagging]

Catalogs are `whytag.datasets.synthetic_catalog`: the paper's GTZAN table resampled (rows drawn with replacement
by a seeded generator, every value plus 5% noise: 0.05 × the column's std × a standard normal; ids
s000001…; the labels are the source rows' genres). Each size runs in its own child process, in a fresh
embedded store, and times each step: import, learn (a 2,000-track labelled sample), tag (every track),
export (N-Quads to a file), validate (SHACL on 200 sampled tracks plus 100 assignments re-derived by
SPARQL). It reports per step seconds, tracks/s and the peak RSS after the step, the quads per track
(track graphs / tags graph / the rest, the schema left out; and by graph and predicate), bytes on disk per track
(the store closed, so flushed as a user's store is), and the median of 5 runs of the typical queries through
`GraphStore.values` (QUERY_NAMES: the five, the fast-and-minor one as written until 2026-12-07, and first pages).
The tag step is split into tagging's own time (reading values, scoring) and the store's time writing the
batches (on the writer thread); the export is timed beside the store's own N-Quads dump of the same store.

With `--before DIR` (a checkout of another whytag, e.g. `git worktree add --detach /tmp/main main`) the same
steps also run at each size with that code on PYTHONPATH, measured by this script, before this checkout's run.

Baselines, each step in a child process with --baseline-limit seconds (a baseline that runs over at one
size is skipped at the larger ones), from 1,000 tracks (or the smallest size, if smaller) up through the
sizes, after whytag has run at every size: (a) the same pipeline on
rdflib's in-memory Dataset behind whytag's generic SPARQL path (import, tag, the five queries; the
model set and level thresholds are copied from whytag's run at that size, the levels asserted by
SPARQL Update); (b) owlready2 + HermiT classifying the tracks into the rules' OWL body classes (the
ontology, the model graph and the tracks' values), with each class's member count checked
against the tracks on which whytag's rules fire.

Engines: with `--store [LABEL=]URL` (repeatable) the same whytag steps also run against each SPARQL endpoint
(e.g. `oxigraph serve`, Virtuoso; `python tests/sparql_servers.py virtuoso DIR` starts one on loopback), in
the same run, after the embedded store at each size; whytag's graphs (IRIs under urn:whytag:) are dropped from
the server before each size. Bytes on disk are not measured there (the server's files are its own).
`--no-baselines` skips (a) and (b).

Output: a printed table, DIR/scale.json with every number, and bench/scale.png (seconds vs tracks, log-log).

`--tagging` runs only what tagging's goals need (#27: tagging's own time ≤ the store's write time, why-tagged
< 30 ms): import, learn, tag with its split, export beside the store's dump, and why-tagged (Q2, 31 runs, the
fastest and the median), no validate, other queries or baselines; it prints those rows alone. For a quiet
machine, main beside this branch at 100,000 tracks (~40 min a column at the load 8–14 of 2026-12-07 08:43):
`python bench/scale.py --tagging --sizes 100000 --before /tmp/main --out /tmp/scale-tagging`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyoxigraph
from rdflib import Dataset, Graph
from rdflib.namespace import RDF

from whytag.datasets import DatasetError, synthetic_catalog
from whytag.datasets.paper_tables import GTZAN_TABLE, table_path

HERE = Path(__file__).resolve()
TABLE, MODEL, VOCABULARY = "catalog", "catalog", "gtzan"
TAG, FEATURE, LEVELS = "blues", "BPM", ("TempoFast", "ModeHigh")  # ModeHigh: the top tertile of GTZAN's minorness
"""Query 4 asks for the tracks both fast (a stored level) and minor (ModeHigh, derived from its threshold)."""
SAMPLE, REPEATS, JAVA_MB = 2000, 5, 8000
WHY_REPEATS = 31  # --tagging: why-tagged's runs (its fastest shows the query, its median the machine's load)
WHYTAG, RDFLIB, HERMIT = "whytag", "rdflib", "hermit"
STEPS = {WHYTAG: ["import", "learn", "tag", "export", "validate", "queries"],
         RDFLIB: ["import", "tag", "queries", "levels", "query4"], HERMIT: ["load", "reason", "count"]}
WHY_TAGGED = """SELECT DISTINCT ?reason ?score ?contribution ?feature ?value ?level WHERE {
  GRAPH ?tags { ?a wt:track <TRACK> ; wt:tag ?tag ; wt:score ?score ; wt:justifiedBy ?reason .
                ?reason wt:contribution ?contribution . }
  GRAPH ?vocabulary { ?tag skos:notation "TAG" . }
  OPTIONAL {
    GRAPH ?tags { ?reason wt:effect ?effect . } GRAPH ?model { ?effect wt:onFeature ?f . }
    OPTIONAL { GRAPH ?schema { ?f rdfs:label ?feature . } }
    OPTIONAL { GRAPH ?track { <TRACK> ?f ?value . } }
  }
  LEVELS
} ORDER BY DESC(ABS(?contribution))"""
"""kg/queries/why-tagged.rq with each pattern in a GRAPH clause, so that it finds the same rows whether or not
a store's default graph is the union of its graphs (through `values` the embedded one was not, at first). LEVELS
is the lookup of the value's levels: WHY_LEVELS as why-tagged.rq has it since 2026-12-07, or OLD_WHY_LEVELS."""
THRESHOLDS = "{ ?threshold wt:feature ?f ; wt:level ?l . ?l rdfs:label ?level }"
WHY_LEVELS = f"""OPTIONAL {{ {{ GRAPH <urn:whytag:graph/schema> {THRESHOLDS} }}
             UNION {{ GRAPH <urn:whytag:graph/concepts> {THRESHOLDS} }}
             OPTIONAL {{ ?threshold wt:lowerBound ?lo }} OPTIONAL {{ ?threshold wt:upperBound ?hi }}
             FILTER((!BOUND(?lo) || ?value >= ?lo) && (!BOUND(?hi) || ?value < ?hi)) }}"""
OLD_WHY_LEVELS = """OPTIONAL { GRAPH ?levels { ?threshold a wt:LevelThreshold ; wt:feature ?lf ; wt:level ?l .
                             OPTIONAL { ?threshold wt:lowerBound ?lo } OPTIONAL { ?threshold wt:upperBound ?hi } }
             GRAPH ?labels { ?l rdfs:label ?level . }
             FILTER(?lf = ?f && (!BOUND(?lo) || ?value >= ?lo) && (!BOUND(?hi) || ?value < ?hi)) }"""
QUERY_NAMES = ["tracks tagged T", "why X tagged T", "tag counts", "fast and minor", "rules using F",
               "fast and minor, one group (as until 2026-12-07)", "tracks tagged T, a page of 100",
               "fast and minor, a page of 100 (its bound read first)",
               "why X tagged T, levels through every threshold (as until 2026-12-07)",
               "tracks tagged T, counted", "fast and minor, counted"]
"""The counted ones take the store's time to find the rows without handing them over (each track's IRI read back
from its id, and made a Python value): the row path's share of the listing queries."""
PAGE = 100
BEFORE = "before"
TAG_COUNTS = (HERE.parents[1] / "kg" / "queries" / "tag-counts.rq").read_text()
"""The documented "how many tracks carry each tag": the counts the tagging run stored as it wrote. Until
2026-12-02 the bench counted every predicted assignment instead, which grows with the catalog."""


# -- the synthetic catalog ------------------------------------------------------------------

def labelled_sample(y: pd.Series, seed: int) -> pd.Series:
    """The labels of SAMPLE tracks drawn without replacement (all when the catalog is smaller)."""
    return y.sample(min(SAMPLE, len(y)), random_state=seed)


# -- measuring (child processes) ------------------------------------------------------------

def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory so far in MB (Linux reports KB)."""
    return resource.getrusage(who).ru_maxrss / 1024


class Journal:
    """A child's record: one JSON line when a step starts and one when it ends, so the parent can time it out."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")

    def write(self, record: dict) -> None:
        """Append one record."""
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")

    @contextmanager
    def step(self, name: str, **extra) -> Iterator[dict]:
        """Time a step; the caller may add numbers to the yielded dict."""
        self.write({"start": name, "at": time.time()})
        out: dict = dict(extra)
        begin = time.perf_counter()
        yield out
        out.update(step=name, seconds=time.perf_counter() - begin, rss_mb=peak_rss_mb())
        self.write(out)


@contextmanager
def timed(owner: object, name: str, totals: dict, key: str) -> Iterator[None]:
    """While inside, add the seconds each call of `owner.name` takes to totals[key] (any thread's calls)."""
    original = getattr(owner, name)
    totals.setdefault(key, 0.0)

    def clocked(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - begin

    setattr(owner, name, clocked)
    try:
        yield
    finally:
        setattr(owner, name, original)


def tag_timed(store, out: dict) -> int:
    """Tag every track with the model set; record tagging's own time (reading a batch's values, scoring it) and
    the store's (writing each batch on the writer thread). Returns the predicted tags."""
    from whytag.reasoning import reasoner

    with (timed(reasoner, "read_values", out, "read_s"), timed(reasoner.Scorer, "tag", out, "score_s"),
          timed(reasoner, "replace_tags", out, "write_s")):
        return sum(a.predicted for batch in reasoner.tag_batches(store, MODEL) for a in batch)


def count_rows(rows: Iterator[tuple]) -> int:
    """Consume a query's rows; return how many there were."""
    return sum(1 for _ in rows)


def typical_queries(store, track: str) -> list[str]:
    """The five typical queries (see QUERY_NAMES), the second kg/queries/why-tagged.rq for `track`, the third
    kg/queries/tag-counts.rq."""
    from whytag.kg.iris import tag_iri, wt_individual
    from whytag.kg.mapping import feature_node

    why = WHY_TAGGED.replace("TRACK", track).replace("TAG", TAG)
    old_why = why.replace("LEVELS", OLD_WHY_LEVELS)
    why = why.replace("LEVELS", WHY_LEVELS)
    fast, minor = (wt_individual(level) for level in LEVELS)
    tagged = f"SELECT ?track WHERE {{ GRAPH ?tg {{ ?track wt:taggedAs <{tag_iri(VOCABULARY, TAG)}> }} }}"
    # fast: a music-knowledge level, stored; minor: a tertile, derived from the value (since 2026-12-07). The
    # minor tracks are a subquery: Oxigraph joins its answer with the fast tracks by hash, where the one group
    # below looks each fast track's value up in turn (2x as long at 10,000 tracks, bench/RESULTS.md)
    fast_and_minor = (f"SELECT ?track WHERE {{ GRAPH ?g {{ ?track wt:hasLevel <{fast}> }} {{ SELECT ?track WHERE {{ "
                      f"GRAPH ?c {{ <{minor}Threshold> wt:feature ?f ; wt:lowerBound ?lo }} "
                      f"GRAPH ?v {{ ?track ?f ?m }} FILTER(?m >= ?lo) }} }} }}")
    one_group = (f"SELECT ?track WHERE {{ GRAPH ?c {{ <{minor}Threshold> wt:feature ?f ; wt:lowerBound ?lo }} "
                 f"GRAPH ?g {{ ?track wt:hasLevel <{fast}> ; ?f ?m }} FILTER(?m >= ?lo) }}")
    # a page (a catalog facet, say) reads the level's bound once and looks the values of fast tracks up as it goes,
    # stopping after the page: with the bound in the same query Oxigraph read more first (20 ms at 10,000 tracks
    # against 3 ms), and the hash join reads every minor track first
    feature, bound = next(store.values(f"SELECT ?f ?lo WHERE {{ <{minor}Threshold> wt:feature ?f ; "
                                       f"wt:lowerBound ?lo }}"))
    page = (f"SELECT ?track WHERE {{ GRAPH ?g {{ ?track wt:hasLevel <{fast}> ; <{feature}> ?m }} "
            f"FILTER(?m >= {bound!r}) }} LIMIT {PAGE}")
    return [
        tagged,
        why,
        TAG_COUNTS,
        fast_and_minor,
        # ?f in a FILTER: as the object of wt:feature (in the model's conditions), Oxigraph matched
        # the feature's uses first and the query grew with the catalog
        f"SELECT DISTINCT ?rule WHERE {{ GRAPH ?mg {{ ?rule wt:hasCondition ?c . ?c wt:feature ?f }} "
        f"FILTER(?f = <{feature_node(FEATURE)}>) }}",
        one_group,
        f"{tagged} LIMIT {PAGE}",
        page,
        old_why,
        tagged.replace("SELECT ?track", "SELECT (COUNT(*) AS ?n)", 1),
        fast_and_minor.replace("SELECT ?track", "SELECT (COUNT(*) AS ?n)", 1),
    ]


def first_tagged(store) -> str:
    """The first track (by IRI) predicted as TAG: the X of the "why" query."""
    return min(track for (track,) in store.values(typical_queries(store, "")[0]))


def time_queries(store, journal: Journal, which: list[int], step: str = "queries", repeats: int = REPEATS) -> None:
    """Run the chosen typical queries `repeats` times each, consuming every row; record the median ms (and the
    fastest) and the rows."""
    queries = typical_queries(store, first_tagged(store))
    with journal.step(step) as out:
        for i in which:
            times, rows = [], 0
            for _ in range(repeats):
                begin = time.perf_counter()
                rows = count_rows(store.values(queries[i]))
                times.append(1000 * (time.perf_counter() - begin))
            out[f"q{i + 1}_ms"], out[f"q{i + 1}_rows"] = statistics.median(times), rows
            out[f"q{i + 1}_min_ms"] = min(times)


def quads_per_track(store, n: int) -> dict:
    """Quads per track in the track graphs, the tags graph(s) and the rest (the schema graph left out), and per
    part and predicate ("track_graphs wt:bpm": 1.0)."""
    from whytag.kg.iris import SCHEMA_GRAPH, table_track
    from whytag.kg.namespaces import PREFIXES

    tracks = str(table_track(TABLE, "x")).rsplit("/", 1)[0] + "/"
    parts = {"track_graphs": 0, "tags_graph": 0, "rest": 0}
    by_predicate: dict[str, float] = {}
    # grouped by part inside the store: by graph and predicate it was 7M rows to hand over at 100,000 tracks
    for part, predicate, count in store.values(
            f'SELECT ?part ?p (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{SCHEMA_GRAPH}>) '
            f'BIND(IF(STRSTARTS(STR(?g), "{tracks}"), "track_graphs", IF(STRSTARTS(STR(?g), '
            f'"urn:whytag:graph/tags/"), "tags_graph", "rest")) AS ?part) }} GROUP BY ?part ?p'):
        parts[part] += int(count)
        short = next((f"{p}:{predicate[len(str(ns)):]}" for p, ns in PREFIXES.items()
                      if predicate.startswith(str(ns))), predicate)
        by_predicate[f"{part} {short}"] = by_predicate.get(f"{part} {short}", 0) + int(count) / n
    return {"triples_per_track": sum(parts.values()) / n, **{k: v / n for k, v in parts.items()},
            "by_predicate": dict(sorted(by_predicate.items(), key=lambda kv: -kv[1]))}


def directory_bytes(path: Path, n: int) -> dict[str, float]:
    """Bytes per track of the store's files: all of them, RocksDB's tables (*.sst) and its write-ahead log (*.log)."""
    files = [f for f in path.rglob("*") if f.is_file()]
    size = lambda suffix: sum(f.stat().st_size for f in files if f.name.endswith(suffix)) / n  # noqa: E731
    return {"bytes_per_track": size(""), "sst_bytes_per_track": size(".sst"), "wal_bytes_per_track": size(".log")}


def fired_counts(store, X: pd.DataFrame) -> dict[str, int]:
    """Per rule (its IRI): the catalog tracks it fires on, computed by the model read back from the graph."""
    from whytag.reasoning.rules import read_models

    _, models = read_models(store, MODEL)
    return {rule.id: int(rule.fires(X).sum()) for model in models for rule in model.rules}


def dump_graphs(store, path: Path) -> None:
    """Write the model and concepts graphs as N-Quads, for the baselines to start from the same model set."""
    from whytag.reasoning.concepts import CONCEPTS_GRAPH
    from whytag.reasoning.rules import ModelInfo

    out = Dataset()
    for graph in (ModelInfo(MODEL, "").graph, CONCEPTS_GRAPH):
        for s, p, o in store.graph_triples(graph):
            out.add((s, p, o, graph))
    out.serialize(path, format="nquads")


def validate_and_query(store, X: pd.DataFrame, n: int, args: argparse.Namespace, journal: Journal) -> None:
    """The steps after the export that `--tagging` leaves out: validate, the typical queries, the quads counted."""
    from whytag.kg.validate import validate_store
    from whytag.reasoning.rederive import rederive

    with journal.step("validate") as out:
        out["violations"] = len(validate_store(store, sample=200))
        rederived = rederive(store, 100)
        out.update(rederived=len(rederived), agree=sum(r.agrees for r in rederived))
    time_queries(store, journal, list(range(len(QUERY_NAMES))))
    journal.write({**quads_per_track(store, n), "fired": fired_counts(store, X)})
    if not args.endpoint:
        dump_graphs(store, args.out / f"model-{n}.nq")


def run_whytag(n: int, args: argparse.Namespace, journal: Journal) -> None:
    """The whole pipeline on n synthetic tracks: a fresh embedded store, or the endpoint `args.endpoint` emptied of
    whytag's graphs."""
    from whytag.kg.export import export_to
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features, table_track
    from whytag.reasoning.training import learn

    X, y = synthetic_catalog(n, args.seed)
    folder = args.out / f"store-{args.label or WHYTAG}-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    if args.endpoint:
        empty_endpoint(args.endpoint)
    journal.write({"setup_rss_mb": peak_rss_mb()})
    with open_store(args.endpoint or folder) as store:
        with journal.step("import"):
            import_features(store, X, TABLE)
        Y = labelled_sample(y, args.seed)
        with journal.step("learn", tracks=len(Y)) as out:
            summary = learn(store, Y, {i: table_track(TABLE, i) for i in Y.index}, args.learner, MODEL, VOCABULARY,
                            "synthetic catalog sample", seed=args.seed)
            out.update(rules=summary.rules, training_score=summary.training_score)
        with journal.step("tag") as out:
            out["predicted"] = tag_timed(store, out)
        export = args.out / f"export-{n}.nq"
        with journal.step("export"), export.open("wb") as f:
            export_to(store, f, "nquads")
        journal.write({"export_quads": count_rows(iter(export.open("rb"))), "export_bytes": export.stat().st_size})
        if store.oxigraph is not None:  # the store's own dump of everything (the schema too), the export's floor
            with journal.step("native_dump"), export.open("wb") as f:
                store.oxigraph.dump(f, pyoxigraph.RdfFormat.N_QUADS)
            journal.write({"native_dump_quads": count_rows(iter(export.open("rb")))})
        export.unlink()
        if args.tagging:  # why-tagged alone, run often enough that its fastest run shows the query
            time_queries(store, journal, [1], repeats=WHY_REPEATS)
        else:
            validate_and_query(store, X, n, args, journal)
    if not args.endpoint:  # closed: flushed and compacted as a user's store is after a command
        journal.write(directory_bytes(folder, n))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


def empty_endpoint(url: str) -> None:
    """Drop every graph named under urn:whytag: from the endpoint (a fresh store for the next size)."""
    from whytag.kg.store import open_store

    with open_store(url, read_only=False) as store:
        graphs = [g for (g,) in store.values("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
                  if g.startswith("urn:whytag:")]
        for i in range(0, len(graphs), 500):
            store.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs[i:i + 500]))


def rdflib_store():
    """whytag's GraphStore over rdflib's in-memory Dataset: every function takes the generic SPARQL path."""
    from whytag.kg.namespaces import PREFIXES
    from whytag.kg.store import GraphStore

    ds = Dataset(default_union=True)
    for prefix, namespace in PREFIXES.items():
        ds.bind(prefix, namespace)
    return GraphStore("rdflib-memory", ds.query, lambda text: ds.update(text)), ds


def load_model(ds: Dataset, n: int, out: Path) -> None:
    """Copy the model and concepts graphs that whytag learned at this size into an rdflib Dataset."""
    model = Dataset()
    model.parse(out / f"model-{n}.nq", format="nquads")
    for s, p, o, g in model.quads():
        ds.add((s, p, o, g))


def run_rdflib(n: int, args: argparse.Namespace, journal: Journal) -> None:
    """Baseline (a): import, tag (which stores the levels too, since 2026-12-07) and the queries on rdflib's
    in-memory store; the levels step re-derives them (changing nothing) as learn and tag do."""
    from whytag.kg.tables import import_features
    from whytag.reasoning.concepts import assert_levels
    from whytag.reasoning.reasoner import tag_batches

    X, _ = synthetic_catalog(n, args.seed)
    store, ds = rdflib_store()
    store.ensure_schema()
    with journal.step("import"):
        import_features(store, X, TABLE)
    load_model(ds, n, args.out)
    with journal.step("tag") as out:
        out["predicted"] = sum(a.predicted for batch in tag_batches(store, MODEL) for a in batch)
    time_queries(store, journal, [0, 1, 2, 4])
    with journal.step("levels") as out:
        out["levels"] = assert_levels(store)
    time_queries(store, journal, [3], "query4")


def value_graph(X: pd.DataFrame) -> Graph:
    """The tracks with their values (one triple each: track, feature, value), as import_features writes them."""
    from whytag.kg.mapping import feature_node
    from whytag.kg.namespaces import WT
    from whytag.kg.tables import table_track
    from whytag.reasoning.rules import double

    graph = Graph()
    features = [feature_node(column) for column in X.columns]
    for row_id, row in zip(X.index, X.to_numpy()):
        track = table_track(TABLE, row_id)
        graph.add((track, RDF.type, WT.Track))
        for feature, value in zip(features, row):
            graph.add((track, feature, double(value)))
    return graph


def run_hermit(n: int, args: argparse.Namespace, journal: Journal) -> None:
    """Baseline (b): HermiT (through owlready2) classifies the tracks into the rules' OWL body classes."""
    import owlready2

    from whytag.kg.namespaces import WT
    from whytag.ontology import schema_files

    owlready2.reasoning.JAVA_MEMORY = JAVA_MB
    X, _ = synthetic_catalog(n, args.seed)
    model = Dataset()
    model.parse(args.out / f"model-{n}.nq", format="nquads")
    graph = value_graph(X)
    for path in schema_files():
        graph.parse(path, format="turtle")
    for s, p, o, _ in model.quads():
        graph.add((s, p, o))
    bodies = {str(rule): str(body) for rule, body in graph.subject_objects(WT.bodyClass)}
    journal.write({"triples": len(graph), "setup_rss_mb": peak_rss_mb()})
    with journal.step("load"):
        path = args.out / f"hermit-{n}.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        del graph
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load()
    with journal.step("reason") as out:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        out["java_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    with journal.step("count") as out:
        out["members"] = {rule: len(set(world[body].instances())) for rule, body in bodies.items()}
    path.unlink()


def in_deep_thread(work: Callable[[], None]) -> None:
    """Run `work` in a thread with a 1 GB stack and a high recursion limit: rdflib parses a SPARQL Update
    recursively, and whytag's generic path sends a batch of 1,000 tracks' graphs as one Update."""
    failed: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as err:  # re-raised in the main thread, so the child exits non-zero
            failed.append(err)

    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


# -- the parent -----------------------------------------------------------------------------

def read_journal(path: Path) -> tuple[dict, str | None]:
    """A child's records merged by step, and the step it was in when it stopped (None if it finished it)."""
    steps: dict = {}
    running = None
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if "start" in record:
            running = record
        elif "step" in record:
            steps[record.pop("step")] = record
            running = None
        else:
            steps.setdefault("facts", {}).update(record)
    return steps, running


def run_child(kind: str, n: int, args: argparse.Namespace, limit: float | None) -> dict:
    """Run one size of one pipeline in a child process; kill it when a step runs past `limit` seconds."""
    journal = args.out / f"{kind}-{n}.jsonl"
    command = [sys.executable, str(HERE), "--one-size", str(n), "--kind", kind, "--out", str(args.out),
               "--learner", args.learner, "--seed", str(args.seed)] + (["--keep"] if args.keep else []) + (
                   ["--tagging"] if args.tagging else [])
    env = None
    if kind in args.engines:  # whytag's own steps, against the engine's endpoint, journalled under its label
        command += ["--kind", WHYTAG, "--label", kind, "--endpoint", args.engines[kind]]
    elif kind == BEFORE:  # whytag's own steps with the other checkout's code
        command += ["--kind", WHYTAG, "--label", BEFORE]
        env = {**os.environ, "PYTHONPATH": str(before_path(args.before, args.out))}
    print(f"[{time.strftime('%H:%M:%S')}] {kind} at {n:,} tracks …", flush=True)
    child = subprocess.Popen(command, start_new_session=True, env=env)
    timed_out = None
    while child.poll() is None:
        time.sleep(1)
        _, running = read_journal(journal) if journal.exists() else ({}, None)
        if limit is not None and running is not None and time.time() - running["at"] > limit:
            timed_out = running["start"]
            os.killpg(child.pid, signal.SIGKILL)  # the child's own group: it and the JVM it started
            child.wait()
    steps, running = read_journal(journal)
    if timed_out:
        steps["timed_out"] = timed_out
    elif child.returncode != 0:
        steps["failed"] = f"exit {child.returncode} in {running['start'] if running else 'setup'}"
    print(f"    {json.dumps({k: v for k, v in steps.items() if k != 'facts'})[:600]}", flush=True)
    return steps


def before_path(checkout: Path, out: Path) -> Path:
    """A folder whose `whytag` is the other checkout (the repository root is the package), for PYTHONPATH."""
    folder = out / "before-path"
    folder.mkdir(exist_ok=True)
    link = folder / "whytag"
    if not link.is_symlink():
        link.symlink_to(checkout.resolve(), target_is_directory=True)
    return folder


def run_all(args: argparse.Namespace) -> dict:
    """whytag at every size first (the main result), then each baseline from 1,000 tracks (or the smallest
    size, if smaller) up until it runs past the limit or fails."""
    sizes = sorted(set(args.sizes) | ({min(1000, *args.sizes)} if args.baselines else set()))
    results: dict = {"sizes": sizes, "learner": args.learner, "baseline_limit_s": args.baseline_limit,
                     "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                     "engines": list(args.engines), "before": str(args.before or ""), "load": os.getloadavg(),
                     "tagging": args.tagging,
                     WHYTAG: {}, RDFLIB: {}, HERMIT: {}, BEFORE: {}}
    stopped: set[str] = set()
    for n in sizes:
        for kind in [*([BEFORE] if args.before else []), WHYTAG, *args.engines]:
            results.setdefault(kind, {})[n] = run_child(kind, n, args, None)
            results[kind][n]["load_after"] = os.getloadavg()
            save(results, args.out)
    for n in sizes if args.baselines else []:
        for kind in (RDFLIB, HERMIT):
            if kind in stopped or "failed" in results[WHYTAG][n]:
                results[kind][n] = {"skipped": True}
                continue
            results[kind][n] = run_child(kind, n, args, args.baseline_limit)
            if "timed_out" in results[kind][n] or "failed" in results[kind][n]:
                stopped.add(kind)
            save(results, args.out)
    return results


def save(results: dict, out: Path) -> None:
    """Write every number so far to OUT/scale.json."""
    (out / "scale.json").write_text(json.dumps(results, indent=1, default=str))


# -- reporting ------------------------------------------------------------------------------

def seconds(steps: dict, name: str) -> float | None:
    """A step's seconds, None if it did not finish."""
    return steps.get(name, {}).get("seconds")


def query_total(steps: dict, which: list[int]) -> float | None:
    """The summed median seconds of the chosen queries (None if any is missing)."""
    found = [steps.get(step, {}).get(f"q{i + 1}_ms") for i in which for step in ("queries", "query4")]
    found = [f for f in found if f is not None]
    return sum(found) / 1000 if len(found) == len(which) else None


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, None when either is missing."""
    return a / b if a is not None and b else None


def fmt(value: float | None, digits: int = 1, limit: float | None = None, timed_out: bool = False) -> str:
    """A number for the table; '> limit' for a step that ran over, '–' for one not run."""
    if value is None:
        return f"> {limit:g} s" if timed_out and limit else "–"
    return f"{value:,.{digits}f}"


def whytag_runs(results: dict) -> list[tuple[int, str, dict]]:
    """The whytag table's columns: (size, code version, its steps), by size, the other checkout's first."""
    kinds = [k for k in (BEFORE, WHYTAG) if results.get(k)]
    return sorted(((int(n), kind, s) for kind in kinds for n, s in results[kind].items()), key=lambda r: r[0])


def whytag_rows(results: dict) -> list[list[str]]:
    """The whytag table: one row per measure, one column per size (and per code version, with --before)."""
    kinds = [k for k in (BEFORE, WHYTAG) if results.get(k)]
    runs = whytag_runs(results)
    rate = lambda s, step, n: ratio(n, seconds(s, step))  # noqa: E731
    get = lambda s, step, key: s.get(step, {}).get(key)  # noqa: E731
    rows = [["tracks"] + [f"{n:,}" + (f", {kind}" if len(kinds) > 1 else "") for n, kind, _ in runs]]
    for step in ("import", "learn", "tag", "export", "validate"):
        rows.append([f"{step} s"] + [fmt(seconds(s, step)) for _, _, s in runs])
        if step in ("import", "tag"):
            rows.append([f"{step} tracks/s"] + [fmt(rate(s, step, n), 0) for n, _, s in runs])
        if step == "tag":
            rows += [["  reading values s"] + [fmt(get(s, "tag", "read_s")) for _, _, s in runs],
                     ["  scoring s"] + [fmt(get(s, "tag", "score_s")) for _, _, s in runs],
                     ["  the store writing s (writer thread)"] + [fmt(get(s, "tag", "write_s")) for _, _, s in runs],
                     ["  own (reading + scoring) / writing"] + [
                         fmt(ratio((get(s, "tag", "read_s") or 0) + (get(s, "tag", "score_s") or 0),
                                   get(s, "tag", "write_s")), 2) for _, _, s in runs]]
    export_rate = lambda s: ratio(get(s, "facts", "export_quads"), seconds(s, "export"))  # noqa: E731
    native_rate = lambda s: ratio(get(s, "facts", "native_dump_quads"), seconds(s, "native_dump"))  # noqa: E731
    rows += [["export quads/s"] + [fmt(export_rate(s), 0) for _, _, s in runs],
             ["the store's own N-Quads dump, quads/s"] + [fmt(native_rate(s), 0) for _, _, s in runs],
             ["export rate / dump rate"] + [fmt(ratio(export_rate(s), native_rate(s)), 2) for _, _, s in runs],
             ["export MB"] + [fmt(ratio(get(s, "facts", "export_bytes"), 1e6)) for _, _, s in runs],
             ["validate: violations; re-derived agree"] + [
                 f"{get(s, 'validate', 'violations')}; {get(s, 'validate', 'agree')}/{get(s, 'validate', 'rederived')}"
                 if "validate" in s else "–" for _, _, s in runs]]
    for step in ("import", "learn", "tag", "export", "validate", "queries"):
        rows.append([f"peak RSS after {step}, MB"] + [fmt(get(s, step, "rss_mb"), 0) for _, _, s in runs])
    for key, label in (("triples_per_track", "triples/track"), ("track_graphs", "  in track graphs"),
                       ("tags_graph", "  in tags graph"), ("rest", "  rest (model, levels, run)")):
        rows.append([label] + [fmt(get(s, "facts", key)) for _, _, s in runs])
    for key, label in (("bytes_per_track", "KB/track on disk (all files)"),
                       ("sst_bytes_per_track", "  in tables (*.sst)"),
                       ("wal_bytes_per_track", "  in write-ahead log (*.log)")):
        rows.append([label] + [fmt(ratio(get(s, "facts", key), 1000), 2) for _, _, s in runs])
    for i, name in enumerate(QUERY_NAMES):
        rows.append([f"Q{i + 1} {name}, ms (rows)"] + [
            f"{fmt(get(s, 'queries', f'q{i + 1}_ms'))} ({get(s, 'queries', f'q{i + 1}_rows')})"
            if "queries" in s else "–" for _, _, s in runs])
    rows.append(["load average after"] + [" / ".join(f"{x:.1f}" for x in s.get("load_after", [])) or "–"
                                           for _, _, s in runs])
    return rows


TAGGING_ROWS = ("tracks", "import s", "learn s", "tag s", "tag tracks/s", "  reading values s", "  scoring s",
                "  the store writing s (writer thread)", "  own (reading + scoring) / writing", "export quads/s",
                "the store's own N-Quads dump, quads/s", "export rate / dump rate", "peak RSS after tag, MB",
                f"Q2 {QUERY_NAMES[1]}, ms (rows)", "load average after")


def tagging_rows(results: dict) -> list[list[str]]:
    """`--tagging`'s table: the whytag table's rows its steps measure, and why-tagged's fastest run."""
    rows = [row for row in whytag_rows(results) if row[0] in TAGGING_ROWS]
    fastest = [f"Q2 the fastest of {WHY_REPEATS}, ms"] + [
        fmt(s.get("queries", {}).get("q2_min_ms")) for _, _, s in whytag_runs(results)]
    return rows[:-1] + [fastest, rows[-1]]


def predicate_rows(results: dict) -> list[list[str]]:
    """Quads a track by part of the store and predicate (the features' values summed in one row), one column per
    size of this checkout's run."""
    from whytag.kg.features import features_by_iri
    from whytag.kg.namespaces import WT

    features = features_by_iri()

    def merged(counts: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, count in counts.items():
            part, _, predicate = key.partition(" ")
            if predicate.startswith("wt:") and str(WT) + predicate[3:] in features:
                key = f"{part} (the features' values)"
            out[key] = out.get(key, 0) + count
        return out

    runs = {int(n): merged(s.get("facts", {}).get("by_predicate", {})) for n, s in results[WHYTAG].items()}
    keys = sorted({k for counts in runs.values() for k in counts},
                  key=lambda k: -max(counts.get(k, 0) for counts in runs.values()))
    return [["part, predicate"] + [f"{n:,}" for n in runs]] + [
        [k] + [fmt(counts.get(k), 2) for counts in runs.values()] for k in keys]


def engine_rows(results: dict) -> list[list[str]]:
    """The embedded store beside each endpoint, per size: the same steps' seconds, rates and query times."""
    kinds = [WHYTAG, *results.get("engines", [])]
    runs = [(n, kind, results[kind].get(n) or results[kind].get(str(n), {}))
            for n in results["sizes"] for kind in kinds]
    get = lambda s, step, key: s.get(step, {}).get(key)  # noqa: E731
    rows = [["tracks, store"] + [f"{n:,}, {'embedded' if kind == WHYTAG else kind}" for n, kind, _ in runs]]
    for step in ("import", "learn", "tag", "export", "validate"):
        rows.append([f"{step} s"] + [fmt(seconds(s, step)) for _, _, s in runs])
    rows += [[f"{step} tracks/s"] + [fmt(ratio(n, seconds(s, step)), 0) for n, _, s in runs]
             for step in ("import", "tag")]
    rows.append(["export quads/s"] + [fmt(ratio(get(s, "facts", "export_quads"), seconds(s, "export")), 0)
                                      for _, _, s in runs])
    rows.append(["triples/track"] + [fmt(get(s, "facts", "triples_per_track")) for _, _, s in runs])
    rows.append(["validate: violations; re-derived agree"] + [
        f"{get(s, 'validate', 'violations')}; {get(s, 'validate', 'agree')}/{get(s, 'validate', 'rederived')}"
        if "validate" in s else s.get("failed", "–") for _, _, s in runs])
    for i, name in enumerate(QUERY_NAMES):
        rows.append([f"Q{i + 1} {name}, ms (rows)"] + [
            f"{fmt(get(s, 'queries', f'q{i + 1}_ms'))} ({get(s, 'queries', f'q{i + 1}_rows')})" if "queries" in s
            else "–" for _, _, s in runs])
    rows.append(["peak RSS of whytag, MB"] + [fmt(get(s, "queries", "rss_mb"), 0) for _, _, s in runs])
    return rows


def baseline_rows(results: dict) -> list[list[str]]:
    """The baselines beside whytag at each size where they ran: seconds and ratio baseline / whytag."""
    limit = results["baseline_limit_s"]
    rows = [["size", "measure", "whytag s", "baseline s", "baseline / whytag"]]
    pairs = [(RDFLIB, "rdflib import", "import", "import", ["import"]), (RDFLIB, "rdflib tag", "tag", "tag", ["tag"]),
             (RDFLIB, "rdflib queries 1,2,3,5 (sum of medians)", None, None, ["queries"]),
             (RDFLIB, "rdflib query 4 (after asserting levels)", None, None, ["levels", "query4"]),
             (RDFLIB, "rdflib levels re-derived (assert_levels; tag_batches stored them)", None, "levels", ["levels"]),
             (HERMIT, "HermiT load + classify + count vs whytag tag", "tag", None, STEPS[HERMIT]),
             (HERMIT, "HermiT classify (sync_reasoner) alone vs whytag tag", "tag", "reason", ["reason"])]
    for n in results["sizes"]:
        ours = results[WHYTAG].get(n) or results[WHYTAG].get(str(n), {})
        for kind, label, our_step, their_step, needs in pairs:
            theirs = results[kind].get(n) or results[kind].get(str(n), {})
            if theirs.get("skipped"):
                continue
            timed_out = theirs.get("timed_out") in needs
            if "queries 1,2,3,5" in label:
                a, b = query_total(ours, [0, 1, 2, 4]), query_total(theirs, [0, 1, 2, 4])
            elif "query 4" in label:
                a, b = query_total(ours, [3]), query_total(theirs, [3])
            elif kind == HERMIT and their_step is None:
                parts = [seconds(theirs, s) for s in STEPS[HERMIT]]
                a, b = seconds(ours, our_step), (None if None in parts else sum(parts))
            else:
                a, b = seconds(ours, our_step) if our_step else None, seconds(theirs, their_step)
            times = f"{b / a:,.1f}×" if a and b else (f"> {limit / a:,.0f}×" if a and timed_out else "–")
            shown = (fmt(b, 2, limit, timed_out) if b is not None or timed_out else
                     f"failed ({theirs['failed']})" if "failed" in theirs else "not reached")
            rows.append([f"{n:,}", label, fmt(a, 2), shown, times])
    return rows


def hermit_agreement(results: dict) -> list[str]:
    """Per size: how many rules' HermiT member counts equal the tracks whytag's rules fire on."""
    lines = []
    for n in results["sizes"]:
        ours = (results[WHYTAG].get(n) or results[WHYTAG].get(str(n), {})).get("facts", {}).get("fired", {})
        theirs = (results[HERMIT].get(n) or results[HERMIT].get(str(n), {})).get("count", {}).get("members")
        if ours and theirs:
            same = sum(theirs.get(rule) == count for rule, count in ours.items())
            lines.append(f"{n:,} tracks: HermiT's member count equals whytag's firing count "
                         f"for {same} of {len(ours)} rules")
    return lines


def table(rows: list[list[str]]) -> str:
    """Rows as a Markdown table (the first row is the header)."""
    lines = ["| " + " | ".join(rows[0]) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(rows[0]))) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])


def plot(results: dict, path: Path) -> None:
    """Seconds vs tracks, log-log: import, tag, export and the queries, whytag and the baselines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    series: list[tuple[str, str, Callable[[dict], float | None]]] = [
        (WHYTAG, "whytag import", lambda s: seconds(s, "import")), (WHYTAG, "whytag tag", lambda s: seconds(s, "tag")),
        (WHYTAG, "whytag export", lambda s: seconds(s, "export")),
        (WHYTAG, "whytag 5 queries (sum of medians)", lambda s: query_total(s, [0, 1, 2, 3, 4])),
        (RDFLIB, "rdflib import", lambda s: seconds(s, "import")), (RDFLIB, "rdflib tag", lambda s: seconds(s, "tag")),
        (RDFLIB, "rdflib 5 queries (sum of medians)", lambda s: query_total(s, [0, 1, 2, 3, 4])),
        (HERMIT, "HermiT load + classify + count",
         lambda s: sum(seconds(s, x) for x in STEPS[HERMIT]) if all(seconds(s, x) for x in STEPS[HERMIT]) else None)]
    for kind, label, value in series:
        points = [(int(n), value(s)) for n, s in results[kind].items() if value(s)]
        if points:
            style = "-o" if kind == WHYTAG else "--s" if kind == RDFLIB else ":^"
            ax.plot(*zip(*points), style, label=label)
    ax.set(xscale="log", yscale="log", xlabel="tracks in the catalog", ylabel="seconds",
           title=f"Catalog scale ({results['date']}, {results['cpus']} cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results: dict, png: Path) -> None:
    """Print the tables and write the plot (with `--tagging`, its table alone)."""
    if results.get("tagging"):
        return print("\nwhytag tagging (embedded Oxigraph)\n" + table(tagging_rows(results)))
    print("\nwhytag (embedded Oxigraph)\n" + table(whytag_rows(results)))
    print("\nQuads a track by part and predicate (this checkout)\n" + table(predicate_rows(results)))
    if results.get("engines"):
        print("\nThe embedded store and SPARQL endpoints (same run)\n" + table(engine_rows(results)))
    print("\nBaselines (same run; ratio = baseline / whytag)\n" + table(baseline_rows(results)))
    for line in hermit_agreement(results):
        print(line)
    plot(results, png)
    print(f"\nplot: {png}")


def engine_label(i: int, text: str) -> tuple[str, str]:
    """(label, URL) from `--store [LABEL=]URL` (the label defaults to 'endpoint I')."""
    label, _, url = text.partition("=") if "=" in text.split("://")[0] else ("", "", text)
    return label or f"endpoint {i}", url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--learner", default="sparse")
    parser.add_argument("--baseline-limit", type=float, default=600)
    parser.add_argument("--out", type=Path, default=None, help="folder for stores, scale.json (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep each store after measuring it")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, default=HERE.parent / "scale.png")
    parser.add_argument("--store", action="append", default=[], metavar="[LABEL=]URL",
                        help="also run whytag's steps against this SPARQL endpoint (repeatable)")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false", help="skip rdflib and HermiT")
    parser.add_argument("--tagging", action="store_true",
                        help="only import, learn, tag (split), export and why-tagged; no baselines")
    parser.add_argument("--before", type=Path, help="also run whytag's steps with this checkout's code, first")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default=WHYTAG, help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)  # an engine's journal name
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)  # re-print a scale.json
    args = parser.parse_args()
    args.engines = dict(engine_label(i, text) for i, text in enumerate(args.store, 1))
    args.baselines = args.baselines and not args.tagging
    if args.report:
        return report(json.loads(args.report.read_text()), args.plot)
    try:
        table_path(GTZAN_TABLE)  # absent: say so once, not in every child process
    except DatasetError as err:
        sys.exit(str(err))
    args.out = (args.out or Path(tempfile.mkdtemp(prefix="whytag-scale-"))).resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.one_size:
        run = {WHYTAG: run_whytag, RDFLIB: run_rdflib, HERMIT: run_hermit}[args.kind]
        name = args.label or args.kind
        return in_deep_thread(lambda: run(args.one_size, args, Journal(args.out / f"{name}-{args.one_size}.jsonl")))
    results = run_all(args)
    save(results, args.out)
    print(f"\nall numbers: {args.out / 'scale.json'}")
    report(results, args.plot)


if __name__ == "__main__":
    main()
