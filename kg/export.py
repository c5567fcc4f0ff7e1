"""Export the graph as linked data: Turtle, JSON-LD, N-Triples (merged) or N-Quads/TriG (per graph).

The embedded store streams every format but JSON-LD through Oxigraph's own serializer, so a catalog's
export never sits in memory (merged formats may then repeat a triple that several graphs hold, which
readers take as one). From a SPARQL endpoint, quads are read a page at a time (servers cap an answer's rows:
Virtuoso's ResultSetMaxRows is 10,000 by default and 2^20 at most); N-Quads and N-Triples are written as they
come, the other formats and JSON-LD build an rdflib graph first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import pyoxigraph
from rdflib import URIRef

from whytag.kg import ntriples as nt
from whytag.kg.iris import SCHEMA_GRAPH
from whytag.kg.namespaces import PREFIXES
from whytag.kg.queries import query
from whytag.kg.store import GraphStore

FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "nquads": "nquads", "trig": "trig"}
QUAD_FORMATS = {"nquads", "trig", "jsonld"}
_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}
PAGE = 10_000  # rows in one answer from an endpoint
NATIVE = {"turtle": pyoxigraph.RdfFormat.TURTLE, "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
          "nquads": pyoxigraph.RdfFormat.N_QUADS, "trig": pyoxigraph.RdfFormat.TRIG}


def export(store: GraphStore, fmt: str, graph: URIRef | None = None, include_schema: bool = False) -> bytes:
    """Serialise one named graph, or all data graphs (the schema only when asked), as `fmt`."""
    import io

    out = io.BytesIO()
    export_to(store, out, fmt, graph, include_schema)
    return out.getvalue()


def export_to(store: GraphStore, out: BinaryIO, fmt: str, graph: URIRef | None = None,
              include_schema: bool = False) -> None:
    """Write the export to a binary file, streaming where the store can (see the module's note)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    native = store.oxigraph
    if native is not None and graph is not None and fmt in NATIVE:
        native.dump(out, NATIVE[fmt], from_graph=pyoxigraph.NamedNode(str(graph)),
                    prefixes=None if fmt == "ntriples" else _PREFIXES)
        return
    if native is not None and graph is None and fmt == "nquads":
        writer = out if include_schema else _WithoutGraph(out, SCHEMA_GRAPH)
        native.dump(writer, pyoxigraph.RdfFormat.N_QUADS)
        writer.flush()
        return
    if native is not None and graph is None and fmt == "trig":
        _stream_trig(native, out, include_schema)
        return
    if native is not None and graph is None and fmt in NATIVE:  # merged: every graph's triples as one graph
        triples = native.query(query("triples", g=None) if include_schema else
                               query("triples-except-schema", schema=SCHEMA_GRAPH))
        pyoxigraph.serialize(triples, out, NATIVE[fmt], prefixes=None if fmt == "ntriples" else _PREFIXES)
        return
    if native is None and fmt in ("nquads", "ntriples"):
        for g, s, p, o in endpoint_quads(store, graph, include_schema):
            named = "" if fmt == "ntriples" else f" <{g}>"
            out.write(f"{nt.term(s)} {nt.term(p)} {nt.term(o)}{named} .\n".encode())
        return
    out.write(_through_rdflib(store, fmt, graph, include_schema))


def _stream_trig(native: pyoxigraph.Store, out: BinaryIO, include_schema: bool) -> None:
    """TriG one graph at a time: the prefixes, then each named graph as a block of N-Triples lines."""
    out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in _PREFIXES.items()).encode())
    for graph in native.named_graphs():
        if include_schema or graph.value != str(SCHEMA_GRAPH):
            out.write(f"\n{graph} {{\n".encode())
            native.dump(out, pyoxigraph.RdfFormat.N_TRIPLES, from_graph=graph)
            out.write(b"}\n")


class _WithoutGraph:
    """A binary writer that passes N-Quads lines on, except those of one graph (the schema)."""

    def __init__(self, out: BinaryIO, graph: URIRef) -> None:
        self.out = out
        self.suffix = f" <{graph}> .".encode()
        self.rest = b""

    def write(self, chunk: bytes) -> int:
        lines = (self.rest + bytes(chunk)).split(b"\n")
        self.rest = lines.pop()
        self.out.write(b"".join(line + b"\n" for line in lines if not line.endswith(self.suffix)))
        return len(chunk)

    def flush(self) -> None:
        if self.rest and not self.rest.endswith(self.suffix):
            self.out.write(self.rest)
        self.rest = b""
        self.out.flush()


def _through_rdflib(store: GraphStore, fmt: str, graph: URIRef | None, include_schema: bool) -> bytes:
    """The export built as an rdflib graph or dataset in memory (endpoints, JSON-LD, merged formats)."""
    from rdflib import Dataset, Graph

    out = Dataset() if fmt in QUAD_FORMATS else Graph()
    for g, s, p, o in endpoint_quads(store, graph, include_schema):
        out.add((s, p, o, URIRef(g)) if fmt in QUAD_FORMATS else (s, p, o))
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    return out.serialize(format=FORMATS[fmt], encoding="utf-8")


def endpoint_quads(store: GraphStore, graph: URIRef | None = None, include_schema: bool = False) -> Iterator[tuple]:
    """The export's quads (graph, s, p, o) as rdflib terms, read in answers of at most PAGE rows: the graphs' sizes
    first, then graphs together up to PAGE quads, a larger graph in sorted pages of its own."""
    if graph is not None:
        sizes = [(str(graph), PAGE + 1)]  # one graph: paged, whatever its size
    else:
        keep = "" if include_schema else f"FILTER(?g != <{SCHEMA_GRAPH}>)"
        sizes = [(str(g), int(n)) for g, n in _pages(
            store, f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {keep} }} GROUP BY ?g ORDER BY ?g")]
    group: list[str] = []
    count = 0
    for name, size in sizes + [("", PAGE + 1)]:  # the sentinel flushes the last group
        if group and count + size > PAGE:
            values = " ".join(f"<{g}>" for g in group)
            yield from store.select(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
                                    ).rows
            group, count = [], 0
        if name and size > PAGE:
            query = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o"
            for s, p, o in _pages(store, query):
                yield URIRef(name), s, p, o
        elif name:
            group.append(name)
            count += size


def _pages(store: GraphStore, sparql: str) -> Iterator[list]:
    """An ordered SELECT's rows, PAGE at a time (LIMIT and OFFSET)."""
    offset = 0
    while True:
        rows = store.select(f"{sparql} LIMIT {PAGE} OFFSET {offset}").rows
        yield from rows
        if len(rows) < PAGE:
            return
        offset += PAGE
