"""`whytag serve` sends no request to another host for a client: SERVICE and LOAD are refused unless the server
was started with the host on its allow-list (#29). A real listener on a loopback port must receive nothing."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

TOKEN = {"Authorization": "Bearer s3cret"}


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port, counting the connections it accepts: (port, accepted)."""
    accepted: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    accepted.append(connection.recv(200))
                except OSError:
                    accepted.append(b"")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(timeout=5)
    server.close()


def forged(port: int) -> dict[str, str]:
    """Queries that would make the store contact the listener, each spelled another way."""
    iri = f"<http://127.0.0.1:{port}/internal>"
    prefix = f"PREFIX in: <http://127.0.0.1:{port}/> "
    return {
        "iri": f"SELECT * WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }}",
        "lower case, silent": f"select * where {{ service silent {iri} {{ ?s ?p ?o }} }}",
        "prefixed name": prefix + "SELECT * WHERE { SERVICE in:sparql { ?s ?p ?o } }",
        "no space after the keyword": prefix + "SELECT * WHERE { SERVICEin:sparql { ?s ?p ?o } }",
        "after a dot": f"SELECT * WHERE {{ ?s ?p ?o.SERVICE {iri} {{ ?s ?p ?o }} }}",
        "in OPTIONAL": f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE {iri} {{ ?s ?p ?o }} }} }}",
        "in FILTER EXISTS": f"ASK {{ FILTER EXISTS {{ SERVICE {iri} {{ ?s ?p ?o }} }} }}",
        "in a subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }} }} }}",
        "a variable": f"SELECT * WHERE {{ VALUES ?e {{ {iri} }} SERVICE ?e {{ ?s ?p ?o }} }}",
        "a comment between": f"SELECT * WHERE {{ SERVICE # the endpoint\n {iri} {{ ?s ?p ?o }} }}",
        "redeclared prefix": f"PREFIX in: <http://example.org/> {prefix}SELECT * WHERE {{ SERVICE in:x {{ }} }}",
        "CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE {iri} {{ ?s ?p ?o }} }}",
    }


def test_no_client_makes_the_server_contact_another_host(server_url, listener):
    port, accepted = listener
    for name, query in forged(port).items():
        response = httpx.post(f"{server_url}/sparql", data={"query": query}, timeout=30)
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert "--allow-service" in response.text, name
    updates = [f"LOAD <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <urn:test:loaded>",
               f"INSERT {{ GRAPH <urn:test:g> {{ ?s ?p ?o }} }} "
               f"WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"]
    for update in updates:  # even a client holding the update token
        response = httpx.post(f"{server_url}/sparql", data={"update": update}, headers=TOKEN, timeout=30)
        assert response.status_code == 403, (update, response.text)
    get = httpx.get(f"{server_url}/sparql", params={"query": forged(port)["iri"]}, timeout=30)
    assert get.status_code == 403
    time.sleep(0.5)
    assert accepted == []


def test_an_allowed_host_is_followed_and_only_as_spelled(tagged_store, listener):
    """With --allow-service 127.0.0.1 the listener is reached (so the test above would have seen a request);
    `localhost`, the same machine under another name, stays refused."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    port, accepted = listener
    app = create_app(tagged_store, Settings(Limits(timeout=10, service_hosts=frozenset({"127.0.0.1"})), cache_mb=0))
    with TestClient(app) as client:
        other = client.post("/sparql", data={"query": f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/> {{ }} }}"})
        assert other.status_code == 403 and "host localhost" in other.text and "allows 127.0.0.1" in other.text
        time.sleep(0.3)
        assert accepted == []
        followed = client.post("/sparql", data={"query": forged(port)["iri"]})
        assert followed.status_code == 400  # the listener answers no SPARQL: the query fails, but it went out
    assert len(accepted) == 1 and accepted[0].startswith(b"POST /internal")


def test_the_refusal_does_not_depend_on_the_time_limit(tagged_store, listener):
    """A forged query is refused from its text before its time limit starts: with a limit no query can meet
    (as on a loaded machine, where CI once saw 503 for "a variable"), the answer is still 403, never 503."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    port, accepted = listener
    with TestClient(create_app(tagged_store, Settings(Limits(timeout=1e-6), cache_mb=0))) as client:
        runaway = client.post("/sparql", data={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
        assert runaway.status_code == 503  # the limit bites
        for name, query in forged(port).items():
            response = client.post("/sparql", data={"query": query})
            assert response.status_code == 403, (name, response.status_code, response.text)
    time.sleep(0.3)
    assert accepted == []
