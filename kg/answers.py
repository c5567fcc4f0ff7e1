"""A query's answer read row by row as the store produces it, so that memory stays flat in the answer's size.

`GraphStore.query` holds a whole answer (fine for whytag's own questions); `whytag query` runs whatever
the user typed, and a 19-million-row answer held whole took 6.27 GB before a row was printed (#29).
Here the embedded store's solutions are read one at a time; an endpoint's answer is parsed as its bytes
arrive (SPARQL JSON or N-Triples, by pyoxigraph's streaming parsers). Rows hold `Term`s, plain text and
its kind: an rdflib Literal costs ~20 µs to build (it parses its value), which made 1,000,000 rows take
two minutes. A CONSTRUCT or DESCRIBE gives one row per triple (subject, predicate, object).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import httpx
import pyoxigraph
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from whytag.errors import first_line
from whytag.kg.namespaces import sparql_prefixes
from whytag.kg.store import XSD_NS, GraphStore, StoreError

TRIPLE_COLUMNS = ["subject", "predicate", "object"]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Term(NamedTuple):
    """A term of an answer: its text (an IRI, a blank node's label, a literal's lexical form, a quoted triple's
    N-Triples), its kind ("iri", "bnode", "literal" or "triple"), and a literal's datatype IRI or language."""

    value: str
    kind: str
    datatype: str | None = None
    language: str | None = None

    def node(self) -> Node:
        """The rdflib term, for callers that build a Graph from an answer."""
        if self.kind == "iri":
            return URIRef(self.value)
        if self.kind == "bnode":
            return BNode(self.value)
        plain = self.language or self.datatype in (None, XSD_STRING)  # a quoted triple: its text
        return Literal(self.value, lang=self.language, datatype=None if plain else URIRef(self.datatype))


@dataclass
class Answer:
    """A query's answer as it comes: its column names, its rows (read once), and whether it is a graph's triples."""

    columns: list[str]
    rows: Iterator[list[Term | None]]
    graph: bool = False


def stream(store: GraphStore, sparql: str) -> Answer:
    """Run any query form over the union of all graphs (whytag's prefixes predeclared) and read its answer lazily;
    ASK gives one row with the column `ask`. Errors, at the start or while reading, are StoreErrors."""
    if store.embedded:
        return _answer(store.native_results(sparql), store.location)
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
        return Answer(["ask"], iter([[Term("true" if result else "false", "literal", XSD_NS + "boolean")]]))
    if isinstance(result, pyoxigraph.QuerySolutions):
        columns = [variable.value for variable in result.variables]
        return Answer(columns, _rows(result, location, lambda solution: [term(solution[c]) for c in columns]))
    return Answer(TRIPLE_COLUMNS, _rows(result, location, lambda triple: [term(t) for t in triple]), graph=True)


def _rows(result, location: str, convert) -> Iterator[list[Term | None]]:
    """The rows, converted one at a time; an evaluation error met while reading becomes a StoreError."""
    try:
        for item in result:
            yield convert(item)
    except (SyntaxError, OSError, ValueError, RuntimeError, httpx.HTTPError) as err:
        raise StoreError(f"{location}: query failed while reading its answer: {first_line(err)}") from None


def term(value) -> Term | None:
    """A pyoxigraph term as a `Term` (None where unbound)."""
    if value is None:
        return None
    if isinstance(value, pyoxigraph.NamedNode):
        return Term(value.value, "iri")
    if isinstance(value, pyoxigraph.BlankNode):
        return Term(value.value, "bnode")
    if isinstance(value, pyoxigraph.Literal):
        return Term(value.value, "literal", value.datatype.value, value.language)
    return Term(str(value), "triple")  # a quoted triple (RDF-star)


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
