"""The Starlette app behind `whytag serve`: /sparql, the pages, and every IRI under the base by path.

Routes: `/sparql` (SPARQL 1.1 Protocol: query by GET or POST, update by POST with the bearer token),
`/` (the catalog: serve/catalog.py), `/query` (a form over /sparql), `/resource?iri=IRI` (any IRI), `/audio/P`
(the audio file ingested for the track whose page is at /P, found in the store), and any other path
P, which is the IRI base + P (so `<urn:whytag:track/…>` is at `/track/…`). Pages answer HTML to
browsers and Turtle, JSON-LD or N-Triples to clients that ask for them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from pathlib import Path

import anyio
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from whytag.errors import first_line
from whytag.kg.iris import DEFAULT_BASE, iri_problem
from whytag.kg.namespaces import PREFIXES, SKOS, WT, prefixed_name
from whytag.kg.protocol import serialize_triples
from whytag.kg.queries import documented
from whytag.kg.store import GraphStore, StoreError
from whytag.serve.cache import Kept, UnderWay
from whytag.serve.catalog import Catalog, CatalogError, View
from whytag.serve.chart import by_family, position_bar
from whytag.serve.links import AUDIO, audio_url, page_number, page_url
from whytag.serve.pages import AudioNotFound, Iri, PageError, Reader
from whytag.serve.sparql import (
    GRAPH_TYPES,
    Answer,
    Limits,
    ProtocolError,
    negotiate,
    refuse_remote_calls,
    run_query,
    run_update,
    timeout_error,
)
from whytag.serve.waterfall import mini_waterfall, waterfall

LOG = logging.getLogger("whytag")
TEMPLATES = Path(__file__).parent / "templates"
PAGE_TYPES = ["text/html", *GRAPH_TYPES]
QUERY_TYPES = ("application/sparql-query", "application/sparql-update")
# a query calling these answers differently each time, so its answer is never kept (a mention in a string
# or comment only costs the keeping)
FRESH_EACH_TIME = re.compile(r"\b(RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
QUERY_THREADS = 16  # queries running at once; runaway ones fill these, never the threads that render pages
# pages rendered at once: a page is ~1.5 ms of CPU but a dozen waits for the GIL beside busy threads, so pages
# need more threads than cores; more than these lengthen the /sparql queries queued behind them (bench/serve.py,
# 2 cores, 32 clients: 4 threads: track page p50 121-137 ms, queries' p99 ≤ 51; 6: 53-60 and 66-95; 8: 45-50
# and 87-108)
PAGE_THREADS = max(6, 3 * (os.cpu_count() or 1))
WALL_FACTOR = 10  # a query using little CPU (waiting on an allowed SERVICE endpoint) stops at 10 × the time limit
WATCH_SECONDS = 0.05  # how often a running query's CPU time is read


@dataclass(frozen=True)
class Settings:
    """What `whytag serve` was started with."""

    limits: Limits = Limits()
    update_token: str | None = None
    base: str = DEFAULT_BASE
    cache_mb: float = 64.0  # query answers kept until an update (0: none)
    first_pages: bool = True  # draw the tag, rule and feature pages' first pages each time the catalog is read


def create_app(graph: GraphStore, settings: Settings = Settings(), report: Callable[[str], None] = lambda _: None,
               settled: Callable[[], None] = lambda: None) -> Starlette:
    """The app over an open embedded store; raises StoreError for a remote endpoint (serve that directly). `report`
    hears what it reads in the background at its start (the command prints it on stderr); `settled` is called each
    time the catalog is read, at the start and after an update (the command freezes the GC's view of what it read)."""
    if not graph.embedded:
        raise StoreError(f"{graph.location}: whytag serve needs an embedded store; this is already a SPARQL endpoint")
    answers = Kept(int(settings.cache_mb * 2**20), size=lambda answer: len(answer.body))
    updates = [0]  # the server's own updates so far: a drawing of first pages stops at the next one
    first = threading.Condition()  # notified as each drawing of first pages ends (tests wait on it)
    drawings = [0]  # drawings of first pages ended so far

    def read_anew() -> None:
        """The catalog read anew (at the start, after an update): `settled`, then its first pages drawn."""
        settled()
        if settings.first_pages and answers.capacity > 0:
            threading.Thread(target=draw_first_pages, args=(updates[0],), name="whytag-first-pages",
                             daemon=True).start()

    catalog = Catalog(graph, partial(page_url, base=settings.base), read_anew)
    reader = Reader(graph, settings.base, catalog)
    reader.warm(start=True)
    query_threads, page_threads = anyio.CapacityLimiter(QUERY_THREADS), anyio.CapacityLimiter(PAGE_THREADS)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.auto_reload = False  # the templates ship with the package: no stat of each file per page
    templates.env.filters["href"] = reader.href
    templates.env.filters["short"] = prefixed_name
    templates.env.tests["iri"] = lambda value: isinstance(value, Iri)
    templates.env.filters["position"] = lambda bar: Markup(position_bar(bar))
    templates.env.filters["mini"] = lambda explanation: Markup(mini_waterfall(explanation))

    drawing = UnderWay("a page")  # pages being drawn now
    running = UnderWay("a query's answer", expected=(ProtocolError,))  # keepable queries' answers being made now

    async def drawn(request: Request, key: Hashable, draw: Callable[[], Answer]) -> Answer:
        """The page `draw` makes, drawn in a page thread and kept if it fits; a request for a page being drawn awaits
        that one, on the event loop, instead of holding a page thread to wait in. A draw that fails is one line in the
        log (UnderWay's) and a 500 saying why to each request awaiting it (each was a traceback in the log)."""
        try:
            return await drawing.get(key, partial(anyio.to_thread.run_sync, answers.get, key, draw,
                                                  limiter=page_threads))
        except Exception as err:  # noqa: BLE001 - logged once by `drawing`; this request is answered with it
            return problem(request, 500, f"the server failed to answer: {first_line(err)}")

    def html(request: Request, name: str, context: dict, status: int = 200) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status, headers={"Vary": "Accept"})

    def problem(request: Request, status: int, reason: str, page: bool = False) -> Answer:
        """A 4xx/5xx answer with its one-line reason: an HTML page where the pages would answer HTML (the Accept
        header prefers it, or only a `page` is offered: the catalog), plain text for any other client."""
        if not page and negotiate(request.headers.get("accept"), PAGE_TYPES) != "text/html":
            return Answer(f"{reason}\n".encode(), "text/plain; charset=utf-8", status)
        response = html(request, "problem.html", {"reason": reason, "status": status,
                                                  "phrase": HTTPStatus(status).phrase}, status=status)
        return Answer(response.body, response.headers["content-type"], status)

    def answered(answer: Answer) -> Response:
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type,
                        headers={"Vary": "Accept"})

    async def failed(request: Request, err: Exception) -> Response:
        """An unexpected failure while answering: a 500 with its first line (the traceback goes to the log)."""
        return answered(problem(request, 500, f"the server failed to answer: {first_line(err)}"))

    async def sparql(request: Request) -> Response:
        if request.method == "GET" and not request.query_params and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/query", status_code=303)  # a browser opening the endpoint gets the form
        try:
            kind, text, params = await _read_operation(request)
            if kind == "update":
                _authorize(request, settings.update_token)
                await anyio.to_thread.run_sync(run_update, graph, text, settings.limits)
                updates[0] += 1
                reader.changed()
                catalog.changed()
                answers.clear()
                drawing.forget()  # a request after the update draws its page anew, not awaiting one from before
                running.forget()  # and answers its query anew
                return Response(status_code=204)
            return await _answer_query(graph, text, request, params, settings.limits, query_threads, answers, running)
        except ProtocolError as err:
            return PlainTextResponse(f"{err}\n", status_code=err.status, headers=err.headers)

    async def catalog_page(request: Request) -> Response:
        """A catalog page, kept like a track page until the server's own update (a kept one is answered
        without a page thread: rendering one takes longer than choosing its rows)."""
        key = ("catalog", tuple(request.query_params.multi_items()))
        kept = answers.peek(key) or await drawn(request, key, lambda: catalog_answer(request))
        return Response(kept.body, status_code=kept.status, media_type=kept.media_type)

    def catalog_answer(request: Request) -> Answer:
        params: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            params.setdefault(name, []).append(value)
        try:
            response = html(request, "catalog.html", catalog.page(View.read(params)))
        except CatalogError as err:  # a bad parameter: its reason in one line, never a traceback
            return problem(request, err.status, str(err), page=True)
        return Answer(response.body, response.headers["content-type"], response.status_code)

    async def query_page(request: Request) -> Response:
        examples = documented()
        return html(request, "query.html", {"examples": examples, "prefixes": PREFIXES,
                                            "limits": settings.limits, "query": request.query_params.get("query", "")})

    async def resource(request: Request) -> Response:
        iri = request.query_params.get("iri", "").strip()
        if not iri:
            return answered(problem(request, 400, "give the IRI as ?iri=…"))
        return await describe(request, iri)

    async def audio(request: Request) -> Response:
        """A track's ingested file, with HTTP Range (Starlette's FileResponse: 206, Content-Range, 416). The
        request names the track only; the file's path comes from the store."""
        try:
            path, media_type = await anyio.to_thread.run_sync(
                reader.audio_file, settings.base + request.path_params["path"], limiter=page_threads)
        except AudioNotFound as err:
            return answered(problem(request, 404, str(err)))
        return FileResponse(path, media_type=media_type, content_disposition_type="inline")

    async def by_path(request: Request) -> Response:
        return await describe(request, settings.base + request.path_params["path"])

    async def describe(request: Request, iri: str) -> Response:
        """An IRI's page, or its triples in the format asked for; 404 when no triple mentions it. Kept, like
        query answers, until the server's own update (a track page drawn before the catalog's ranges were
        read is kept apart from one drawn after); a kept one is answered without a page thread."""
        wanted = negotiate(request.headers.get("accept"), PAGE_TYPES)
        if wanted is None:
            return PlainTextResponse(f"cannot answer as {request.headers.get('accept')}; offered: "
                                     f"{', '.join(PAGE_TYPES)}\n", status_code=406)
        try:
            number = _page_number(request)
        except PageError as err:
            return answered(problem(request, err.status, str(err)))
        key = page_key(iri, wanted, number)
        kept = answers.peek(key)  # a bad IRI is never kept, so a kept page needs no check
        if kept is not None:
            return answered(kept)
        wrong = iri_problem(iri)  # the binder's own check: what passes here, every named query takes
        if wrong:
            shown = iri if iri.isprintable() else repr(iri)  # one line, whatever the request held
            return answered(problem(request, 400, f"not an IRI: {shown}: {wrong}"))
        return answered(await drawn(request, key, lambda: describe_as(request, iri, wanted, number)))

    def describe_as(request: Request, iri: str, wanted: str, number: int) -> Answer:
        if wanted != "text/html":
            triples = reader.triples(iri)
            if not triples:
                return problem(request, 404, f"{iri}: no triple in the graph mentions it")
            return Answer(serialize_triples(triples, wanted), wanted)
        own = reader.about(iri)  # read once: the heading's and (a track's) the page's
        types, label = reader.heading(iri, own)
        if not types and not reader.mentioned(iri):
            return problem(request, 404, f"{iri}: no triple in the graph mentions it")
        try:
            response = page(request, iri, types, label, number, own)
        except PageError as err:
            return problem(request, err.status, str(err), page=True)
        return Answer(response.body, response.headers["content-type"])

    def page(request: Request, iri: str, types: set[Iri], label: str, number: int, own: list[tuple]) -> Response:
        """The HTML page fitting the IRI's type: track, tag, rule, feature, or the generic one (`own`: the quads about
        the IRI, Reader.about's)."""
        context = {"iri": Iri(iri), "label": label}
        if WT.Track in types:
            data = reader.track(iri, own)
            families, folded = by_family(data["bars"])
            return html(request, "track.html", {
                **context, **data, "families": families, "folded": folded,
                "audio": audio_url(iri, settings.base) if data["meta"].get("path") else None,
                "waterfalls": {e.tag: Markup(waterfall(e, reader.href)) for e in data["explanations"]}})
        if SKOS.Concept in types:
            return html(request, "tag.html", {**context, **reader.tag(iri, number)})
        if WT.Rule in types:
            return html(request, "rule.html", {**context, **reader.rule(iri, number)})
        if WT.Feature in types:
            return html(request, "feature.html", {**context, **reader.feature(iri)})
        return html(request, "resource.html", {**context, "types": sorted(types, key=str),
                                               **reader.resource(iri, types)})

    def page_key(iri: str, wanted: str, number: int) -> tuple:
        """Where a page is kept: a request's and the first pages' drawing must agree (whether the feature ranges are
        read yet is part of it)."""
        return ("page", iri, wanted, number, reader.ranged())

    def draw_first_pages(since: int) -> None:
        """Every tag's, rule's and feature's first page, drawn and kept while the kept answers fill under half their
        memory, so that no visitor waits for one: the first visitors of a tag page waited ~250 ms for its draw, the
        p99 of every tag page in bench/serve.py (32 clients). Stops at an update (the catalog's next read draws them);
        reports how long it took at the start (`since` no update)."""
        started, count = time.perf_counter(), 0
        try:
            reader.ranges()  # (a page's key says whether they are read: the same key as a request's after them)
            pages = [*catalog.index().tagged, *(rule.iri for rule in reader.rules()), *reader.ranges()]
            blank = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []})
            for iri in pages:
                if updates[0] != since or answers.held > answers.capacity // 2:
                    break
                key = page_key(iri, "text/html", 1)
                answers.get(key, partial(describe_as, blank, iri, "text/html", 1))
                if answers.peek(key) is None:  # too large to keep (or an update came): drawing more only costs
                    break
                count += 1
        except Exception as err:  # noqa: BLE001 - no request to answer: logged; a visitor draws the page instead
            LOG.warning(f"whytag serve: drawing the first pages failed: {first_line(err)} (each is drawn when asked)")
        if since == 0:
            report(f"first pages drawn: {count} of tags, rules and features in {time.perf_counter() - started:.1f} s "
                   f"({answers.held / 2**20:.1f} MB kept)")
        with first:
            drawings[0] += 1
            first.notify_all()

    routes = [
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/", catalog_page),
        Route("/query", query_page),
        Route("/resource", resource),
        Route(AUDIO + "{path:path}", audio),
        Route("/{path:path}", by_path),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: failed})
    app.state.query_threads = query_threads  # how many queries run and wait (the tests read it)
    app.state.reader = reader  # whether the feature ranges are read yet (bench/pages_alone.py waits for them)
    app.state.first_pages = first, drawings  # the drawings of first pages ended so far, and their Condition
    catalog.warm(report)  # last: its end draws the first pages, with what is defined above
    return app


async def _read_operation(request: Request) -> tuple[str, str, dict[str, list[str]]]:
    """("query" or "update", its text, the protocol parameters) from a GET, a form POST or a direct POST."""
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in QUERY_TYPES:
            text = (await request.body()).decode("utf-8", "replace")
            return ("query" if content_type == QUERY_TYPES[0] else "update"), text, params
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            async with request.form() as form:
                for key, value in form.multi_items():
                    params.setdefault(key, []).append(str(value))
        else:
            raise ProtocolError(415, f"POST a form, application/sparql-query or application/sparql-update, "
                                     f"not {content_type or 'no content type'}")
    queries, updates = params.get("query", []), params.get("update", [])
    if request.method == "GET" and updates:
        raise ProtocolError(400, "updates must be POSTed")
    if len(queries) + len(updates) != 1:
        raise ProtocolError(400, "give exactly one 'query' or 'update' parameter")
    return ("query", queries[0], params) if queries else ("update", updates[0], params)


def _authorize(request: Request, token: str | None) -> None:
    """Updates need the server's --update-token as a bearer token; without one they are off."""
    if token is None:
        raise ProtocolError(403, "this endpoint is read-only (start whytag serve with --update-token to allow updates)")
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise ProtocolError(401, "updates need 'Authorization: Bearer <the server's update token>'",
                            {"WWW-Authenticate": 'Bearer realm="whytag"'})


async def _answer_query(store: GraphStore, text: str, request: Request, params: dict[str, list[str]],
                        limits: Limits, limiter: anyio.CapacityLimiter, answers: Kept, running: UnderWay) -> Response:
    """Answer a kept query at once, else run it in a worker thread once one is free; past the time limit (the
    thread's CPU seconds, not the time since the request's arrival) answer 503 without waiting. Requests for a
    keepable query under way await it on the event loop, holding no query thread, and get its answer or its error
    (32 identical cold queries took 16 query threads, 15 of them to wait in)."""
    accept = request.headers.get("accept")
    format_param = (params.get("format") or params.get("output") or [None])[0]
    graphs = params.get("default-graph-uri", []), params.get("named-graph-uri", [])
    key = None if FRESH_EACH_TIME.search(text) else (text, accept, format_param, *map(tuple, graphs))
    kept = None if key is None else answers.peek(key)
    if kept is not None:  # answered here, without a query thread
        return Response(kept.body, media_type=kept.media_type)

    def work():
        if key is None:
            return run_query(store, text, accept, limits, format_param, *graphs)
        return answers.get(key, lambda: run_query(store, text, accept, limits, format_param, *graphs))

    async def answer_now() -> Answer:
        async with limiter:  # waiting for a query thread is queueing, not running: the time limit starts after it
            return await _within_limit(partial(refuse_remote_calls, text, limits), work, limits)

    if key is None:
        answer = await answer_now()
    else:
        try:
            answer = await running.get(key, answer_now)
        except ProtocolError:
            raise
        except Exception as err:  # noqa: BLE001 - logged once by `running`, however many requests awaited it
            return PlainTextResponse(f"the server failed to answer: {first_line(err)}\n", status_code=500)
    return Response(answer.body, media_type=answer.media_type)


async def _within_limit(check: Callable[[], None], work: Callable[[], Answer], limits: Limits) -> Answer:
    """Run `check` and then `work` on one worker thread (the check first: a 403 decided by the query's text alone,
    before the time limit starts, whatever the load). Once `work`'s thread has used the time limit in CPU seconds
    (its own: time spent sharing the cores with other queries does not count) or WALL_FACTOR times it on the clock
    (a query waiting on an allowed SERVICE endpoint), raise the 503 at once and leave the thread to finish in the
    background; with no limit, wait for it.

    The thread comes from anyio's default pool, which the query threads' limiter keeps from filling; an abandoned
    runaway gives its place back like a finished query. Watched with asyncio's own wait, not a task group: anyio's
    cancel scopes cost a query more of the event loop's time than the query itself (~0.15 ms, a Task's repr each)."""
    clock: list[tuple[Callable[[], float], float, float]] = []  # the thread's CPU clock, its reading, the time

    def timed() -> Answer:
        check()
        read = _thread_clock()
        clock.append((read, read(), time.monotonic()))
        return work()

    if limits.timeout <= 0:
        return await anyio.to_thread.run_sync(timed)
    running = asyncio.ensure_future(anyio.to_thread.run_sync(timed, abandon_on_cancel=True))
    try:
        while not (await asyncio.wait([running], timeout=WATCH_SECONDS))[0]:
            if clock and (clock[0][0]() - clock[0][1] > limits.timeout + 0.5
                          or time.monotonic() - clock[0][2] > WALL_FACTOR * limits.timeout):
                raise timeout_error(limits)
        return running.result()
    finally:
        running.cancel()  # past the limit (or the client gone): the thread finishes alone, its answer dropped


def _thread_clock() -> Callable[[], float]:
    """The calling thread's CPU time, readable from any thread (the wall clock where threads have no CPU clocks)."""
    if not hasattr(time, "pthread_getcpuclockid"):
        return time.monotonic
    return partial(time.clock_gettime, time.pthread_getcpuclockid(threading.get_ident()))


def _page_number(request: Request) -> int:
    """The `?page=` asked for, counted from 1 as on the catalog (1 when none); PageError (400) for anything else."""
    given = request.query_params.get("page", "1")
    number = page_number(given)
    if number is None:
        raise PageError(400, f"page={given}: pages are numbered 1, 2, 3 …")
    return number
