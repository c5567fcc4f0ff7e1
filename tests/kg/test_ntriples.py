"""N-Triples written directly (kg.ntriples) reads back, through Oxigraph's parser, as the values written."""

from __future__ import annotations

import math

import pyoxigraph
import pytest

from whytag.kg import ntriples as nt


def parse_objects(lines: str) -> list[pyoxigraph.Literal]:
    return [t.object for t in pyoxigraph.parse(lines.encode(), pyoxigraph.RdfFormat.N_TRIPLES)]


@pytest.mark.parametrize("value", [0.0, -0.0, 1.5, -2.25e-300, 1.7976931348623157e308, 0.1 + 0.2, 1e-7, 123456789.0])
def test_doubles_read_back_exactly(value):
    (literal,) = parse_objects(nt.line(nt.iri("urn:s"), nt.iri("urn:p"), nt.double(value)))
    assert literal.datatype.value.endswith("#double")
    assert float(literal.value) == value and math.copysign(1, float(literal.value)) == math.copysign(1, value)


def test_special_doubles_integers_and_booleans_use_xsd_spellings():
    lines = "".join(nt.line(nt.iri("urn:s"), nt.iri("urn:p"), o) for o in (
        nt.double(math.nan), nt.double(math.inf), nt.double(-math.inf), nt.integer(42), nt.boolean(True),
        nt.boolean(False)))
    assert [o.value for o in parse_objects(lines)] == ["NaN", "INF", "-INF", "42", "true", "false"]


@pytest.mark.parametrize("bad", ["urn:a b", "urn:a>b", 'urn:"x"', "urn:a\nb", "urn:{x}"])
def test_an_iri_that_would_change_the_text_is_refused(bad):
    with pytest.raises(ValueError, match="not a valid IRI"):
        nt.iri(bad)


def test_a_multi_line_literal_is_one_line_and_a_datatype_is_checked():
    """term() keeps a rule's multi-line SPARQL on one line (data_operations splits by line); a datatype that
    would end the literal's IRI early is refused, not written."""
    from rdflib import Literal, URIRef

    text = "SELECT ?track WHERE {\n  ?track <urn:p> ?v0 .\n}"
    written = nt.term(Literal(text))
    assert "\n" not in written
    (literal,) = parse_objects(nt.line(nt.iri("urn:s"), nt.iri("urn:p"), written))
    assert literal.value == text
    with pytest.raises(ValueError, match="not a valid IRI"):
        nt.term(Literal("x", datatype=URIRef("http://a> } } ; DROP ALL ; #")))


def test_data_operations_tell_blank_nodes_from_text_that_looks_like_one():
    from rdflib import BNode, Literal, URIRef

    from whytag.kg.queries.build import data_operations

    s, p = URIRef("urn:s"), URIRef("urn:p")
    (delete,) = data_operations("DELETE", {"urn:g": [(s, p, Literal("a _:b")), (s, p, Literal("a_:b"))]})
    assert delete.startswith("DELETE DATA") and delete.count("_:b") == 2
    with pytest.raises(ValueError, match="cannot name blank nodes"):
        data_operations("DELETE", {"urn:g": [(s, p, BNode("b1"))]})
    inserted = data_operations("INSERT", {"urn:g": [(s, p, BNode("b1")), (s, p, Literal("x"))]})
    assert [op.split(" ", 1)[0] + " " + op.split(" ", 2)[1] for op in inserted] == ["INSERT DATA", "INSERT {"]
