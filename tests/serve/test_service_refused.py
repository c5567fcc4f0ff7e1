"""`whytag serve` sends no request to another host for a client: SERVICE and LOAD are refused unless the server
was started with the host on its allow-list (#29). A real listener on a loopback port must receive nothing."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest
from serve_testing import HUNG, PATIENT

TOKEN = {"Authorization": "Bearer s3cret"}


class Listener:
    """A TCP listener on a free loopback port, recording what each connection it accepts sends first."""

    def __init__(self) -> None:
        self.accepted: list[bytes] = []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.socket.settimeout(0.2)  # how often the loop looks whether it should stop
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.record(connection)

    def record(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(HUNG)  # a client that connected sends its request at once, however loaded
            try:
                self.accepted.append(connection.recv(200))
            except OSError:
                self.accepted.append(b"")

    def received(self) -> list[bytes]:
        """Everything it received, counted without waiting on the clock: the loop stopped, then the connections the
        kernel completed but nobody accepted yet taken from the queue (a request the server made before answering
        its client is in one or the other)."""
        self.stop.set()
        self.thread.join()
        self.socket.setblocking(False)
        while True:
            try:
                connection, _ = self.socket.accept()
            except BlockingIOError:
                return self.accepted
            connection.setblocking(True)
            self.record(connection)


@pytest.fixture
def listener():
    """A Listener, closed when the test ends."""
    listening = Listener()
    yield listening
    listening.stop.set()
    listening.thread.join()
    listening.socket.close()


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
    port = listener.port
    for name, query in forged(port).items():
        response = httpx.post(f"{server_url}/sparql", data={"query": query}, timeout=HUNG)
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert "--allow-service" in response.text, name
    updates = [f"LOAD <http://127.0.0.1:{port}/data.ttl> INTO GRAPH <urn:test:loaded>",
               f"INSERT {{ GRAPH <urn:test:g> {{ ?s ?p ?o }} }} "
               f"WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"]
    for update in updates:  # even a client holding the update token
        response = httpx.post(f"{server_url}/sparql", data={"update": update}, headers=TOKEN, timeout=HUNG)
        assert response.status_code == 403, (update, response.text)
    get = httpx.get(f"{server_url}/sparql", params={"query": forged(port)["iri"]}, timeout=HUNG)
    assert get.status_code == 403
    assert listener.received() == []


def test_an_allowed_host_is_followed_and_only_as_spelled(tagged_store, listener):
    """With --allow-service 127.0.0.1 the listener is reached (so the test above would have seen a request);
    `localhost`, the same machine under another name, stays refused."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    port = listener.port
    app = create_app(tagged_store, Settings(Limits(timeout=PATIENT, service_hosts=frozenset({"127.0.0.1"})),
                                            cache_mb=0))
    with TestClient(app) as client:
        other = client.post("/sparql", data={"query": f"SELECT * WHERE {{ SERVICE <http://localhost:{port}/> {{ }} }}"})
        assert other.status_code == 403 and "host localhost" in other.text and "allows 127.0.0.1" in other.text
        followed = client.post("/sparql", data={"query": forged(port)["iri"]})
        assert followed.status_code == 400  # the listener answers no SPARQL: the query fails, but it went out
    received = listener.received()  # one request: the refused one to `localhost` would be a second
    assert len(received) == 1 and received[0].startswith(b"POST /internal")


def test_the_refusal_does_not_depend_on_the_time_limit(tagged_store, listener):
    """A forged query is refused from its text before its time limit starts: with a limit no query can meet
    (as on a loaded machine, where CI once saw 503 for "a variable"), the answer is still 403, never 503."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    with TestClient(create_app(tagged_store, Settings(Limits(timeout=1e-6), cache_mb=0))) as client:
        runaway = client.post("/sparql", data={"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
        assert runaway.status_code == 503  # the limit bites
        for name, query in forged(listener.port).items():
            response = client.post("/sparql", data={"query": query})
            assert response.status_code == 403, (name, response.status_code, response.text)
    assert listener.received() == []
