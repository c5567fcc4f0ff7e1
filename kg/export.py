"""Export the graph as linked data: Turtle, JSON-LD, N-Triples (merged) or N-Quads/TriG (per graph)."""

from __future__ import annotations

from rdflib import URIRef

from whytag.kg.namespaces import PREFIXES, SCHEMA_GRAPH
from whytag.kg.store import GraphStore

FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "nquads": "nquads", "trig": "trig"}
QUAD_FORMATS = {"nquads", "trig", "jsonld"}


def export(store: GraphStore, fmt: str, graph: URIRef | None = None, include_schema: bool = False) -> bytes:
    """Serialise one named graph, or all data graphs (the schema only when asked), as `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if graph is not None:
        scope = f"GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ <{graph}> }}"
    else:
        scope = "GRAPH ?g { ?s ?p ?o }" + ("" if include_schema else f" FILTER(?g != <{SCHEMA_GRAPH}>)")
    if fmt in QUAD_FORMATS:
        from rdflib import Dataset

        rows = store.select(f"SELECT ?g ?s ?p ?o WHERE {{ {scope} }}").rows
        out = Dataset()
        for g, s, p, o in rows:
            out.add((s, p, o, URIRef(g)))
    else:
        out = store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {scope} }}")
    for prefix, namespace in PREFIXES.items():
        out.bind(prefix, namespace)
    return out.serialize(format=FORMATS[fmt], encoding="utf-8")
