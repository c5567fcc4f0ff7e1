"""Export the graph as linked data: Turtle, JSON-LD, N-Triples (merged) or N-Quads/TriG (per graph).

The embedded store streams every format but JSON-LD through Oxigraph's own serializer, so a catalog's
export never sits in memory (merged formats may then repeat a triple that several graphs hold, which
readers take as one). From a SPARQL endpoint, quads are read a page at a time (servers cap an answer's rows:
Virtuoso's ResultSetMaxRows is 10,000 by default and 2^20 at most); N-Quads and N-Triples are written as they
come, the other formats and JSON-LD build an rdflib graph first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.kg import ntriples as nt
from whytag.kg.iris import SCHEMA_GRAPH
from whytag.kg.namespaces import PREFIXES
from whytag.kg.queries import query
from whytag.kg.store import GraphStore

FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "nquads": "nquads", "trig": "trig"}
QUAD_FORMATS = {"nquads", "trig", "jsonld"}
PAGE = 10_000  # rows in one answer from an endpoint
NATIVE = {"turtle", "ntriples", "nquads", "trig"}  # formats the embedded store writes itself (kg.dump)


def export(store: GraphStore, fmt: str, graph: URIRef | None = None, include_schema: bool = False) -> bytes:
    """Serialise one named graph, or all data graphs (the schema only when asked), as `fmt`."""
    import io

    out = io.BytesIO()
    export_to(store, out, fmt, graph, include_schema)
    return out.getvalue()


class ExportError(WhytagError):
    """An export that cannot be written where asked (a missing folder, a folder's name, no permission, a full
    disk); the message names the path and the reason."""


def export_file(store: GraphStore, path: str | Path, fmt: str, graph: URIRef | None = None,
                include_schema: bool = False) -> int:
    """Write the export to `path` through a hidden partial file beside it, so the name asked for never holds half
    an export; the bytes written."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        try:
            with partial.open("wb") as out:
                export_to(store, out, fmt, graph, include_schema)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as err:
        raise ExportError(f"{path}: cannot write the export ({err.strerror or err})") from None
    return path.stat().st_size


def export_to(store: GraphStore, out: BinaryIO, fmt: str, graph: URIRef | None = None,
              include_schema: bool = False) -> None:
    """Write the export to a binary file, streaming where the store can (see the module's note)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if store.embedded and fmt in NATIVE:
        store.dump(out, fmt, graph, include_schema)
        return
    if not store.embedded and fmt in ("nquads", "ntriples"):
        for g, s, p, o in endpoint_quads(store, graph, include_schema):
            named = "" if fmt == "ntriples" else f" <{g}>"
            out.write(f"{nt.term(s)} {nt.term(p)} {nt.term(o)}{named} .\n".encode())
        return
    out.write(_through_rdflib(store, fmt, graph, include_schema))


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
        pages = _pages(store, "graph-sizes") if include_schema else \
            _pages(store, "graph-sizes-except-schema", schema=SCHEMA_GRAPH)
        sizes = [(str(g), int(n)) for g, n in pages]
    group: list[str] = []
    count = 0
    for name, size in sizes + [("", PAGE + 1)]:  # the sentinel flushes the last group
        if group and count + size > PAGE:
            yield from store.select(query("quads", g=group)).rows
            group, count = [], 0
        if name and size > PAGE:
            for s, p, o in _pages(store, "graph-triples-sorted", g=URIRef(name)):
                yield URIRef(name), s, p, o
        elif name:
            group.append(name)
            count += size


def _pages(store: GraphStore, name: str, **bindings: object) -> Iterator[list]:
    """A named, ordered SELECT's rows, PAGE at a time (LIMIT and OFFSET)."""
    offset = 0
    while True:
        rows = store.select(query(name, limit=PAGE, offset=offset, **bindings)).rows
        yield from rows
        if len(rows) < PAGE:
            return
        offset += PAGE
