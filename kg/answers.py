"""A query's answer read row by row as the store produces it, so that memory stays flat in the answer's size.

`GraphStore.query` holds a whole answer (fine for whytag's own questions); `whytag query` runs whatever
the user typed, and a 19-million-row answer held whole took 6.27 GB before a row was printed (#29).
Here the embedded store's solutions are read one at a time; an endpoint's answer is parsed as its bytes
arrive (SPARQL JSON or N-Triples, by pyoxigraph's streaming parsers). Rows are rdflib terms, like
`QueryTable`'s; a CONSTRUCT or DESCRIBE gives one row per triple (subject, predicate, object).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pyoxigraph
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from whytag.errors import first_line
from whytag.kg.namespaces import PREFIXES, sparql_prefixes
from whytag.kg.store import GraphStore, StoreError

OX_PREFIXES = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
TRIPLE_COLUMNS = ["subject", "predicate", "object"]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass
class Answer:
    """A query's answer as it comes: its column names, its rows (read once), and whether it is a graph's triples."""

    columns: list[str]
    rows: Iterator[list[Node | None]]
    graph: bool = False


def stream(store: GraphStore, sparql: str) -> Answer:
    """Run any query form over the union of all graphs (whytag's prefixes predeclared) and read its answer lazily;
    ASK gives one row with the column `ask`. Errors, at the start or while reading, are StoreErrors."""
    if store.oxigraph is not None:
        try:
            result = store.oxigraph.query(sparql, prefixes=OX_PREFIXES, use_default_graph_as_union=True)
        except (SyntaxError, OSError, ValueError, RuntimeError) as err:
            raise StoreError(f"{store.location}: query failed: {first_line(err)}") from None
        return _answer(result, store.location)
    if store.endpoint is None:
        raise StoreError(f"{store.location}: this store cannot stream answers")
    return _answer(_endpoint_result(store, sparql), store.location)


def _endpoint_result(store: GraphStore, sparql: str):
    """An endpoint's answer as pyoxigraph's lazy results, parsed from the response body as it arrives."""
    response = store.endpoint.open_query(sparql_prefixes() + sparql)
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    body = io.BufferedReader(_ResponseBody(response), 1 << 16)
    try:
        if media_type in ("application/sparql-results+json", "application/json"):
            return pyoxigraph.parse_query_results(body, format=pyoxigraph.QueryResultsFormat.JSON)
        rdf = pyoxigraph.RdfFormat.N_TRIPLES if media_type == "application/n-triples" else pyoxigraph.RdfFormat.TURTLE
        return (quad.triple for quad in pyoxigraph.parse(body, format=rdf))
    except (SyntaxError, OSError, ValueError) as err:
        response.close()
        raise StoreError(f"{store.location}: unreadable answer: {first_line(err)}") from None


def _answer(result, location: str) -> Answer:
    if isinstance(result, pyoxigraph.QueryBoolean):
        return Answer(["ask"], iter([[Literal(bool(result))]]))
    if isinstance(result, pyoxigraph.QuerySolutions):
        columns = [variable.value for variable in result.variables]
        return Answer(columns, _rows(result, location, lambda solution: [term(solution[c]) for c in columns]))
    return Answer(TRIPLE_COLUMNS, _rows(result, location, lambda triple: [term(t) for t in triple]), graph=True)


def _rows(result, location: str, convert) -> Iterator[list[Node | None]]:
    """The rows, converted one at a time; an evaluation error met while reading becomes a StoreError."""
    try:
        for item in result:
            yield convert(item)
    except (SyntaxError, OSError, ValueError, RuntimeError, httpx.HTTPError) as err:
        raise StoreError(f"{location}: query failed while reading its answer: {first_line(err)}") from None


def term(value) -> Node | None:
    """A pyoxigraph term as the rdflib term `QueryTable` rows hold (None where unbound)."""
    if value is None:
        return None
    if isinstance(value, pyoxigraph.NamedNode):
        return URIRef(value.value)
    if isinstance(value, pyoxigraph.BlankNode):
        return BNode(value.value)
    if isinstance(value, pyoxigraph.Literal):
        if value.language:
            return Literal(value.value, lang=value.language)
        datatype = value.datatype.value
        return Literal(value.value, datatype=None if datatype == XSD_STRING else URIRef(datatype))
    return Literal(str(value))  # a quoted triple (RDF-star), as its N-Triples text


class _ResponseBody(io.RawIOBase):
    """An httpx streamed response as a readable file, which pyoxigraph's parsers read block by block."""

    def __init__(self, response: httpx.Response):
        self._response = response
        self._chunks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                self._response.close()
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size
