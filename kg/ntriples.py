"""N-Triples text written directly, for the writers that produce millions of triples (tagging a catalog).

Building an rdflib term and serializing it costs ~20 µs for a double literal and a few µs for an IRI;
formatting the same text here costs well under one, and the store parses it natively either way. Terms
are returned in N-Triples syntax, so `line(iri(s), iri(p), double(v))` is one triple.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from rdflib import BNode, Literal
from rdflib.namespace import XSD
from rdflib.term import Node

# What an IRI reference may not contain in N-Triples (RFC 3987 excludes these; the parser would refuse them
# or, for '>', read a different triple): refused here with the IRI named, before anything is written.
_NOT_IN_IRI = re.compile(r'[<>"{}|\\^`\x00-\x20]')
_DOUBLE = f"^^<{XSD.double}>"
_INTEGER = f"^^<{XSD.integer}>"
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
TRUE, FALSE = f'"true"^^<{XSD.boolean}>', f'"false"^^<{XSD.boolean}>'
# what a string literal may not hold as it is: the quote, the backslash and control characters (\n, \r, \u0000 …)
_ESCAPES = {**{c: f"\\u{c:04X}" for c in range(0x20)}, ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            ord('"'): '\\"', ord("\\"): "\\\\"}


Triple = tuple[Node, Node, Node]


class NTriples(str):
    """N-Triples lines for one graph, already written out: the store writes them as they are."""


def iri(value: str) -> str:
    """`<value>`; a ValueError naming the IRI if it holds a character no IRI may."""
    if _NOT_IN_IRI.search(value):
        raise ValueError(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def double(value: float) -> str:
    """An xsd:double literal (shortest round-trip digits; NaN and ±INF spelt as XSD spells them)."""
    value = float(value)
    if math.isfinite(value):
        return f'"{value!r}"{_DOUBLE}'
    return f'"{"NaN" if math.isnan(value) else ("INF" if value > 0 else "-INF")}"{_DOUBLE}'


def integer(value: int) -> str:
    """An xsd:integer literal."""
    return f'"{int(value)}"{_INTEGER}'


def string(value: str, datatype: str | None = None) -> str:
    """A string literal (xsd:string, or the lexical form of `datatype`), escaped as N-Triples requires."""
    text = f'"{value.translate(_ESCAPES)}"'
    return f"{text}^^<{datatype}>" if datatype else text


def boolean(value: bool) -> str:
    """An xsd:boolean literal."""
    return TRUE if value else FALSE


def line(subject: str, predicate: str, obj: str) -> str:
    """One triple: three terms already in N-Triples syntax."""
    return f"{subject} {predicate} {obj} .\n"


def term(node: Node) -> str:
    """An rdflib term in N-Triples syntax: a literal on one line, whatever its text (rdflib's `n3()` writes a
    multi-line one in Turtle's triple quotes, which N-Triples lacks and which a line-by-line reader splits), a
    blank node with a label N-Triples allows (Virtuoso's are `nodeID://b1001`)."""
    if isinstance(node, Literal):
        text = '"' + node.translate(_ESCAPES) + '"'
        return text + (f"@{node.language}" if node.language else "^^" + iri(node.datatype) if node.datatype else "")
    if isinstance(node, BNode):
        return "_:" + re.sub(r"[^A-Za-z0-9]", "_", node)
    return iri(node)


def triples_block(triples: Iterable[Triple] | NTriples) -> str:
    """Triples as N-Triples text, one line a triple: the body of a data insertion (`data_operations` splits lines)."""
    if isinstance(triples, NTriples):
        return triples
    return "".join(f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples)
