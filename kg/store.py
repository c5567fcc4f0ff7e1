"""Open whytag's graph: an embedded Oxigraph directory (default) or any SPARQL 1.1 endpoint.

Both sit behind one small interface, chosen by location like rdflib's store plugins: a directory
path opens Oxigraph on disk (as an rdflib Dataset); an http(s) URL opens a remote SPARQL 1.1
Query/Update endpoint, spoken to over httpx. Every write is atomic on the embedded store (one Update, or a
native load of new graphs), so a crash never leaves half a track. An endpoint gets writes in requests of
about 1 MB (`update_groups`: Virtuoso refuses larger ones), each track's graph whole in one; a large batch of
additions (a tagging batch) may land in several, and Virtuoso applies even one request operation by
operation, so after a failed command against a server, run it again (each stage replaces what it wrote).

A directory store is opened either for writing (one process at a time: RocksDB's lock; a second
writer waits up to `wait` seconds for it, saying so) or read-only (any number of readers, even while
a writer runs, and on folders the user may only read; each sees the store as committed when it
opened). Only writers create a store, so a mistyped location is an error, never a new empty graph.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyoxigraph
from oxrdflib import OxigraphStore
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result
from rdflib.term import Node

from whytag.errors import StoreError, first_line
from whytag.kg import dump, protocol
from whytag.kg.endpoint import Endpoint
from whytag.kg.iris import SCHEMA_GRAPH
from whytag.kg.namespaces import PREFIXES, WT, sparql_prefixes
from whytag.kg.ntriples import NTriples, Triple, triples_block
from whytag.kg.operations import unfinished
from whytag.kg.queries import Named, query
from whytag.kg.queries.build import data_operations, drop_graph, insert_data
from whytag.kg.upgrade import upgrade
from whytag.ontology import schema_files

DEFAULT_LOCATION = "whytag-graph"
LOCK_POLL_SECONDS = 0.25
BULK_FROM = 10_000  # triples in one write from which the embedded store bulk-loads (GraphStore._load)
REQUEST_CHARS = 1_000_000  # the text of one Update request to an endpoint (see GraphStore.update_groups)
READ_ONLY_RETRIES = 3  # a read-only open can race a writer's compaction; it is retried, never trusted half-open
KEPT_OLD_LOGS = 5  # RocksDB's diagnostic logs kept from earlier writing opens (its own limit, 1,000, is ~130 MB)


@dataclass
class QueryTable:
    """A SELECT result: column names and rows of rdflib terms (None where unbound)."""

    columns: list[str]
    rows: list[list[Node | None]]


class GraphStore:
    """whytag's graph: one named graph per track, plus schema, rule and tagging graphs."""

    def __init__(self, location: str, run_query: Callable[[str], Result], send_update: Callable[[str], None],
                 close: Callable[[], None] = lambda: None, oxigraph=None, read_only: bool = False,
                 concurrent: bool = False, endpoint: Endpoint | None = None):
        self.location = location
        self._run_query = run_query
        self._send_update = send_update
        self._close = close
        # The embedded pyoxigraph Store (None for an endpoint): only this module and its family (kg.protocol,
        # kg.dump) touch it; every other module goes through the methods below (tests/kg/test_store_interface.py).
        self.oxigraph = oxigraph
        self.endpoint = endpoint  # the SPARQL Protocol client of an endpoint store (None when embedded)
        self.read_only = read_only
        self.concurrent = concurrent  # may one thread write while another reads (kg.write_behind)?

    @property
    def embedded(self) -> bool:
        """Whether this is the embedded Oxigraph store (False: a SPARQL endpoint)."""
        return self.oxigraph is not None

    # -- reading ---------------------------------------------------------------------------
    def select(self, sparql: str) -> QueryTable:
        """Run a SELECT or an ASK query over the union of all graphs; whytag's prefixes are predeclared."""
        result = self.query(sparql)
        if not isinstance(result, QueryTable):
            raise StoreError("expected a SELECT or ASK query; use construct() for CONSTRUCT/DESCRIBE")
        return result

    def construct(self, sparql: str) -> Graph:
        """Run a CONSTRUCT or DESCRIBE and return the resulting graph."""
        result = self.query(sparql)
        if not isinstance(result, Graph):
            raise StoreError("expected a CONSTRUCT or DESCRIBE query")
        return result

    def query(self, sparql: str) -> QueryTable | Graph:
        """Run any query form: a table for SELECT/ASK, a graph for CONSTRUCT/DESCRIBE.

        The result is read in full here, so an error met while reading it (a SERVICE endpoint that
        went away, say) is a StoreError like a parse error, not an exception from a later loop.
        An embedded store gets the prefixes beside the text, so error positions are those of the user's text.
        """
        try:
            result = self._run_query(sparql)
            if result.type == "ASK":
                return QueryTable(["ask"], [[Literal(bool(result.askAnswer))]])
            if result.type == "SELECT":
                return QueryTable([str(v) for v in result.vars], [list(row) for row in result])
            return result.graph
        except StoreError:
            raise
        except Exception as err:  # parse errors and backend errors alike: one readable line
            raise StoreError(f"{self.location}: query failed: {first_line(err)}") from err

    def graph_triples(self, graph: URIRef) -> Graph:
        """A copy of one named graph's triples."""
        return self.construct(query("triples", g=[graph]))

    # -- writing ---------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        """Run a SPARQL Update as one transaction."""
        try:
            self._send_update(sparql_prefixes() + sparql)
        except StoreError:
            raise
        except Exception as err:  # backends raise their own types; name the request that failed
            raise StoreError(f"{self.location}: update failed: {err}") from err

    def write_graph(self, graph: URIRef, triples: Iterable[Triple] | NTriples,
                    clear: Iterable[Named] | str | None = "all",
                    also: dict[URIRef, list[Triple]] | None = None) -> None:
        """Write triples into a named graph in one transaction, first removing what `clear` names.

        `clear="all"` replaces the graph; `clear=None` only adds; otherwise each of `clear` is a named update
        (kg/queries/*.ru, with its values) removing triples of the graph bound as its `$graph` (a stage's old
        output), run in turn before the triples are added.
        `also` adds triples to other graphs in the same transaction (what the write depends on).
        """
        data = triples_block(triples)
        parts = [insert_data(also)] if also and any(also.values()) else []
        if clear == "all":
            parts.append(drop_graph(graph))
        elif isinstance(clear, str):
            raise TypeError(f"clear takes 'all', None or named updates, not {clear!r}")
        elif clear:
            parts += [removal.update(graph=graph) for removal in clear]
        if data:
            parts.append(insert_data({graph: NTriples(data)}))
        if parts:
            self.update(" ;\n".join(parts))

    def replace_graphs(self, graphs: dict[URIRef, list[Triple] | NTriples]) -> None:
        """Replace several named graphs in one transaction (a batch of tracks, say; see `update_groups`)."""
        self.update_groups([f"{drop_graph(g)} ;\n{insert_data({g: t})}" for g, t in graphs.items()])

    def update_groups(self, groups: list[str]) -> None:
        """Run Updates, each group of operations whole: the embedded store all in one transaction, an endpoint in
        requests of about REQUEST_CHARS, a group never split (Virtuoso compiles a request into one SQL statement
        and refuses one of ~800 operations or ~3 MB: "Query too large"). A batch of tracks on a server thus
        lands track by track, each whole."""
        groups = [group for group in groups if group]
        if self.oxigraph is not None:
            if groups:
                self.update(" ;\n".join(groups))
            return
        request: list[str] = []
        for group in groups:
            if request and sum(map(len, request)) + len(group) > REQUEST_CHARS:
                self.update(" ;\n".join(request))
                request = []
            request.append(group)
        if request:
            self.update(" ;\n".join(request))

    def change(self, removed: dict[URIRef, NTriples], added: dict[URIRef, NTriples]) -> None:
        """Remove some triples and add others, per named graph, in one step that lands whole or not at all
        (additions alone are loaded natively, as `add_graphs` loads them)."""
        if not any(removed.values()):
            self.add_graphs(added, fresh=True)
            return
        self.update(" ;\n".join(data_operations("DELETE", removed) + data_operations("INSERT", added)))

    def add(self, graph: URIRef, triples: Iterable[Triple] | NTriples) -> None:
        """Add triples to a named graph in one transaction (a batch of tag assignments, say).

        The embedded store parses them natively as TriG (no SPARQL Update text to plan); an endpoint
        gets data insertions (see `update_groups`).
        """
        self.add_graphs({graph: triples}, fresh=True)

    def add_graphs(self, graphs: dict[URIRef, Iterable[Triple] | NTriples], fresh: bool = False) -> None:
        """Write several named graphs in one transaction, replacing those that exist (unless `fresh`: add).

        A graph's triples are rdflib terms, or N-Triples text from a bulk writer (`kg.ntriples`).
        For the embedded store, graphs not there yet are loaded natively (see `_load`), several times
        faster than an Update; a batch that replaces any graph goes through `replace_graphs` as one Update.
        """
        graphs = {g: t if isinstance(t, NTriples) else list(t) for g, t in graphs.items()}
        if not any(graphs.values()):
            return
        if self.oxigraph is None or self.read_only:
            if fresh:
                self.update_groups(data_operations("INSERT", graphs))  # additions alone may land apart
            else:
                self.replace_graphs(graphs)
            return
        if not fresh and any(self.oxigraph.contains_named_graph(pyoxigraph.NamedNode(g)) for g in graphs):
            self.replace_graphs(graphs)
        else:
            self._load("".join(f"<{g}> {{\n{triples_block(t)}}}\n" for g, t in graphs.items() if t),
                       sum(t.count("\n") if isinstance(t, NTriples) else len(t) for t in graphs.values()))

    def _load(self, trig: str, size: int) -> None:
        """Load TriG into the embedded store in one step that lands whole or not at all.

        From BULK_FROM triples on, Oxigraph's bulk loader writes sorted table files and ingests them in
        one atomic RocksDB step (a parse error leaves nothing): faster than a transaction, and nothing
        passes through the write-ahead log and memory tables (bench/RESULTS.md, 2026-12-01).
        Smaller writes go through a transaction, and are flushed so that memory stays flat.
        """
        data = trig.encode("utf-8")
        try:
            if size >= BULK_FROM:
                self.oxigraph.bulk_load(data, pyoxigraph.RdfFormat.TRIG)
            else:
                self.oxigraph.load(data, pyoxigraph.RdfFormat.TRIG)
                self.oxigraph.flush()
        except (OSError, SyntaxError, ValueError) as err:
            raise StoreError(f"{self.location}: write failed: {first_line(err)}") from err

    def load_turtle(self, graph: URIRef, turtle: bytes) -> None:
        """Replace a named graph with a Turtle document's triples (a shipped model set). The embedded store parses
        it natively (genres' 31,751 triples in well under a second; rdflib took ~5 s); an endpoint is sent them.
        Dropping the old graph and loading the new one are two steps: between them the graph is only absent."""
        if self.oxigraph is None or self.read_only:
            self.write_graph(graph, Graph().parse(data=turtle, format="turtle"))
            return
        self.drop_graph(graph)
        try:
            self.oxigraph.load(turtle, pyoxigraph.RdfFormat.TURTLE, to_graph=pyoxigraph.NamedNode(str(graph)))
            self.oxigraph.flush()
        except (OSError, SyntaxError, ValueError) as err:
            raise StoreError(f"{self.location}: write failed: {first_line(err)}") from err

    def drop_graph(self, graph: URIRef) -> None:
        """Remove a named graph and everything in it."""
        self.update(drop_graph(graph))

    def compact(self) -> None:
        """After many writes, compact the embedded store's files so the next query is not slowed and the files
        written a transaction at a time shrink (by 8% at 10,000 tracks; bulk-loaded files are already as small as
        they get: bench/RESULTS.md, "Where a track's bytes go"). A no-op for an endpoint."""
        if self.oxigraph is not None and not self.read_only:
            self.oxigraph.optimize()

    def values(self, sparql: str) -> Iterator[tuple]:
        """Stream a SELECT's rows as plain Python values: IRIs and strings as str, numbers as float,
        booleans as bool, None where unbound. The embedded store skips rdflib's term objects (bulk reads)."""
        if self.oxigraph is None:
            for row in self.select(sparql).rows:
                yield tuple(_plain(term) for term in row)
            return
        try:
            solutions = self.oxigraph.query(sparql_prefixes() + sparql, use_default_graph_as_union=True)  # as select()
        except (SyntaxError, OSError, ValueError) as err:
            raise StoreError(f"{self.location}: query failed: {first_line(err)}") from err
        for solution in solutions:  # a solution iterates its values in the order of the SELECT's variables
            yield tuple(map(_native, solution))

    def rows(self, sparql: str) -> list[tuple]:
        """A small SELECT's rows at once, as `values` gives them. The embedded store hands them over in one
        call: pyoxigraph lets go of the GIL for each row it yields, and a thread of a busy server waits
        behind every other one to take it back (bench/RESULTS.md, "Serving"). whytag's prefixes are given to the
        parser as a map, not parsed from PREFIX lines each time (~0.1 ms of each of a track page's two queries)."""
        if self.oxigraph is None:
            return list(self.values(sparql))
        try:
            names, bindings = solutions_json(self.oxigraph, sparql, prefixes=protocol.OX_PREFIXES)
        except (SyntaxError, OSError, ValueError) as err:
            raise StoreError(f"{self.location}: query failed: {first_line(err)}") from err
        return [tuple(json_value(row.get(name)) for name in names) for row in bindings]

    def numbers(self, sparql: str) -> np.ndarray:
        """A one-column SELECT's numbers (integers as floats; text, booleans, IRIs and unbound rows left out). The
        embedded store hands them over in one call as TSV, which keeps each literal's datatype (a feature page's
        histogram: 10,000 values read row by row, a wait for the GIL each beside busy threads, took 113 ms at load
        16, as TSV 64; as JSON 100-200 ms at load 7)."""
        if self.oxigraph is None:
            return np.array([v for (v,) in self.values(sparql) if isinstance(v, float)], dtype=float)
        text = self._tsv(sparql)
        cells = text.split(b"\n")[1:]  # the header, then a row a line (TSV escapes a literal's line breaks)
        if cells and not cells[-1]:
            cells.pop()  # the last line's end
        if text.count(DOUBLE_TAIL) == len(cells) and b"\\" not in text:  # every row "lexical"^^<xsd:double> (a
            # text's quote is escaped, a double's lexical has no backslash): parsed at once
            try:
                return np.array([cell[1:-len(DOUBLE_TAIL)] for cell in cells], dtype=float)
            except ValueError:  # an ill-typed one ("abc"^^xsd:double): tsv_number below names it
                pass
        return np.array([v for v in map(tsv_number, cells) if v is not None], dtype=float)

    def iris(self, sparql: str) -> list[str]:
        """A one-column SELECT's IRIs (other values left out). The embedded store hands them over in one call as TSV,
        an IRI a line between angle brackets (a rule page's 1,240 tracks, as `rows`' JSON and dicts: a third of its
        draw)."""
        if self.oxigraph is None:
            return [str(term) for (term,) in self.select(sparql).rows if isinstance(term, URIRef)]
        cells = self._tsv(sparql).split(b"\n")[1:]  # the header, then a row a line (an IRI holds no line break)
        return [cell[1:-1].decode() for cell in cells if cell.startswith(b"<")]

    def number_rows(self, sparql: str) -> np.ndarray:
        """A SELECT whose every value is a number, as floats (rows × its variables): a batch's values for tagging,
        30,000 of them, without a Python value each (half the read's time as `values`); StoreError where a value is
        no number (text, even "12", an IRI, unbound)."""
        if self.oxigraph is None:
            table = self.select(sparql)
            rows = [[_plain(term) for term in row] for row in table.rows]
            if any(not isinstance(v, float) for row in rows for v in row):
                raise StoreError(f"{self.location}: a value read as a number is not a number")
            return np.array(rows, dtype=float).reshape(-1, len(table.columns))
        head, _, body = self._tsv(sparql).partition(b"\n")
        width, doubles = head.count(b"\t") + 1, body.count(DOUBLE_TAIL)
        cells = body.replace(DOUBLE_TAIL, b"")
        if cells.count(b'"') == doubles and b"\\" not in body:  # every quote left opens a double: parsed at once
            cells = cells.replace(b'"', b"")
            values = cells.replace(b"\t", b"\n").split(b"\n")[:-1]  # the answer ends in a newline
        else:  # other typed numbers, or text
            values = [tsv_number(cell) for cell in body.replace(b"\t", b"\n").split(b"\n")[:-1]]
            if None in values:
                raise StoreError(f"{self.location}: a value read as a number is not a number")
        try:
            return np.array(values, dtype=float).reshape(-1, width)
        except ValueError:  # an IRI, a boolean, unbound, or an ill-typed double (tsv_number names it)
            for cell in body.replace(b"\t", b"\n").split(b"\n")[:-1]:
                tsv_number(cell)
            raise StoreError(f"{self.location}: a value read as a number is not a number") from None

    def _tsv(self, sparql: str) -> bytes:
        """A SELECT's answer as the embedded store's TSV."""
        try:
            return self.oxigraph.query(sparql_prefixes() + sparql, use_default_graph_as_union=True).serialize(
                format=pyoxigraph.QueryResultsFormat.TSV)
        except (SyntaxError, OSError, ValueError) as err:
            raise StoreError(f"{self.location}: query failed: {first_line(err)}") from err

    def bindings(self, sparql: str) -> tuple[list[str], list[dict[str, dict]]]:
        """A SELECT's variables and rows as SPARQL JSON bindings, read in one call like `rows` (the pages turn
        them into values their own way: IRIs as links, blank nodes marked); StoreError for a text that fails."""
        try:
            return solutions_json(self._native("read pages"), sparql, prefixes=protocol.OX_PREFIXES)
        except (SyntaxError, OSError, ValueError, RuntimeError) as err:
            raise StoreError(f"{self.location}: query failed: {first_line(err)}") from None

    def quads(self, subject: str | None = None, predicate: str | None = None, obj: str | None = None
              ) -> list[tuple[dict, dict, dict, dict | None]]:
        """The quads matching a pattern of IRIs (None: any), in every graph, as SPARQL JSON terms (`json_value` reads
        them; the graph None for the default graph): a page's few triples about one IRI without a query, whose parse
        and plan were most of a track page's queries' CPU (0.2-0.4 ms each; reading a track's quads: ~0.05 ms).
        The embedded store only (StoreError for an endpoint: `whytag serve` needs the embedded one)."""
        found = self._native("read quads by pattern").quads_for_pattern(
            *(None if iri is None else pyoxigraph.NamedNode(iri) for iri in (subject, predicate, obj)), None)
        return [(_json_term(q.subject), _json_term(q.predicate), _json_term(q.object),
                 None if isinstance(q.graph_name, pyoxigraph.DefaultGraph) else _json_term(q.graph_name))
                for q in found]

    def native_results(self, sparql: str):
        """The embedded store's own lazy result of a query over the union of all graphs, whytag's prefixes
        predeclared beside the text (kg.answers reads it row by row); StoreError for a text that fails."""
        try:
            return self._native("stream answers").query(sparql, prefixes=protocol.OX_PREFIXES,
                                                        use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as err:
            raise StoreError(f"{self.location}: query failed: {unfinished(sparql, first_line(err))}") from None

    def answer(self, text: str, choose: Callable[[str], str], cpu_seconds: float, max_rows: int,
               default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = ()) -> bytes:
        """A user's query answered in a SPARQL Protocol format, within a CPU-time limit and a cap on its rows
        (`kg.protocol.answer`: `choose(form)` names the format; a `protocol.Refused` says why not)."""
        return protocol.answer(self._native("answer SPARQL Protocol queries"), text, choose, cpu_seconds, max_rows,
                               default_graphs, named_graphs)

    def apply_update(self, text: str) -> None:
        """A user's SPARQL Update (the text as typed: error positions are its own) as one transaction;
        `protocol.Malformed` with the engine's message."""
        if self.read_only:
            raise protocol.Refused(f"{self.location}: opened read-only; this store takes no updates")
        protocol.update(self._native("apply SPARQL Protocol updates"), text)

    def dump(self, out: BinaryIO, fmt: str, graph: URIRef | None = None, include_schema: bool = False) -> None:
        """Stream one named graph, or every data graph, in `fmt` through the embedded store's own serializers
        (kg.dump; kg.export reads an endpoint instead)."""
        dump.dump(self._native("dump"), out, fmt, None if graph is None else str(graph), include_schema)

    def _native(self, what: str) -> pyoxigraph.Store:
        """The embedded pyoxigraph store; StoreError for an endpoint, which cannot `what`."""
        if self.oxigraph is None:
            raise StoreError(f"{self.location}: only an embedded store can {what}; this is a SPARQL endpoint")
        return self.oxigraph

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        """Load the ontology, features and vocabularies into the schema graph if they changed, first bringing
        data an earlier whytag wrote to the current layout (kg.upgrade)."""
        files = schema_files()
        digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
        marker = Literal(digest)
        if self.select(query("schema-digest", schema=SCHEMA_GRAPH, digest=marker)).rows[0][0]:
            return
        schema = Graph()
        for path in files:
            schema.parse(path, format="turtle")
        schema.add((SCHEMA_GRAPH, WT.schemaDigest, marker))
        upgrade(self)  # before the digest is written: an interrupted upgrade runs again
        self.write_graph(SCHEMA_GRAPH, schema)

    def close(self) -> None:
        """Release the store (and, for a writer, its lock)."""
        self.oxigraph = None  # the last reference: Oxigraph releases its lock when the Store is dropped
        self._close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


XSD_NS = "http://www.w3.org/2001/XMLSchema#"
INTEGERS = {XSD_NS + t for t in ("integer", "int", "long", "nonNegativeInteger")}
NUMERIC = INTEGERS | {XSD_NS + t for t in ("double", "float", "decimal")}
NUMERIC_BYTES = {t.encode() for t in NUMERIC}  # as GraphStore.numbers reads them in a TSV answer
DOUBLE_TAIL = f'"^^<{XSD_NS}double>'.encode()


def tsv_number(cell: bytes) -> float | None:
    """One cell of a TSV answer as a number: a numeric literal of any datatype, or an integer or decimal as Turtle
    writes them bare; None for text, booleans, IRIs, blank nodes and unbound."""
    if cell.startswith(b'"'):  # "lexical"^^<datatype>, or text
        lexical, _, datatype = cell[1:].rpartition(b'"^^<')  # an IRI holds no quote
        return typed(lexical.decode(), datatype[:-1].decode()) if datatype[:-1] in NUMERIC_BYTES else None
    if cell[:1] not in (b"", b"<", b"_", b"t", b"f"):
        return float(cell)
    return None


def solutions_json(store: pyoxigraph.Store, sparql: str, **options) -> tuple[list[str], list[dict[str, dict]]]:
    """A SELECT's variables and its rows as SPARQL JSON bindings (unbound variables absent), read in one call
    (see GraphStore.rows); `options` go to pyoxigraph's query."""
    solutions = store.query(sparql, use_default_graph_as_union=True, **options)
    answer = json.loads(solutions.serialize(format=pyoxigraph.QueryResultsFormat.JSON))
    return answer["head"]["vars"], answer["results"]["bindings"]


def typed(value: str, datatype: str | None) -> object:
    """A literal's lexical form as a plain value: numbers as float, booleans as bool, the rest as text; StoreError
    for an ill-typed number (`"abc"^^xsd:double`, which an update may store: Oxigraph keeps it as it came)."""
    if datatype in NUMERIC:
        try:
            return float(value)
        except ValueError:
            shown = json.dumps(value if len(value) <= 40 else value[:40] + "…", ensure_ascii=False)  # one line
            name = "xsd:" + datatype.removeprefix(XSD_NS)
            raise StoreError(f"an ill-typed literal in the store: {shown}^^{name} is no {name} (find it with "
                             f"whytag query, then fix or remove it with an update)") from None
    if datatype == XSD_NS + "boolean":
        return value in ("true", "1")
    return value


def _native(term) -> object:
    """A pyoxigraph term as a plain value (see GraphStore.values)."""
    if isinstance(term, pyoxigraph.Literal):
        return typed(term.value, term.datatype.value)
    return None if term is None else term.value


def _json_term(term) -> dict:
    """A pyoxigraph term as a SPARQL JSON term, as Oxigraph's JSON answers write it (a simple literal's xsd:string and
    a language-tagged literal's rdf:langString left out)."""
    if isinstance(term, pyoxigraph.Literal):
        found = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_NS + "string":
            found["datatype"] = term.datatype.value
        return found
    return {"type": "uri" if isinstance(term, pyoxigraph.NamedNode) else "bnode", "value": term.value}


def json_value(term: dict | None, iri: Callable[[str], object] = str, bnode: str = "", exact: bool = False) -> object:
    """A SPARQL JSON term as a plain value, as GraphStore.rows gives them: None where unbound, literals `typed`
    (integers as int with `exact`), IRIs through `iri` (serve's pages mark them as links), blank nodes as
    `bnode` + their label."""
    if term is None:
        return None
    kind, value = term["type"], term["value"]
    if kind == "literal":
        plain = typed(value, term.get("datatype"))
        return int(plain) if exact and term.get("datatype") in INTEGERS else plain
    if kind == "uri":
        return iri(value)
    return bnode + value if kind == "bnode" else value


def _plain(term: Node | None) -> object:
    """An rdflib term as a plain value (see GraphStore.values)."""
    if isinstance(term, Literal):
        return typed(str(term), None if term.datatype is None else str(term.datatype))
    return None if term is None else str(term)


def serving_note(location: str | os.PathLike) -> Path:
    """The file beside an embedded store where `whytag serve` writes the URL it serves that store at, so
    that a command that finds the store locked can say where to send its requests instead."""
    path = Path(location)
    return path.with_name(f"{path.name}.serving")


def open_store(location: str | os.PathLike = DEFAULT_LOCATION, create: bool = True, read_only: bool = False,
               wait: float = 0.0, on_wait: Callable[[str], None] | None = None, *, timeout: float = 600.0,
               retries: int = 3, token: str | None = None) -> GraphStore:
    """Open the store at a directory (embedded Oxigraph) or an http(s) SPARQL endpoint URL.

    `create`: make a new directory store if none is there (readers never do). `read_only`: refuse
    updates and, for a directory, open it without its lock. `wait`: seconds a writer waits for
    another process's lock, calling `on_wait` once with a line saying so (not when `whytag serve`
    holds it: that lock lasts, so the error names the server's URL at once).
    For an endpoint: `timeout` seconds per request, `retries` on a lost or refused connection, and
    `token` sent as a bearer token (basic auth: put `user:password@` in the URL).
    """
    location = str(location)
    if location.startswith(("http://", "https://")):
        store = _open_endpoint(location, read_only, timeout, retries, token)
    else:
        store = _open_oxigraph(Path(location), create and not read_only, read_only, wait, on_wait)
    if not read_only:
        store.ensure_schema()
    return store


def is_store_directory(path: Path) -> bool:
    """Whether `path` holds an Oxigraph (RocksDB) store: its CURRENT file names the live manifest."""
    return (path / "CURRENT").is_file()


def _open_oxigraph(path: Path, create: bool, read_only: bool, wait: float,
                   on_wait: Callable[[str], None] | None) -> GraphStore:
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: not a directory, cannot hold a store")
    if not is_store_directory(path):
        if _has_files(path):
            raise StoreError(f"{path}: not a whytag store (the folder holds other files); check --store")
        if not create:
            raise StoreError(f"{path}: no store here (`whytag ingest` creates one; check --store or WHYTAG_STORE, "
                             "or pass --create)")
        try:
            path.mkdir(parents=True, exist_ok=True)  # a new store in a new folder, like `mkdir -p`
        except OSError as err:
            raise StoreError(f"{path}: cannot create the store's folder ({err.strerror or err})") from None
    inner = _open_read_only(path) if read_only else _open_writable(path, wait, on_wait)
    dataset = Dataset(store=OxigraphStore(store=inner), default_union=True)
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    if read_only:
        return GraphStore(str(path), dataset.query, partial(_refuse_update, str(path)), dataset.close, inner, True)
    # Updates go straight to Oxigraph: rdflib's own engine would parse them first (slowly).
    return GraphStore(str(path), dataset.query,
                      lambda text: dataset.store.update(text, {}, {}, DATASET_DEFAULT_GRAPH_ID),
                      dataset.close, inner, concurrent=True)


def _has_files(path: Path) -> bool:
    try:
        return path.is_dir() and any(path.iterdir())
    except OSError as err:
        raise StoreError(f"{path}: cannot list the folder ({err.strerror or err})") from None


def _open_writable(path: Path, wait: float, on_wait: Callable[[str], None] | None) -> pyoxigraph.Store:
    """Open for writing, waiting up to `wait` seconds while another process holds the store's lock."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            store = pyoxigraph.Store(str(path))
            _prune_old_logs(path)
            return store
        except (OSError, RuntimeError) as err:
            if "lock" not in str(err).lower():
                reason = "permission denied (read-only commands still work)" if "permission denied" in str(
                    err).lower() else first_line(err)
                raise StoreError(f"{path}: cannot open the store for writing: {reason}") from None
            url = _served_at(path)
            if url is not None:
                raise StoreError(f"{path}: held by `whytag serve` at {url}; write through it, e.g. "
                                 f"whytag --store {url}sparql --store-token TOKEN ingest …") from None
            if time.monotonic() >= deadline:
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                raise StoreError(f"{path}: the store is in use by another whytag command that writes to it{waited}; "
                                 "try again when it ends, or pass --wait SECONDS") from None
            if not told and on_wait is not None:
                on_wait(f"{path}: waiting up to {wait:g} s for another whytag command to finish writing …")
                told = True
            time.sleep(LOCK_POLL_SECONDS)


def _prune_old_logs(path: Path) -> None:
    """Remove all but the newest KEPT_OLD_LOGS of RocksDB's `LOG.old.<microseconds>` files: each writing open leaves
    one (~137 KB) that no reader of the store needs. Housekeeping only: a file it cannot remove stays."""
    def opened_at(log: Path) -> int:
        stamp = log.name.rsplit(".", 1)[1]
        return int(stamp) if stamp.isdigit() else 0

    for log in sorted(path.glob("LOG.old.*"), key=opened_at)[:-KEPT_OLD_LOGS]:
        with contextlib.suppress(OSError):
            log.unlink()


def _served_at(path: Path) -> str | None:
    """The URL `whytag serve` serves the store at, from its serving note (None when there is none)."""
    try:
        return serving_note(path).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _open_read_only(path: Path) -> pyoxigraph.Store:
    """Open without the lock: a snapshot of what writers had committed when it opened."""
    attempt = 1
    while True:
        try:
            store = pyoxigraph.Store.read_only(str(path))
            store.query(query("any-triple"))  # touch the files now: a race with a writer shows here, not later
            return store
        except (OSError, ValueError, RuntimeError) as err:
            # killed while RocksDB was creating it (its column families), or before Oxigraph stamped its
            # storage version, which a read-only open would have to write
            if any(sign in str(err).lower() for sign in ("column family not found", "only possible on read-write")):
                raise StoreError(f"{path}: the store is incomplete (its creation was interrupted); a writing "
                                 "command such as `whytag ingest` completes it") from None
            if attempt == READ_ONLY_RETRIES:
                raise StoreError(f"{path}: cannot open the store to read it: {first_line(err)}") from None
            attempt += 1
            time.sleep(LOCK_POLL_SECONDS)


def _refuse_update(location: str, text: str) -> None:
    raise StoreError(f"{location}: opened read-only; this command cannot write to it")


def _open_endpoint(url: str, read_only: bool, timeout: float, retries: int, token: str | None) -> GraphStore:
    """A SPARQL 1.1 endpoint: queries go to the URL, updates to the URL after '|' (default: the same)."""
    query_url, _, update_url = url.partition("|")
    endpoint = Endpoint(query_url, update_url or query_url, timeout, retries, token)
    send = partial(_refuse_update, url) if read_only else endpoint.update
    return GraphStore(url, lambda text: endpoint.query(sparql_prefixes() + text), send, endpoint.close,
                      read_only=read_only, concurrent=True, endpoint=endpoint)
