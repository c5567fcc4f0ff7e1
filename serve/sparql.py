"""SPARQL 1.1 Protocol over the embedded Oxigraph store, with a per-query time limit and a result cap.

Queries run in a worker thread over the union of all graphs with whytag's prefixes predeclared. The
results are read row by row so that both limits are checked as they stream: a query past its time or
its cap stops and is answered with an HTTP error, and the server goes on serving. The time is the CPU
time of the query's own thread, so a query is not stopped for sharing the cores with others, however
many (#29: 150 of 200 concurrent half-second queries got 503 on the wall clock). (A query that works
long before yielding its first row, e.g. a large aggregate, is answered at the limit too, watched from
the server's event loop; its thread finishes in the background.)
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from whytag.kg.answers import OX_PREFIXES
from whytag.kg.federation import FederationError, check_remote_calls

RESULT_TYPES = {  # media type → name, for SELECT and ASK
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {  # media type → pyoxigraph format, for CONSTRUCT and DESCRIBE
    "text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
RESULT_CONTENT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                        "csv": "text/csv; charset=utf-8", "tsv": "text/tab-separated-values; charset=utf-8"}
FORMAT_PARAMS = {  # ?format= for browsers and clients that cannot set Accept
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv", None), "tsv": ("text/tab-separated-values", None),
    "turtle": (None, "text/turtle"), "jsonld": (None, "application/ld+json"),
    "ntriples": (None, "application/n-triples"),
}


class ProtocolError(Exception):
    """A request the endpoint refuses: an HTTP status and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Limits:
    """How long one query may run (CPU seconds of its thread; 0: no limit), how many rows or triples it may
    return, and the hosts its SERVICE clauses (or an update's LOADs) may contact: none unless the server was
    started naming them."""

    timeout: float = 10.0
    max_results: int = 100_000
    service_hosts: frozenset[str] = frozenset()


@dataclass
class Answer:
    """A serialized result: bytes, their content type and the HTTP status to send them with."""

    body: bytes
    media_type: str
    status: int = 200


def negotiate(accept: str | None, offers: list[str]) -> str | None:
    """The offer the Accept header prefers (q-values, then the header's order; `*/*` and `type/*`
    match the first offer of that kind); the first offer when there is no header; None if none fits."""
    if not accept or not accept.strip():
        return offers[0]
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(accept.split(",")):
        fields = [f.strip() for f in part.split(";")]
        wanted = fields[0].lower()
        q = next((quality(f) for f in fields[1:] if f[:2].lower() == "q="), 1.0)
        match = next((o for o in offers if wanted in (o, "*/*") or
                      (wanted.endswith("/*") and o.startswith(wanted[:-1]))), None)
        if match and q > 0 and (best is None or (q, -position) > best[:2]):
            best = (q, -position, match)
    return best[2] if best else None


def quality(param: str) -> float:
    """A `q=` parameter's weight, read leniently as RFC 9110 allows: an empty or malformed value (`q=`,
    `q=abc`) weighs 1 like no q at all, so the type stays acceptable; values past [0, 1] are clamped."""
    try:
        value = float(param[2:])
    except ValueError:
        return 1.0
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 1.0


def run_query(store: ox.Store, text: str, accept: str | None, limits: Limits, format_param: str | None = None,
              default_graphs: list[str] = (), named_graphs: list[str] = ()) -> Answer:
    """Evaluate a query and serialize its result as the client asked; raises ProtocolError."""
    _check_remote_calls(text, limits, update=False)
    deadline = time.thread_time() + limits.timeout if limits.timeout > 0 else None
    options = {"prefixes": OX_PREFIXES}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    else:
        options["use_default_graph_as_union"] = True
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        result = store.query(text, **options)
    except SyntaxError as err:
        raise ProtocolError(400, f"malformed query: {_one_line(err)}") from None
    except (OSError, ValueError) as err:
        raise ProtocolError(400, f"query failed: {_one_line(err)}") from None
    try:
        return _answer(result, accept, format_param, deadline, limits)
    except ProtocolError as err:
        failure = err.with_traceback(None)  # the traceback's frames hold the result, which must die here,
        failure.__context__ = None  # and so do those of an evaluation error it was raised from
    del result  # pyoxigraph results may only be dropped on the thread that made them
    raise failure


def _answer(result, accept: str | None, format_param: str | None, deadline: float | None, limits: Limits) -> Answer:
    """Read and serialize a query's result in the format the client asked for."""
    result_accept, graph_accept = FORMAT_PARAMS.get(format_param or "", (None, None))
    if isinstance(result, ox.QueryBoolean):
        kind = _choose(result_accept or accept, RESULT_TYPES)
        return Answer(_boolean(bool(result), kind), RESULT_CONTENT_TYPES[kind])
    if isinstance(result, ox.QuerySolutions):
        kind = _choose(result_accept or accept, RESULT_TYPES)
        variables = [v.value for v in result.variables]
        rows = _collect(result, deadline, limits)
        return Answer(SOLUTION_WRITERS[kind](variables, rows), RESULT_CONTENT_TYPES[kind])
    media_type = _choose(graph_accept or accept, {t: t for t in GRAPH_TYPES})
    triples = _collect(result, deadline, limits)
    body = ox.serialize(triples, format=GRAPH_TYPES[media_type], prefixes=OX_PREFIXES
                        if media_type == "text/turtle" else None)
    return Answer(body, f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type)


def run_update(store: ox.Store, text: str, limits: Limits) -> None:
    """Apply a SPARQL Update as one transaction; raises ProtocolError with the parser's message."""
    _check_remote_calls(text, limits, update=True)
    try:
        store.update(text, prefixes=OX_PREFIXES)
    except SyntaxError as err:
        raise ProtocolError(400, f"malformed update: {_one_line(err)}") from None
    except (OSError, ValueError) as err:
        raise ProtocolError(400, f"update failed: {_one_line(err)}") from None


def _check_remote_calls(text: str, limits: Limits, update: bool) -> None:
    """403 for a SERVICE or LOAD to a host the server was not started with: a client must not make the server
    send requests to other hosts, its own loopback and private network first among them."""
    try:
        check_remote_calls(text, limits.service_hosts, update)
    except FederationError as err:
        raise ProtocolError(403, str(err)) from None


def _choose(accept: str | None, types: dict[str, str]) -> str:
    chosen = negotiate(accept, list(types))
    if chosen is None:
        raise ProtocolError(406, f"cannot answer as {accept}; offered: {', '.join(types)}")
    return types[chosen]


def _collect(rows, deadline: float | None, limits: Limits) -> list:
    """Read a result iterator, stopping at the deadline or past the cap."""
    collected = []
    try:
        for row in rows:
            collected.append(row)
            if len(collected) > limits.max_results:
                raise ProtocolError(422, f"the result has more than {limits.max_results} rows, the server's cap "
                                         f"(--max-results); add a LIMIT or narrow the query")
            if deadline is not None and time.thread_time() > deadline:
                raise timeout_error(limits)
    except (OSError, ValueError) as err:  # evaluation errors surface while iterating
        raise ProtocolError(400, f"query failed: {_one_line(err)}") from None
    return collected


def timeout_error(limits: Limits) -> ProtocolError:
    """The answer to a query past the time limit: 503, so clients may retry a narrower one."""
    return ProtocolError(503, f"the query ran past the server's time limit of {limits.timeout:g} s of CPU "
                              f"(--query-timeout); narrow it or add a LIMIT", {"Retry-After": "1"})


def _one_line(err: Exception) -> str:
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
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
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
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
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
