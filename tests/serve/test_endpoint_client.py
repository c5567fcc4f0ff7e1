"""The remote store's client (httpx) against `whytag serve`: bearer auth for updates, timeouts, one-line errors."""

from __future__ import annotations

import pytest
from rdflib import RDFS, Literal, URIRef

from whytag.kg.store import StoreError, open_store


def test_writes_go_through_the_server_with_the_token(server_url, tagged_store):
    with open_store(f"{server_url}/sparql", token="s3cret") as remote:
        remote.write_graph(URIRef("urn:test:remote"),
                           [(URIRef("urn:test:a"), RDFS.label, Literal("through the server"))])
        assert str(remote.select("SELECT ?l WHERE { <urn:test:a> rdfs:label ?l }").rows[0][0]) == "through the server"
        remote.update("DROP GRAPH <urn:test:remote>")
    assert not tagged_store.select("ASK { <urn:test:a> ?p ?o }").rows[0][0].toPython()


def test_errors_are_one_line_naming_the_endpoint(server_url):
    url = f"{server_url}/sparql"
    with open_store(url) as remote:
        with pytest.raises(StoreError) as refused:
            remote.update("CLEAR GRAPH <urn:test:nothing>")
        assert str(refused.value).startswith(f"{url}: HTTP 401: updates need") and "\n" not in str(refused.value)
        with pytest.raises(StoreError, match=f"^{url}: HTTP 400: malformed query"):
            remote.select("SELECT ?x WHERE { ?x }")


def test_a_client_timeout_is_one_line_naming_the_endpoint(tagged_store):
    """A server whose limit (0.5 s of CPU) a runaway query meets only after the client's 0.2 s have run out,
    however loaded the machine (the shared server's patient limit would keep the runaway running for long). Opened
    read-only, the store asks nothing before the runaway (a writable one first asks for the schema's digest, which
    a loaded machine may answer later than 0.2 s)."""
    from serve_testing import make_app, serving

    with serving(tagged_store, make_app(tagged_store, timeout=0.5)) as server_url:
        url = f"{server_url}/sparql"
        with (open_store(url, read_only=True, timeout=0.2) as impatient,
              pytest.raises(StoreError, match=rf"^{url}: no answer within 0.2 s$")):
            impatient.select("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
