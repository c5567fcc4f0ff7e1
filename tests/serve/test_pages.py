"""Linked-data pages: content negotiation on IRIs, and what a curator reads on track, tag and rule pages (the
catalog's: test_catalog.py)."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from urllib.parse import quote

from rdflib import URIRef

TRACK = "urn:whytag:track/synthetic/t1"


def test_a_track_iri_negotiates_html_turtle_jsonld_and_ntriples(client):
    path = "/track/synthetic/t1"
    page = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["vary"] == "Accept"
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert f"<{TRACK}> a wt:Track" in turtle.text or f"<{TRACK}>" in turtle.text and "wt:Track" in turtle.text
    jsonld = json.loads(client.get(path, headers={"Accept": "application/ld+json"}).text)
    assert any(node.get("@id") == TRACK for node in jsonld)
    nt = client.get(f"/resource?iri={quote(TRACK, safe='')}", headers={"Accept": "application/n-triples"}).text
    assert (f"<{TRACK}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
            "<https://w3id.org/whytag/ontology#Track> .") in nt


def test_every_iri_resolves_at_resource_and_unknown_ones_are_404(client):
    concept = client.get("/resource", params={"iri": "https://w3id.org/whytag/ontology#TempoFast"})
    assert concept.status_code == 200 and "fast" in concept.text
    assert client.get("/resource", params={"iri": "urn:whytag:nothing-here"}).status_code == 404
    assert client.get("/track/no-such-track").status_code == 404
    assert client.get("/track/no-such-track", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/resource", params={"iri": "not an iri"}).status_code == 400
    # a class: the generic page, listing the triples that point at it
    used = client.get("/resource", params={"iri": "https://w3id.org/whytag/ontology#Track"})
    assert used.status_code == 200 and TRACK in html.unescape(used.text)


def test_the_track_page_shows_the_explain_text_and_the_features(client, tagged_store):
    from whytag.reasoning.explain import explain

    text = html.unescape(client.get("/track/synthetic/t1").text)
    explanations = [e for e in explain(tagged_store, URIRef(TRACK)) if e.predicted]
    assert explanations, "the fixture should predict a tag for t1"
    for explanation in explanations:
        assert explanation.text() in text  # the very words `whytag explain` prints
    row = re.search(r'<tr class="feature used">\s*<td><a [^>]+>tempo</a>.*?</tr>', text, re.S).group(0)
    assert re.search(r">[\d.]+ BPM<.*>(slow|moderate|fast)</span>", row, re.S)  # the tempo level, named by the ontology
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_tag_page_lists_tracks_best_first_and_the_rules_that_decide_it(client, tagged_store):
    tag = tagged_store.select("SELECT ?tag WHERE { ?tag skos:notation 'energetic' }").rows[0][0]
    text = client.get("/resource", params={"iri": str(tag)}).text
    scores = [float(s) for s in re.findall(r"<td>(0\.\d{3}|1\.000)</td>", text)]
    assert scores and scores == sorted(scores, reverse=True)
    rules = re.findall(r'href="(/model/toy/energetic/rule/\d+)"', text)
    assert rules, "the tag page links its rules"
    rule_page = client.get(rules[0]).text
    assert re.search(r"if (tempo|spectral centroid|dom ratio) (≥|>|≤|<) [\d.]+", html.unescape(rule_page))
    assert "precision" in rule_page and "support" in rule_page
    assert 'href="/track/synthetic/' in rule_page  # the tracks it fired on


def test_query_page_offers_the_documented_queries(client):
    text = client.get("/query").text
    assert '<form method="post" action="/sparql">' in text and "<textarea" in text
    assert "why-tagged" in text and "what-would-change" in text


def test_pages_show_an_update_sent_through_the_endpoint(client, tagged_store):
    """Long lists are kept between requests; an update through /sparql must not leave them stale."""
    tag = str(tagged_store.select(
        "SELECT DISTINCT ?tag WHERE { ?a wt:tag ?tag . ?tag skos:notation 'calm' }").rows[0][0])

    def listed():
        return re.findall(r'href="/track/synthetic/(t\d+)"', client.get("/resource", params={"iri": tag}).text)

    before = listed()
    assert before == listed() and before, "the same page twice (the second one kept)"
    flip = """DELETE {{ GRAPH ?g {{ ?a wt:predicted {old} }} }} INSERT {{ GRAPH ?g {{ ?a wt:predicted {new} }} }}
              WHERE {{ GRAPH ?g {{ ?a wt:track <urn:whytag:track/synthetic/{track}> ; wt:tag <{tag}> ;
                                     wt:predicted {old} }} }}"""
    auth = {"Authorization": "Bearer s3cret"}
    assert client.post("/sparql", data={"update": flip.format(old="true", new="false", track=before[0], tag=tag)},
                       headers=auth).status_code == 204
    try:
        assert listed() == before[1:]
        assert "calm" in client.get("/").text  # the catalog's tag list, read again
    finally:
        client.post("/sparql", data={"update": flip.format(old="false", new="true", track=before[0], tag=tag)},
                    headers=auth)
    assert listed() == before


def test_a_track_page_does_not_wait_for_the_catalog_s_ranges(tagged_store):
    """Reading every value's range takes minutes on a large catalog: until it is read, charts say so."""
    from whytag.serve.chart import position_bar
    from whytag.serve.pages import Reader

    def bar_chart(bars):
        return "".join(map(position_bar, bars))

    reader = Reader(tagged_store, "urn:whytag:")  # not warmed: no ranges yet
    before = reader.bars(TRACK)
    assert before and all(b.low is None and b.share == 0.5 for b in before)
    assert "still being read" in bar_chart(before)
    ranges = reader.ranges()
    after = reader.bars(TRACK)
    assert [b.label for b in after] == [b.label for b in before]
    assert all(b.low is not None and b.low <= b.value <= b.high for b in after) and len(ranges) >= 3
    assert "still being read" not in bar_chart(after) and "catalog range" in bar_chart(after)
    reader.changed()  # an update: the ranges are forgotten, and read again in the background
    assert all(b.low is None for b in reader.bars(TRACK)) and reader.ranges() == ranges


def _until(done, seconds: float = 20) -> bool:
    """Whether `done()` came true within `seconds` (a background read's end)."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)
    return done()


def test_a_failed_background_read_is_one_logged_line_and_the_ranges_are_read_all_the_same(tagged_store, monkeypatch,
                                                                                            caplog):
    """A start-up read that fails (here the models' effects) is one line in the log and the catalog's ranges are read
    all the same (they waited for the first track page, which was drawn without them); a failed read of the ranges
    is one line too, and the next track page reads them again."""
    from whytag.kg.store import StoreError
    from whytag.serve import pages
    from whytag.serve.pages import Reader

    def broken(graph):
        raise StoreError("the disk went away\nsecond line")
    monkeypatch.setattr(pages, "read_known", broken)
    caplog.set_level(logging.WARNING, logger="whytag")
    reader = Reader(tagged_store, "urn:whytag:")
    reader.warm(start=True)
    assert _until(reader.ranged)
    assert [r.getMessage() for r in caplog.records] == [
        "whytag serve: reading what every page uses failed: the disk went away (the first page needing it reads it)"]
    monkeypatch.undo()

    read, tries = Reader.ranges, []

    def flaky(reader):  # the first read fails, the next one is the real one
        tries.append(1)
        if len(tries) == 1:
            raise StoreError("busy")
        return read(reader)
    monkeypatch.setattr(Reader, "ranges", flaky)
    caplog.clear()
    again = Reader(tagged_store, "urn:whytag:")
    again.warm()
    assert _until(lambda: caplog.records) and not again.ranged()
    assert [r.getMessage() for r in caplog.records] == [
        "whytag serve: reading the catalog's feature ranges failed: busy (track pages say they are still being read; "
        "the next one reads them again)"]
    assert all(b.low is None for b in again.bars(TRACK))  # drawn without them, it asks for them again (once the
    assert _until(lambda: again.bars(TRACK) and again.ranged()) and len(tries) == 2  # failed read has ended)


def test_a_track_chart_shows_feature_and_level_names_changed_through_the_endpoint(client, tagged_store):
    """Feature names, unit symbols and level names are kept between pages; an update must not leave them stale."""
    level = str(tagged_store.select(f"""SELECT ?l WHERE {{ <{TRACK}> wt:hasLevel ?l . ?t wt:level ?l ;
        wt:feature wt:bpm ; wt:thresholdSource ?s FILTER(STRSTARTS(?s, "music knowledge")) }}""").rows[0][0])

    def chart():
        return client.get("/resource", params={"iri": TRACK}).text.split("<svg", 1)[1]

    rename = """DELETE {{ GRAPH ?g {{ <{iri}> rdfs:label ?old }} }}
                INSERT {{ GRAPH ?g {{ <{iri}> rdfs:label "{new}" }} }}
                WHERE {{ GRAPH ?g {{ <{iri}> rdfs:label ?old }} FILTER(STR(?old) = "{old}") }}"""
    names = {"https://w3id.org/whytag/ontology#bpm": ("tempo", "beats a minute"),
             level: (str(tagged_store.select(f"SELECT ?n WHERE {{ <{level}> rdfs:label ?n }}").rows[0][0]),
                     "pace of it")}
    before = chart()
    assert all(old in before and new not in before for old, new in names.values())
    auth = {"Authorization": "Bearer s3cret"}

    def update(forward):
        return [client.post("/sparql", headers=auth, data={"update": rename.format(
            iri=iri, old=old if forward else new, new=new if forward else old)}).status_code
            for iri, (old, new) in names.items()]

    assert update(True) == [204, 204]
    try:
        renamed = chart()
        assert all(new in renamed for _, new in names.values()), "the chart still shows the old names"
    finally:
        update(False)
    restored = chart()  # (its ranges are read again after an update, so compare names only)
    assert all(old in restored and new not in restored for old, new in names.values())


def test_pages_render_a_bounded_number_at_once_and_queries_answer_meanwhile(server_url, monkeypatch):
    """Page loads beyond PAGE_THREADS wait their turn; /sparql has its own threads, so it answers meanwhile.
    (Each load asks another page number: one page asked for at once is drawn once, the others wait for it.)"""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    from serve_testing import HUNG

    from whytag.serve import app as served
    from whytag.serve.pages import Reader

    arrived, started, release = threading.Semaphore(0), threading.Semaphore(0), threading.Event()
    read, ranged = Reader.track, Reader.ranged

    def held(self, iri, own=None):
        started.release()
        release.wait(HUNG)  # released by the test; the bound only ends a hung run
        return read(self, iri, own)

    monkeypatch.setattr(Reader, "track", held)
    monkeypatch.setattr(Reader, "ranged", lambda self: arrived.release() or ranged(self))  # asked once a request
    loads = served.PAGE_THREADS + 2
    with ThreadPoolExecutor(loads) as pool:
        pages = [pool.submit(httpx.get, f"{server_url}/resource", params={"iri": TRACK, "page": n + 1}, timeout=HUNG)
                 for n in range(loads)]
        try:
            assert all(started.acquire(timeout=HUNG) for _ in range(served.PAGE_THREADS))
            assert all(arrived.acquire(timeout=HUNG) for _ in range(loads))  # every load is in the server
            assert not started.acquire(timeout=1), "more pages rendered at once than PAGE_THREADS"
            asked = httpx.get(f"{server_url}/sparql", params={"query": f"ASK {{ <{TRACK}> a wt:Track }}"},
                              headers={"Accept": "application/sparql-results+json"}, timeout=HUNG)
            assert asked.status_code == 200 and asked.json()["boolean"] is True
        finally:
            release.set()
        assert [p.result().status_code for p in pages] == [200] * loads


def test_the_catalog_s_ranges_leave_out_values_that_are_not_finite(tagged_store):
    """Values an update or loaded RDF gave as -INF, INF or NaN (no extractor writes one): the range the track pages'
    bars are drawn against is the finite values', not [-INF, x], which put every track's bar at 0."""
    from whytag.kg.iris import feature_iri
    from whytag.serve.pages import Reader

    bpm = str(feature_iri("BPM"))
    finite = Reader(tagged_store, "urn:whytag:").ranges()[bpm]
    odd = ('"-INF"^^xsd:double', '"INF"^^xsd:double', '"NaN"^^xsd:double')
    tagged_store.update("INSERT DATA { GRAPH <urn:test:odd> { "
                        + " ".join(f"<urn:test:odd{i}> <{bpm}> {v} ." for i, v in enumerate(odd)) + " } }")
    try:
        assert Reader(tagged_store, "urn:whytag:").ranges()[bpm] == finite
    finally:
        tagged_store.update("DROP GRAPH <urn:test:odd>")
