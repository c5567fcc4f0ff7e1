"""Answers kept between requests: bounded, least recently used dropped first, forgotten on an update."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from serve_testing import HUNG, make_app, serving

from whytag.serve.cache import Kept


def test_kept_answers_are_reused_evicted_by_size_and_forgotten_on_clear():
    reads = []

    def read(value):
        return lambda: reads.append(value) or value

    kept = Kept(10, size=len)
    assert kept.get("a", read("xxxx")) == "xxxx" and kept.get("a", read("other")) == "xxxx"
    kept.get("b", read("yyyy"))
    kept.get("a", read("zz"))  # a used last: b is the one dropped when c needs room
    kept.get("c", read("cccc"))
    assert kept.get("b", read("yyyy2")) == "yyyy2"
    assert kept.get("far too big", read("w" * 11)) == "w" * 11 and reads.count("w" * 11) == 1
    kept.get("far too big", read("w" * 11))
    assert reads.count("w" * 11) == 2, "an answer larger than the whole cache is never kept"
    kept.clear()
    assert kept.get("a", read("fresh")) == "fresh"
    assert reads == ["xxxx", "yyyy", "cccc", "yyyy2", "w" * 11, "w" * 11, "fresh"]


def test_the_endpoint_answers_a_repeated_query_from_memory_but_never_stale(client):
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:test:kept> { ?s ?p ?o } }", "format": "csv"}
    auth = {"Authorization": "Bearer s3cret"}
    assert client.get("/sparql", params=query).text.split() == ["n", "0"]
    assert client.post("/sparql",
                       data={"update": "INSERT DATA { GRAPH <urn:test:kept> { <urn:test:a> <urn:test:b> 1 } }"},
                       headers=auth).status_code == 204
    try:
        assert client.get("/sparql", params=query).text.split() == ["n", "1"]
        bindings = client.get("/sparql", params={**query, "format": "json"}).json()["results"]["bindings"]
        assert bindings[0]["n"]["value"] == "1"
    finally:
        client.post("/sparql", data={"update": "DROP GRAPH <urn:test:kept>"}, headers=auth)
    assert client.get("/sparql", params=query).text.split() == ["n", "0"]


def test_concurrent_askers_of_one_answer_read_it_once():
    import threading
    import time

    reads = []

    def slow():
        reads.append(1)
        time.sleep(0.2)
        return "answer"

    kept = Kept(10, size=len)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(kept.get("k", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["answer"] * 8 and len(reads) == 1


def test_an_answer_read_across_a_clear_is_not_kept():
    kept = Kept(100)
    assert kept.get("k", lambda: kept.clear() or "read before the update") == "read before the update"
    assert kept.get("k", lambda: "after") == "after"


def test_a_read_asked_after_a_clear_does_not_await_one_under_way_from_before_it():
    kept, answers = Kept(100), []
    reading, release, done = threading.Event(), threading.Event(), threading.Event()

    def before():
        reading.set()
        release.wait(HUNG)  # released by the test; the bound only ends a run that awaits this read
        done.set()
        return "read before the update"
    thread = threading.Thread(target=lambda: answers.append(kept.get("k", before)))
    thread.start()
    try:
        assert reading.wait(HUNG)
        kept.clear()
        assert kept.get("k", lambda: "after") == "after" and not done.is_set()  # read anew, not awaited
    finally:
        release.set()
        thread.join()
    assert answers == ["read before the update"] and kept.get("k", lambda: "again") == "after"


def test_a_query_with_a_random_or_fresh_value_is_answered_afresh(client):
    query = {"query": "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}", "format": "csv"}
    answers = {client.get("/sparql", params=query).text for _ in range(3)}
    assert len(answers) == 3


def test_a_page_is_drawn_once_until_an_update_changes_what_it_shows(client, monkeypatch):
    from whytag.serve.pages import Reader

    track, drawn, read = "urn:whytag:track/synthetic/t2", [], Reader.track
    monkeypatch.setattr(Reader, "ranged", lambda self: True)  # (the key of a page drawn once the ranges are read)
    monkeypatch.setattr(Reader, "track", lambda self, iri, own=None: drawn.append(iri) or read(self, iri, own))
    page = {"iri": track}
    first = client.get("/resource", params=page)
    assert first.status_code == 200 and client.get("/resource", params=page).text == first.text and len(drawn) == 1
    assert client.get("/resource", params=page, headers={"Accept": "text/turtle"}).status_code == 200
    assert len(drawn) == 1, "a machine's format is not the HTML page: the page is not drawn for it"
    auth = {"Authorization": "Bearer s3cret"}
    insert = f"INSERT DATA {{ GRAPH <urn:test:kept> {{ <{track}> skos:prefLabel 'A kept page, relabelled' }} }}"
    assert client.post("/sparql", data={"update": insert}, headers=auth).status_code == 204
    try:
        assert "A kept page, relabelled" in client.get("/resource", params=page).text and len(drawn) == 2
    finally:
        client.post("/sparql", data={"update": "DROP GRAPH <urn:test:kept>"}, headers=auth)
    assert "A kept page, relabelled" not in client.get("/resource", params=page).text


def ranges_read(app) -> threading.Semaphore:
    """Wait until the app has read the catalog's ranges (a page's key says whether they are read, so every request
    after it has the same key); a semaphore for `counted`."""
    deadline = time.monotonic() + HUNG
    while not app.state.reader.ranged():
        assert time.monotonic() < deadline, "the catalog's ranges were not read"
        time.sleep(0.05)
    return threading.Semaphore(0)


def counted(arrived: threading.Semaphore):
    """`Reader.ranged` releasing `arrived` once per page request: the server asks it as it makes the request's key,
    and then, with no await between, waits for the page being drawn under that key or draws it."""
    from whytag.serve.pages import Reader

    ranged = Reader.ranged

    def ranged_and_counted(reader) -> bool:
        arrived.release()
        return ranged(reader)
    return ranged_and_counted


def test_requests_for_a_page_being_drawn_await_it_without_holding_the_page_threads(tagged_store, monkeypatch):
    """More requests for one rule page than there are page threads, while it is drawn: it is drawn once, every one
    gets it, and another rule page and a track page asked meanwhile are answered (those waiting hold no thread)."""
    from whytag.serve.app import PAGE_THREADS
    from whytag.serve.pages import Reader

    rules = tagged_store.rows("SELECT ?r WHERE { ?r a wt:Rule } ORDER BY ?r LIMIT 2")
    held_rule, other_rule = (str(r) for (r,) in rules)
    drawing, release, draws, drawn = threading.Event(), threading.Event(), [], Reader.rule

    def held(reader, iri, number):  # the real page, drawn once the test says so
        draws.append(iri)
        if iri == held_rule:
            drawing.set()
            release.wait(HUNG)
        return drawn(reader, iri, number)
    monkeypatch.setattr(Reader, "rule", held)
    app = make_app(tagged_store)
    arrived = ranges_read(app)  # a page's key says whether the ranges are read: one key for all
    monkeypatch.setattr(Reader, "ranged", counted(arrived))
    with serving(tagged_store, app) as url, ThreadPoolExecutor(PAGE_THREADS + 4) as pool:
        asked = [pool.submit(httpx.get, f"{url}/resource", params={"iri": held_rule}, timeout=HUNG)
                 for _ in range(PAGE_THREADS + 4)]
        try:
            assert drawing.wait(HUNG) and all(arrived.acquire(timeout=HUNG) for _ in asked), "not all arrived"
            other = httpx.get(f"{url}/resource", params={"iri": other_rule}, timeout=HUNG)
            track = httpx.get(f"{url}/track/synthetic/t1", timeout=HUNG)
        finally:
            release.set()
        answers = [future.result() for future in asked]
    assert other.status_code == 200 and track.status_code == 200 and "waterfall" in track.text
    assert [a.status_code for a in answers] == [200] * len(answers) and len({a.text for a in answers}) == 1
    assert draws == [held_rule, other_rule]


def test_a_page_whose_draw_fails_fails_every_waiter_once_and_is_drawn_anew_next_time(tagged_store, monkeypatch):
    """Requests awaiting a rule page whose draw raises all get the 500 saying why (none hangs), from one draw, and
    the log has one line for it (it had a traceback a request, from uvicorn); the next request draws it again (the
    failed draw is not kept, nor awaited) and gets the page."""
    from whytag.serve.pages import Reader

    (rule,) = tagged_store.rows("SELECT ?r WHERE { ?r a wt:Rule } ORDER BY ?r LIMIT 1")[0]
    release, draws, drawn = threading.Event(), [], Reader.rule

    def failing(reader, iri, number):  # the first draw fails once the test says so; later ones are the real page
        draws.append(iri)
        if len(draws) == 1:
            release.wait(HUNG)
            raise RuntimeError("the draw broke")
        return drawn(reader, iri, number)
    monkeypatch.setattr(Reader, "rule", failing)
    app = make_app(tagged_store)
    arrived = ranges_read(app)  # one key for all (see the test above)
    monkeypatch.setattr(Reader, "ranged", counted(arrived))
    logged = Logged()
    with serving(tagged_store, app) as url, ThreadPoolExecutor(4) as pool, logged.from_("whytag", "uvicorn"):
        asked = [pool.submit(httpx.get, f"{url}/resource", params={"iri": str(rule)}, timeout=HUNG)
                 for _ in range(4)]
        try:
            assert all(arrived.acquire(timeout=HUNG) for _ in asked), "the requests did not arrive"
        finally:
            release.set()
        answers = [future.result() for future in asked]
        again = httpx.get(f"{url}/resource", params={"iri": str(rule)}, timeout=HUNG)
    assert [a.status_code for a in answers] == [500] * 4 and all("the draw broke" in a.text for a in answers)
    assert again.status_code == 200 and len(draws) == 2
    assert [line.split(" (('page'")[0] for line in logged.lines] == [
        "whytag serve: making a page failed (4 requests awaiting it answered 500): the draw broke"]
    assert not logged.tracebacks


class Logged(logging.Handler):
    """The records of the loggers named, while `from_` is entered: their messages, and whether any had a traceback
    (uvicorn's own loggers do not reach the root logger, where caplog listens)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.tracebacks = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.tracebacks += record.exc_info is not None

    @contextlib.contextmanager
    def from_(self, *names: str):
        loggers = [logging.getLogger(name) for name in names]
        for logger in loggers:
            logger.addHandler(self)
        try:
            yield self
        finally:
            for logger in loggers:
                logger.removeHandler(self)


def test_a_draw_that_fails_after_every_request_left_is_one_logged_line_not_asyncio_noise(tagged_store, monkeypatch,
                                                                                           caplog):
    """The one request for a rule page goes away (its task cancelled) while the page is drawn, then the draw fails:
    one line says so, and asyncio does not log "Task exception was never retrieved" with a traceback when the draw
    is collected. The app is called in-process (httpx's ASGI transport), so cancelling the client cancels the
    request."""
    from whytag.serve.pages import Reader

    (rule,) = tagged_store.rows("SELECT ?r WHERE { ?r a wt:Rule } ORDER BY ?r LIMIT 1")[0]
    release, draws = threading.Event(), []

    def failing(reader, iri, number):  # waits until the test says so, then fails
        draws.append(iri)
        release.wait(20)
        raise RuntimeError("the draw broke")
    monkeypatch.setattr(Reader, "rule", failing)
    app = make_app(tagged_store)
    while not app.state.reader.ranged():  # one key for the page (see the tests above)
        time.sleep(0.05)
    said = "whytag serve: making a page failed after every request for it had left: the draw broke"

    async def leave_then_fail() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://whytag") as asgi:
            asking = asyncio.ensure_future(asgi.get("/resource", params={"iri": str(rule)}))
            deadline = time.monotonic() + 10
            while not draws and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            asking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asking
            release.set()
            while not any(said in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)

    caplog.set_level(logging.WARNING)
    asyncio.run(leave_then_fail())
    gc.collect()  # where asyncio logs a task's exception that nobody retrieved
    logged = [r.getMessage() for r in caplog.records]
    assert draws == [str(rule)] and not [line for line in logged if "never retrieved" in line]
    assert len(logged) == 1 and logged[0].startswith(said + " (('page', ")


def test_a_page_drawn_across_an_update_is_neither_awaited_nor_kept_after_it(tagged_store, monkeypatch):
    """A track page whose draw began before an update: a request after the update draws the page anew (it does not
    await the one under way) and shows the change, and the page drawn before it is not kept for later requests."""
    from whytag.serve.pages import Reader

    track, label = "urn:whytag:track/synthetic/t3", "Relabelled while drawn"
    drawing, release, draws, read = threading.Event(), threading.Event(), [], Reader.track

    def held(reader, iri, own=None):  # the first draw waits, having read its heading, until the test says so
        draws.append(iri)
        if len(draws) == 1:
            drawing.set()
            release.wait(HUNG)
        return read(reader, iri, own)
    monkeypatch.setattr(Reader, "track", held)
    monkeypatch.setattr(Reader, "ranged", lambda self: True)  # one key for every request
    auth = {"Authorization": "Bearer s3cret"}
    with serving(tagged_store) as url, ThreadPoolExecutor(1) as pool:
        before = pool.submit(httpx.get, f"{url}/resource", params={"iri": track}, timeout=HUNG)
        assert drawing.wait(HUNG), "the first draw did not begin"
        insert = f"INSERT DATA {{ GRAPH <urn:test:drawn> {{ <{track}> skos:prefLabel '{label}' }} }}"
        try:
            assert httpx.post(f"{url}/sparql", data={"update": insert}, headers=auth,
                              timeout=HUNG).status_code == 204
            after = httpx.get(f"{url}/resource", params={"iri": track}, timeout=HUNG)
            release.set()
            assert before.result().status_code == 200
            later = httpx.get(f"{url}/resource", params={"iri": track}, timeout=HUNG)
        finally:
            release.set()
            httpx.post(f"{url}/sparql", data={"update": "DROP GRAPH <urn:test:drawn>"}, headers=auth, timeout=HUNG)
    assert after.status_code == 200 and label in after.text and len(draws) >= 2
    assert label in later.text


def test_tag_pages_are_drawn_once_the_catalog_is_read_and_again_after_an_update(tagged_store, monkeypatch):
    """A tag's first page is drawn once the catalog is read, so its first visitor is answered from what was kept
    (the 32 first visitors' wait for its draw was the tag page's p99); an update shows on it, and once the catalog
    is read again it is drawn again, before anyone asks."""
    from starlette.testclient import TestClient

    from whytag.serve.pages import Reader

    tag = str(tagged_store.rows("SELECT DISTINCT ?tag WHERE { ?a wt:tag ?tag . ?tag skos:notation 'calm' }")[0][0])
    track = str(tagged_store.rows(f"SELECT ?t WHERE {{ ?a wt:tag <{tag}> ; wt:track ?t ; wt:predicted true }} "
                                  f"ORDER BY ?t LIMIT 1")[0][0])
    app = make_app(tagged_store, first_pages=True)
    ended, drawings = app.state.first_pages

    def drawn_first(times: int) -> None:
        with ended:
            assert ended.wait_for(lambda: drawings[0] >= times, HUNG), "the first pages were not drawn"

    drawn, read = [], Reader.tag
    page, auth = {"iri": tag}, {"Authorization": "Bearer s3cret"}
    title = f"INSERT DATA {{ GRAPH <urn:test:first> {{ <{track}> dc:title 'Titled by an update' }} }}"
    with TestClient(app) as client:
        drawn_first(1)
        monkeypatch.setattr(Reader, "tag", lambda self, iri, number: drawn.append(iri) or read(self, iri, number))
        before = client.get("/resource", params=page)
        assert before.status_code == 200 and "calm" in before.text and drawn == [], "drawn for its first visitor"
        assert client.post("/sparql", data={"update": title}, headers=auth).status_code == 204
        try:
            assert "Titled by an update" in client.get("/resource", params=page).text  # (the catalog read again)
            drawn_first(2)
            drawn.clear()
            assert "Titled by an update" in client.get("/resource", params=page).text and drawn == []
        finally:
            client.post("/sparql", data={"update": "DROP GRAPH <urn:test:first>"}, headers=auth)


def test_first_pages_are_drawn_only_while_the_kept_answers_have_room(tagged_store, monkeypatch):
    """With kept answers too small for a page, the first pages' drawing stops after the one that did not fit (it drew
    every page and kept none)."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.pages import Reader

    drawn, tag, rule = [], Reader.tag, Reader.rule
    monkeypatch.setattr(Reader, "tag", lambda self, iri, number: drawn.append(iri) or tag(self, iri, number))
    monkeypatch.setattr(Reader, "rule", lambda self, iri, number: drawn.append(iri) or rule(self, iri, number))
    app = create_app(tagged_store, Settings(cache_mb=1000 / 2**20))  # 1,000 bytes: no page fits
    ended, drawings = app.state.first_pages
    with TestClient(app), ended:
        assert ended.wait_for(lambda: drawings[0] >= 1, HUNG), "the first pages' drawing did not end"
    assert len(drawn) == 1
