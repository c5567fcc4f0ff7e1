"""A user's SPARQL text run on the embedded store and its answer written in a SPARQL 1.1 Protocol format.

What `whytag serve`'s /sparql needs from the store, kept here beside kg/store.py so that nothing outside kg
reaches pyoxigraph: SELECT and ASK answered as SPARQL JSON, XML, CSV or TSV, CONSTRUCT and DESCRIBE as
Turtle, JSON-LD, N-Triples or RDF/XML, over the union of all graphs (or the graphs a request names) with
whytag's prefixes predeclared beside the text (so error positions are those of the user's text). Rows are
read one at a time and both limits are checked as they stream: the CPU time of the calling thread and a
cap on the rows. Which format an answer takes is the caller's choice, made once the query's form is known
(`choose("results")` or `choose("graph")`: HTTP content negotiation stays in serve).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from whytag.errors import StoreError
from whytag.kg.namespaces import PREFIXES
from whytag.kg.operations import unfinished

OX_PREFIXES = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
RESULT_FORMATS = ("json", "xml", "csv", "tsv")  # for SELECT and ASK
GRAPH_FORMATS = {  # media type → pyoxigraph format, for CONSTRUCT and DESCRIBE
    "text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
GRAPH_MEDIA_TYPES = tuple(GRAPH_FORMATS)
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class Refused(StoreError):
    """A user's query or update the store would not answer; the subclass says why, the message how."""


class Malformed(Refused):
    """A text that does not parse, or fails while it is evaluated (the engine's message, in one line)."""


class TooManyRows(Refused):
    """An answer with more rows (or triples) than the caller's cap."""


class PastTimeLimit(Refused):
    """A query that used more CPU time than the caller allowed."""


def answer(store: ox.Store, text: str, choose: Callable[[str], str], cpu_seconds: float, max_rows: int,
           default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = ()) -> bytes:
    """A query's answer, serialized in the format `choose(form)` names for its form ("results": one of
    RESULT_FORMATS, "graph": one of GRAPH_MEDIA_TYPES); `cpu_seconds` ≤ 0: no time limit. Raises a `Refused`."""
    deadline = time.thread_time() + cpu_seconds if cpu_seconds > 0 else None
    options: dict[str, object] = {"prefixes": OX_PREFIXES}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        result = store.query(text, **options)
    except SyntaxError as err:
        raise Malformed(f"malformed query: {unfinished(text, _one_line(err))}") from None
    except (OSError, ValueError) as err:
        raise Malformed(f"query failed: {_one_line(err)}") from None
    try:
        return _serialized(result, choose, deadline, max_rows)
    except Exception as err:  # the caller's choice (406) too
        failure = err.with_traceback(None)  # the traceback's frames hold the result, which must die here,
        failure.__context__ = None  # and so do those of an evaluation error it was raised from
    del result  # pyoxigraph results may only be dropped on the thread that made them
    raise failure


def update(store: ox.Store, text: str) -> None:
    """Apply a user's SPARQL Update as one transaction; `Malformed` with the parser's message."""
    try:
        store.update(text, prefixes=OX_PREFIXES)
    except SyntaxError as err:
        raise Malformed(f"malformed update: {unfinished(text, _one_line(err))}") from None
    except (OSError, ValueError) as err:
        raise Malformed(f"update failed: {_one_line(err)}") from None


def serialize_triples(triples: list, media_type: str) -> bytes:
    """Triples (as the store gives them) in one of GRAPH_MEDIA_TYPES, with whytag's prefixes in Turtle."""
    return ox.serialize(triples, format=GRAPH_FORMATS[media_type],
                        prefixes=OX_PREFIXES if media_type == "text/turtle" else None)


def _serialized(result, choose: Callable[[str], str], deadline: float | None, max_rows: int) -> bytes:
    """Read a query's result within the limits and write it in the chosen format."""
    if isinstance(result, ox.QueryBoolean):
        return _boolean(bool(result), choose("results"))
    if isinstance(result, ox.QuerySolutions):
        kind = choose("results")
        variables = [v.value for v in result.variables]
        return SOLUTION_WRITERS[kind](variables, _collect(result, deadline, max_rows))
    return serialize_triples(_collect(result, deadline, max_rows), choose("graph"))


def _collect(rows, deadline: float | None, max_rows: int) -> list:
    """Read a result iterator, stopping at the deadline or past the cap."""
    collected = []
    try:
        for row in rows:
            collected.append(row)
            if len(collected) > max_rows:
                raise TooManyRows(f"the result has more than {max_rows} rows")
            if deadline is not None and time.thread_time() > deadline:
                raise PastTimeLimit("the query ran past its time limit")
    except (OSError, ValueError) as err:  # evaluation errors surface while iterating
        raise Malformed(f"query failed: {_one_line(err)}") from None
    return collected


def _one_line(err: Exception) -> str:
    """The engine's message, its lines joined (a parse error's position and its expectation)."""
    text = str(err).strip()
    return " ".join(text.split()) if text else type(err).__name__


def _json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {"subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


def _solutions_json(variables: list[str], rows: list) -> bytes:
    bindings = [{v: _json_term(row[v]) for v in variables if row[v] is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}).encode()


def _solutions_xml(variables: list[str], rows: list) -> bytes:
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    out += [f"<variable name={quoteattr(v)}/>" for v in variables]
    out.append("</head><results>")
    for row in rows:
        out.append("<result>")
        out += [f"<binding name={quoteattr(v)}>{_xml_term(row[v])}</binding>" for v in variables if row[v] is not None]
        out.append("</result>")
    out.append("</results></sparql>\n")
    return "".join(out).encode()


def _solutions_csv(variables: list[str], rows: list) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(variables)
    writer.writerows([["" if row[v] is None else row[v].value for v in variables] for row in rows])
    return out.getvalue().encode()


def _solutions_tsv(variables: list[str], rows: list) -> bytes:
    lines = ["\t".join(f"?{v}" for v in variables)]
    lines += ["\t".join("" if row[v] is None else str(row[v]) for v in variables) for row in rows]
    return ("\n".join(lines) + "\n").encode()


SOLUTION_WRITERS = {"json": _solutions_json, "xml": _solutions_xml, "csv": _solutions_csv, "tsv": _solutions_tsv}


def _boolean(value: bool, kind: str) -> bytes:
    if kind == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if kind == "xml":
        return (f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>\n").encode()
    return ("_askResult\n" if kind == "csv" else "?_askResult\n").encode() + (b"true\n" if value else b"false\n")
