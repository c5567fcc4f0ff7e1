"""The embedded store's export written by Oxigraph's own serializers as a stream (kg.export's fast path).

A named graph, or every data graph (the schema only when asked): N-Quads and TriG graph by graph, Turtle and
N-Triples merged into one graph (a triple that several graphs hold may then be repeated; readers take it as
one), so that a catalog's export never sits in memory.
"""

from __future__ import annotations

from typing import BinaryIO

import pyoxigraph

from whytag.kg.iris import SCHEMA_GRAPH
from whytag.kg.protocol import OX_PREFIXES
from whytag.kg.queries import query

FORMATS = {"turtle": pyoxigraph.RdfFormat.TURTLE, "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
           "nquads": pyoxigraph.RdfFormat.N_QUADS, "trig": pyoxigraph.RdfFormat.TRIG}


def dump(native: pyoxigraph.Store, out: BinaryIO, fmt: str, graph: str | None, include_schema: bool) -> None:
    """Write one named graph, or all data graphs, in `fmt` (a key of FORMATS)."""
    prefixes = None if fmt == "ntriples" else OX_PREFIXES
    if graph is not None:
        native.dump(out, FORMATS[fmt], from_graph=pyoxigraph.NamedNode(graph), prefixes=prefixes)
    elif fmt == "nquads":
        writer = out if include_schema else _WithoutGraph(out, str(SCHEMA_GRAPH))
        native.dump(writer, pyoxigraph.RdfFormat.N_QUADS)
        writer.flush()
    elif fmt == "trig":
        _stream_trig(native, out, include_schema)
    else:  # merged: every graph's triples as one graph
        triples = native.query(query("triples", g=None) if include_schema else
                               query("triples-except-schema", schema=SCHEMA_GRAPH))
        pyoxigraph.serialize(triples, out, FORMATS[fmt], prefixes=prefixes)


def _stream_trig(native: pyoxigraph.Store, out: BinaryIO, include_schema: bool) -> None:
    """TriG one graph at a time: the prefixes, then each named graph as a block of N-Triples lines."""
    out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in OX_PREFIXES.items()).encode())
    for graph in native.named_graphs():
        if include_schema or graph.value != str(SCHEMA_GRAPH):
            out.write(f"\n{graph} {{\n".encode())
            native.dump(out, pyoxigraph.RdfFormat.N_TRIPLES, from_graph=graph)
            out.write(b"}\n")


class _WithoutGraph:
    """A binary writer that passes N-Quads lines on, except those of one graph (the schema)."""

    def __init__(self, out: BinaryIO, graph: str) -> None:
        self.out = out
        self.suffix = f" <{graph}> .".encode()
        self.rest = b""

    def write(self, chunk: bytes) -> int:
        data = self.rest + bytes(chunk)
        if self.suffix not in data:  # most chunks hold no line of the graph: passed on whole, not split into lines
            cut = data.rfind(b"\n") + 1
            self.out.write(data[:cut])
            self.rest = data[cut:]
            return len(chunk)
        lines = data.split(b"\n")
        self.rest = lines.pop()
        self.out.write(b"".join(line + b"\n" for line in lines if not line.endswith(self.suffix)))
        return len(chunk)

    def flush(self) -> None:
        if self.rest and not self.rest.endswith(self.suffix):
            self.out.write(self.rest)
        self.rest = b""
        self.out.flush()
