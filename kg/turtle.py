"""Turtle that is the same bytes for the same triples and keeps every double exactly: the shipped model sets'.

rdflib's Turtle writer prints an xsd:double with `%e`, six decimals (a threshold 30.0117683411 is read back as
30.01177), and its output is otherwise fixed for a graph whose blank nodes are trees (rule bodies, lists):
subjects, predicates and objects are sorted and such blank nodes are written inline, so their labels never show.
"""

from __future__ import annotations

import io
import math

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, XSD
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

from whytag.kg.namespaces import PREFIXES


class ExactTurtle(TurtleSerializer):
    """rdflib's Turtle writer, but a finite double is written as its shortest exact decimal (`30.0117683411e0`)."""

    def label(self, node: Node, position: int) -> str:
        if isinstance(node, Literal) and node.datatype == XSD.double and math.isfinite(value := float(node)):
            text = repr(value)
            return text if "e" in text else f"{text}e0"  # a Turtle DOUBLE needs its exponent
        return super().label(node, position)


def exact_turtle(graph: Graph) -> bytes:
    """`graph` as Turtle with whytag's prefixes: the same triples give the same bytes, and doubles read back exactly."""
    out = Graph()
    for prefix, namespace in {**PREFIXES, "dcterms": DCTERMS}.items():
        out.bind(prefix, namespace, override=True, replace=True)
    for triple in graph:
        out.add(triple)
    buffer = io.BytesIO()
    ExactTurtle(out).serialize(buffer, encoding="utf-8")
    return buffer.getvalue()
