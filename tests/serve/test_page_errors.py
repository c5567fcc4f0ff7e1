"""Pages that cannot be shown: an HTML page saying why where pages answer HTML (lang, title, main landmark, one
line), plain text for clients asking for RDF; and lists' `?page=` counted from 1 everywhere, as on the catalog."""

from __future__ import annotations

import html
import re

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _reason(response) -> str:
    """The page's one-line reason, after checking the page has what a page needs."""
    text = response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in text and re.search(r"<title>[^<]+ · whytag</title>", text)
    assert len(re.findall(r"<main>", text)) == 1
    [reason] = re.findall(r'<p class="problem">([^<]*)</p>', text)
    assert "\n" not in reason
    return html.unescape(reason)


def _tag(store, notation: str) -> str:
    return str(store.rows(f"SELECT ?tag WHERE {{ ?tag skos:notation '{notation}' }}")[0][0])


def _rule(store) -> str:
    return str(store.rows("SELECT ?rule WHERE { ?rule a wt:Rule } ORDER BY ?rule LIMIT 1")[0][0])


def test_an_unknown_iri_is_a_404_page_for_a_browser_and_plain_text_for_rdf_clients(client):
    page = client.get("/track/no-such-track", headers=BROWSER)
    assert page.status_code == 404
    assert _reason(page) == "urn:whytag:track/no-such-track: no triple in the graph mentions it"
    assert "<title>404 not found · whytag</title>" in page.text and "<h1>Not found</h1>" in page.text
    plain = client.get("/track/no-such-track", headers={"Accept": "application/n-triples"})
    assert plain.status_code == 404 and plain.headers["content-type"].startswith("text/plain")
    assert plain.text == "urn:whytag:track/no-such-track: no triple in the graph mentions it\n"
    turtle = client.get("/track/no-such-track", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 404 and turtle.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("target", ["/resource?iri=1a:b", "/resource?iri=urn:x:a%0Ab", "/resource?iri=http://x/%25zz",
                                    "/?page=%C2%B2", "/track/x?page=%C2%B2", "/?page=" + "9" * 5000])
def test_what_the_named_queries_would_refuse_is_a_400_not_a_500(client, target):
    """An IRI the binder refuses, a page number int() cannot read: refused with a reason before any query."""
    page = client.get(target, headers=BROWSER)
    assert page.status_code == 400 and _reason(page).startswith(("not an IRI: ", "page=")), _reason(page)


@pytest.mark.parametrize("target, status, reason", [
    ("/resource", 400, "give the IRI as ?iri=…"),
    ("/resource?iri=no%20iri", 400, "not an IRI: no iri: it has no scheme (such as urn: or https:)"),
    ("/audio/track/no-such-track", 404, "urn:whytag:track/no-such-track: no audio file was ingested for it"),
])
def test_other_requests_the_pages_refuse_say_why_in_a_page(client, target, status, reason):
    page = client.get(target, headers=BROWSER)
    assert page.status_code == status and _reason(page) == reason
    assert client.get(target, headers={"Accept": "text/turtle"}).text == reason + "\n"


def test_a_failure_while_drawing_a_page_is_a_500_page(tagged_store, monkeypatch):
    from serve_testing import make_app
    from starlette.testclient import TestClient

    from whytag.serve.pages import Reader

    def broken(self, iri, own=None):
        raise RuntimeError("the disk went away\nsecond line")

    monkeypatch.setattr(Reader, "track", broken)
    with TestClient(make_app(tagged_store), raise_server_exceptions=False) as failing:
        page = failing.get("/track/synthetic/t1", headers=BROWSER)
    assert page.status_code == 500
    assert _reason(page) == "the server failed to answer: the disk went away"


def test_an_ill_typed_value_in_the_store_is_a_500_page_naming_it(tagged_store):
    """A track's "abc"^^xsd:double, put there by an update: its track page and the feature's page say which literal
    in one line (they said "could not convert string to float"), the other pages stand, and removing it heals them."""
    from conftest import make_app
    from starlette.testclient import TestClient

    track, auth = "urn:whytag:track/synthetic/t6", {"Authorization": "Bearer s3cret"}
    triple = f'GRAPH <{track}> {{ <{track}> wt:bpm "abc"^^xsd:double }}'
    said = ('the server failed to answer: an ill-typed literal in the store: "abc"^^xsd:double is no xsd:double '
            "(find it with whytag query, then fix or remove it with an update)")
    with TestClient(make_app(tagged_store), raise_server_exceptions=False) as server:
        assert server.post("/sparql", data={"update": f"INSERT DATA {{ {triple} }}"}, headers=auth).status_code == 204
        try:
            for path in ("/track/synthetic/t6", "/resource?iri=https://w3id.org/whytag/ontology%23bpm"):
                page = server.get(path, headers=BROWSER)
                assert page.status_code == 500 and _reason(page) == said
            assert server.get("/track/synthetic/t5", headers=BROWSER).status_code == 200
        finally:
            server.post("/sparql", data={"update": f"DELETE DATA {{ {triple} }}"}, headers=auth)
        assert server.get("/track/synthetic/t6", headers=BROWSER).status_code == 200


@pytest.mark.parametrize("kind", ["tag", "rule"])
def test_tag_and_rule_pages_count_pages_from_1(client, tagged_store, kind):
    iri = _tag(tagged_store, "energetic") if kind == "tag" else _rule(tagged_store)
    first = client.get("/resource", params={"iri": iri}, headers=BROWSER)
    assert first.status_code == 200 and re.search(r"page 1 of 1\s*</p>", first.text)
    assert 'rel="prev"' not in first.text
    assert client.get("/resource", params={"iri": iri, "page": "1"}, headers=BROWSER).text == first.text
    for given in ("0", "-1", "two"):
        old = client.get("/resource", params={"iri": iri, "page": given}, headers=BROWSER)
        assert old.status_code == 400 and _reason(old) == f"page={given}: pages are numbered 1, 2, 3 …"
    past = client.get("/resource", params={"iri": iri, "page": "2"}, headers=BROWSER)
    assert past.status_code == 404 and _reason(past) == "page=2: past the end (this list has 1 page)"


@pytest.fixture(scope="module")
def long_store(tmp_path_factory):
    """140 tracks made as the shared store's 40 are: over 50 of them predicted energetic, so two pages of 50."""
    from serve_testing import fill_tagged

    from whytag.kg.store import open_store

    with open_store(tmp_path_factory.mktemp("long") / "graph") as store:
        fill_tagged(store, 140)
        yield store


def test_a_long_list_pages_by_50_from_page_1(long_store):
    from starlette.testclient import TestClient

    from whytag.serve.app import create_app
    from whytag.serve.pages import PAGE, PageError, Reader

    reader = Reader(long_store, "urn:whytag:")
    tag = _tag(long_store, "energetic")
    every = reader.rows(f"SELECT ?track WHERE {{ ?a wt:tag <{tag}> ; wt:predicted true ; wt:track ?track }}")
    assert PAGE == 50 and 50 < len(every) <= 100
    first, second = reader.tag(tag, 1)["tracks"], reader.tag(tag, 2)["tracks"]
    assert (first.number, first.more, first.pages, len(first.rows)) == (1, True, 2, 50)
    assert (second.number, second.more, second.pages, len(second.rows)) == (2, False, 2, len(every) - 50)
    rows = first.rows + second.rows
    assert sorted(str(r["track"]) for r in rows) == sorted(str(r["track"]) for r in every)  # each once
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)  # best first across pages
    with pytest.raises(PageError) as past:
        reader.tag(tag, 3)
    assert past.value.status == 404
    with TestClient(create_app(long_store)) as client:
        page = client.get("/resource", params={"iri": tag, "page": "2"}, headers=BROWSER)
    assert page.status_code == 200 and re.search(r"page 2 of 2\s*</p>", page.text) and 'rel="prev"' in page.text
    assert all(f'href="/track/synthetic/{str(r["track"]).rsplit("/", 1)[1]}"' in page.text for r in second.rows)
