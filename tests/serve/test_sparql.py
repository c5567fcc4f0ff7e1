"""The SPARQL 1.1 Protocol endpoint, through httpx (Starlette's TestClient) and SPARQLWrapper over real HTTP."""

from __future__ import annotations

import csv
import io
import json

import pytest

COUNT = "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a wt:Track }"


def test_select_by_get_and_post_in_every_results_format(client):
    expected = {"application/sparql-results+json": "application/sparql-results+json",
                "application/sparql-results+xml": "application/sparql-results+xml",
                "text/csv": "text/csv", "text/tab-separated-values": "text/tab-separated-values"}
    for accept, media_type in expected.items():
        response = client.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith(media_type)
    data = client.post("/sparql", data={"query": COUNT}).json()  # form POST, default JSON
    assert data["results"]["bindings"][0]["n"]["value"] == "40"
    direct = client.post("/sparql", content=COUNT, headers={"Content-Type": "application/sparql-query",
                                                            "Accept": "text/csv"})
    assert list(csv.reader(io.StringIO(direct.text))) == [["n"], ["40"]]


def test_construct_as_turtle_jsonld_and_ntriples(client):
    query = "CONSTRUCT { ?t a wt:Track } WHERE { ?t a wt:Track }"
    turtle = client.get("/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and "wt:Track" in turtle.text
    jsonld = client.get("/sparql", params={"query": query}, headers={"Accept": "application/ld+json"})
    assert len(json.loads(jsonld.text)) == 40
    nt = client.get("/sparql", params={"query": query}, headers={"Accept": "application/n-triples"})
    assert len(nt.text.strip().splitlines()) == 40


def test_ask_and_unacceptable_type(client):
    assert client.get("/sparql", params={"query": "ASK { ?t a wt:Track }"}).json()["boolean"] is True
    refused = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "offered" in refused.text


def test_malformed_query_is_400_with_the_parsers_message(client):
    response = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    assert response.text.startswith("malformed query: error at 1:")
    assert client.get("/sparql", params={"query": COUNT}).status_code == 200


def test_runaway_query_is_refused_and_the_next_answered(tagged_store):
    """An app of its own with a 0.5 s limit (the shared one's is patient, so that no ordinary query meets it)."""
    from serve_testing import make_app
    from starlette.testclient import TestClient

    with TestClient(make_app(tagged_store, timeout=0.5)) as client:
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
        assert response.status_code == 503
        assert "time limit of 0.5 s" in response.text
        assert client.get("/sparql", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == "40"
        numbers = " ".join(map(str, range(4000)))  # 16 million rows counted before the first is yielded: seconds
        aggregate = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} }}"
        assert client.post("/sparql", data={"query": aggregate}).status_code == 503  # CPU time, watched from outside


def test_result_cap(tagged_store):
    from serve_testing import PATIENT
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    with TestClient(create_app(tagged_store, Settings(Limits(timeout=PATIENT, max_results=10)))) as small:
        response = small.get("/sparql", params={"query": "SELECT ?t WHERE { ?t a wt:Track }"})
        assert response.status_code == 422 and "more than 10 rows" in response.text
        assert small.get("/sparql", params={"query": "SELECT ?t WHERE { ?t a wt:Track } LIMIT 10"}).status_code == 200


def test_updates_need_the_bearer_token(client, tagged_store):
    update = "INSERT DATA { GRAPH <urn:test:g> { <urn:test:s> <urn:test:p> 1 } }"
    headers = {"Content-Type": "application/sparql-update"}
    assert client.post("/sparql", content=update, headers=headers).status_code == 401
    wrong = client.post("/sparql", content=update, headers={**headers, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/sparql", params={"update": update}).status_code == 400  # never by GET
    assert not tagged_store.select("ASK { <urn:test:s> ?p ?o }").rows[0][0].toPython()
    done = client.post("/sparql", data={"update": update}, headers={"Authorization": "Bearer s3cret"})
    assert done.status_code == 204
    assert tagged_store.select("ASK { <urn:test:s> ?p ?o }").rows[0][0].toPython()
    client.post("/sparql", data={"update": "DROP GRAPH <urn:test:g>"}, headers={"Authorization": "Bearer s3cret"})


def test_read_only_without_a_token(tagged_store):
    from starlette.testclient import TestClient

    from whytag.serve.app import create_app

    with TestClient(create_app(tagged_store)) as read_only:
        response = read_only.post("/sparql", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer x"})
        assert response.status_code == 403 and "read-only" in response.text


def test_sparqlwrapper_as_a_client(server_url):
    SPARQLWrapper = pytest.importorskip("SPARQLWrapper")
    endpoint = SPARQLWrapper.SPARQLWrapper(f"{server_url}/sparql")
    endpoint.setQuery(COUNT)
    endpoint.setReturnFormat(SPARQLWrapper.JSON)
    assert endpoint.query().convert()["results"]["bindings"][0]["n"]["value"] == "40"
    endpoint.setMethod(SPARQLWrapper.POST)
    endpoint.setReturnFormat(SPARQLWrapper.XML)
    document = endpoint.query().convert()  # an xml.dom document
    assert document.getElementsByTagName("literal")[0].firstChild.data == "40"
    endpoint.setQuery("CONSTRUCT { ?t a wt:Track } WHERE { ?t a wt:Track }")
    endpoint.setReturnFormat(SPARQLWrapper.TURTLE)
    assert b"Track" in endpoint.query().convert()
    endpoint.setQuery("SELECT ?x WHERE { ?x }")
    endpoint.setReturnFormat(SPARQLWrapper.JSON)
    with pytest.raises(SPARQLWrapper.SPARQLExceptions.QueryBadFormed):
        endpoint.query()


def test_httpx_over_real_http(server_url):
    import httpx
    from serve_testing import HUNG

    response = httpx.get(f"{server_url}/sparql", params={"query": COUNT},
                         headers={"Accept": "application/sparql-results+json"}, timeout=HUNG)
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "40"


def test_a_browser_opening_the_endpoint_gets_the_query_form(client):
    response = client.get("/sparql", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/query"
    assert client.get("/sparql").status_code == 400  # a program without a query: told what is missing


def test_every_results_format_parses_back_to_the_same_rows(client):
    from rdflib import XSD, Literal, URIRef
    from rdflib.query import Result

    query = """SELECT ?s ?label ?none WHERE { VALUES (?s ?label) { (<urn:x:a> "a & <b>"@en) (<urn:x:b> 2.5) }
                                              OPTIONAL { ?s <urn:x:missing> ?none } } ORDER BY ?s"""
    expected = [(URIRef("urn:x:a"), Literal("a & <b>", lang="en"), None),
                (URIRef("urn:x:b"), Literal("2.5", datatype=XSD.decimal), None)]
    for accept, fmt in (("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
                        ("text/tab-separated-values", "tsv")):
        body = client.get("/sparql", params={"query": query}, headers={"Accept": accept}).content
        assert [tuple(row) for row in Result.parse(io.BytesIO(body), format=fmt)] == expected, fmt


def test_a_malformed_q_value_is_read_leniently(client):
    """RFC 9110: a q that is empty or not a number weighs like none; the type stays acceptable (was 406)."""
    for accept in ("*/*;q=", "text/csv;q=abc", "text/csv;Q=2", "application/json;q=nan, text/csv;q=0.5"):
        response = client.get("/sparql", params={"query": COUNT}, headers={"Accept": accept})
        assert response.status_code == 200, (accept, response.text)
    assert client.get("/sparql", params={"query": COUNT},
                      headers={"Accept": "text/csv;q=0"}).status_code == 406  # a well-formed 0 still refuses
    ranked = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv;q=0.2, text/tab-separated"
                                                                               "-values;q=oops"})
    assert ranked.headers["content-type"].startswith("text/tab-separated-values")


def test_time_waiting_for_a_query_thread_does_not_count_toward_the_time_limit(tagged_store):
    """Every query thread held, once the query is queued, for longer than any clock of its time limit (CPU or wall)
    would allow: it then runs, and is answered (was 503)."""
    import anyio
    import httpx
    from serve_testing import HUNG

    from whytag.serve.app import WALL_FACTOR, Settings, create_app
    from whytag.serve.sparql import Limits

    limit = 0.5
    app = create_app(tagged_store, Settings(Limits(timeout=limit, max_results=1000), cache_mb=0))
    threads = app.state.query_threads
    answers = []

    async def ask(client: httpx.AsyncClient) -> None:
        answers.append(await client.get("/sparql", params={"query": COUNT}))

    async def main() -> None:
        holders = [object() for _ in range(int(threads.total_tokens))]
        for holder in holders:  # as if as many long queries were running
            await threads.acquire_on_behalf_of(holder)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://whytag") as client, \
                anyio.create_task_group() as group:
            group.start_soon(ask, client)
            with anyio.fail_after(HUNG):  # queued once the request has been read, however slowly
                while threads.statistics().tasks_waiting == 0:
                    await anyio.sleep(0.01)
            await anyio.sleep(WALL_FACTOR * limit + 0.5)  # a clock started on arrival would now be past the limit
            assert threads.statistics().tasks_waiting == 1 and not answers  # queued, not yet answered
            for holder in holders:
                threads.release_on_behalf_of(holder)
    anyio.run(main)
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["results"]["bindings"][0]["n"]["value"] == "40"


def _asked_together(app, queries: list[str], meanwhile=None) -> list:
    """Each of `queries` sent at once to the app in-process (httpx's ASGI transport); `meanwhile(client)`, awaited
    while they are under way, may send others. The answers, in the order asked."""
    import anyio
    import httpx

    answers: dict[int, httpx.Response] = {}

    async def ask(client: httpx.AsyncClient, i: int, text: str) -> None:
        answers[i] = await client.get("/sparql", params={"query": text}, timeout=60)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://whytag") as client, \
                anyio.create_task_group() as group:
            for i, text in enumerate(queries):
                group.start_soon(ask, client, i, text)
            if meanwhile is not None:
                await meanwhile(client)
    anyio.run(main)
    return [answers[i] for i in range(len(queries))]


def test_identical_cold_queries_asked_together_run_once_on_one_query_thread(tagged_store, monkeypatch):
    """More identical queries than there are query threads, while the first runs: the store answers it once, the
    others await it holding no query thread (each held one to wait in), and another query is answered meanwhile."""
    import threading
    import time

    import anyio

    from whytag.serve import app as app_module
    from whytag.serve.app import QUERY_THREADS, Settings, create_app
    from whytag.serve.sparql import Limits

    release, ran, run_query = threading.Event(), [], app_module.run_query

    def held(store, text, *args):  # the real query, run once the test says so
        ran.append(text)
        if text == COUNT:
            release.wait(20)
        return run_query(store, text, *args)
    monkeypatch.setattr(app_module, "run_query", held)
    app = create_app(tagged_store, Settings(Limits(timeout=5, max_results=1000)))
    threads, seen = app.state.query_threads, {}

    async def meanwhile(client) -> None:
        deadline = time.monotonic() + 20
        while not ran and time.monotonic() < deadline:
            await anyio.sleep(0.01)
        await anyio.sleep(0.3)  # the others arrive and wait
        seen["held"] = threads.borrowed_tokens
        seen["other"] = await client.get("/sparql", params={"query": "ASK { ?t a wt:Track }"})
        release.set()
    answers = _asked_together(app, [COUNT] * (QUERY_THREADS + 4), meanwhile)
    assert seen["held"] == 1 and seen["other"].json()["boolean"] is True
    assert [a.status_code for a in answers] == [200] * len(answers) and len({a.text for a in answers}) == 1
    assert answers[0].json()["results"]["bindings"][0]["n"]["value"] == "40"
    assert ran.count(COUNT) == 1


def test_identical_queries_awaiting_one_past_the_time_limit_get_its_503(tagged_store, monkeypatch):
    """The time limit still stops the one running (a real runaway query): every request awaiting it gets its 503,
    and the store ran it once; the next query is answered."""
    from whytag.serve import app as app_module
    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    ran, run_query = [], app_module.run_query
    monkeypatch.setattr(app_module, "run_query", lambda store, text, *args: ran.append(text) or run_query(
        store, text, *args))
    app = create_app(tagged_store, Settings(Limits(timeout=0.5, max_results=10**9)))
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    answers = _asked_together(app, [runaway] * 6)
    assert [a.status_code for a in answers] == [503] * 6 and all("time limit of 0.5 s" in a.text for a in answers)
    assert ran == [runaway]
    assert _asked_together(app, [COUNT])[0].json()["results"]["bindings"][0]["n"]["value"] == "40"
