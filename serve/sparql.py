"""SPARQL 1.1 Protocol over the embedded store (kg.protocol runs and serializes), with a per-query time limit
and a result cap.

Queries run in a worker thread over the union of all graphs with whytag's prefixes predeclared. The
results are read row by row so that both limits are checked as they stream: a query past its time or
its cap stops and is answered with an HTTP error, and the server goes on serving. The time is the CPU
time of the query's own thread, so a query is not stopped for sharing the cores with others, however
many (#29: 150 of 200 concurrent half-second queries got 503 on the wall clock). (A query that works
long before yielding its first row, e.g. a large aggregate, is answered at the limit too, watched from
the server's event loop; its thread finishes in the background.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from whytag.kg.federation import FederationError, check_remote_calls
from whytag.kg.protocol import GRAPH_MEDIA_TYPES, PastTimeLimit, Refused, TooManyRows
from whytag.kg.store import GraphStore

RESULT_TYPES = {  # media type → name, for SELECT and ASK
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = GRAPH_MEDIA_TYPES  # for CONSTRUCT and DESCRIBE
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


def run_query(store: GraphStore, text: str, accept: str | None, limits: Limits, format_param: str | None = None,
              default_graphs: list[str] = (), named_graphs: list[str] = ()) -> Answer:
    """Evaluate a query that has passed `refuse_remote_calls` and serialize its result as the client asked;
    raises ProtocolError."""
    result_accept, graph_accept = FORMAT_PARAMS.get(format_param or "", (None, None))
    content_type: list[str] = []

    def choose(form: str) -> str:
        """The format for the query's form ("results" or "graph") that the client's Accept (or ?format=)
        prefers, noting its content type; 406 if none fits."""
        if form == "graph":
            media_type = _choose(graph_accept or accept, {t: t for t in GRAPH_TYPES})
            content_type.append(f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type)
            return media_type
        kind = _choose(result_accept or accept, RESULT_TYPES)
        content_type.append(RESULT_CONTENT_TYPES[kind])
        return kind

    try:
        body = store.answer(text, choose, limits.timeout, limits.max_results, default_graphs, named_graphs)
    except PastTimeLimit:
        raise timeout_error(limits) from None
    except TooManyRows:
        raise ProtocolError(422, f"the result has more than {limits.max_results} rows, the server's cap "
                                 f"(--max-results); add a LIMIT or narrow the query") from None
    except Refused as err:
        raise ProtocolError(400, str(err)) from None
    return Answer(body, content_type[0])


def run_update(store: GraphStore, text: str, limits: Limits) -> None:
    """Apply a SPARQL Update as one transaction; raises ProtocolError with the parser's message."""
    refuse_remote_calls(text, limits, update=True)
    try:
        store.apply_update(text)
    except Refused as err:
        raise ProtocolError(400, str(err)) from None


def refuse_remote_calls(text: str, limits: Limits, update: bool = False) -> None:
    """403 for a SERVICE or LOAD to a host the server was not started with: a client must not make the server
    send requests to other hosts, its own loopback and private network first among them. Decided by the text
    alone, before a query's time limit starts, so the answer never depends on the server's load."""
    try:
        check_remote_calls(text, limits.service_hosts, update)
    except FederationError as err:
        raise ProtocolError(403, str(err)) from None


def _choose(accept: str | None, types: dict[str, str]) -> str:
    chosen = negotiate(accept, list(types))
    if chosen is None:
        raise ProtocolError(406, f"cannot answer as {accept}; offered: {', '.join(types)}")
    return types[chosen]


def timeout_error(limits: Limits) -> ProtocolError:
    """The answer to a query past the time limit: 503, so clients may retry a narrower one."""
    return ProtocolError(503, f"the query ran past the server's time limit of {limits.timeout:g} s of CPU "
                              f"(--query-timeout); narrow it or add a LIMIT", {"Retry-After": "1"})
