"""The catalog page (serve/catalog.py): what a row shows, sorting by any column both ways, facets by tag, level and
artist, paging, and a one-line 400/404 for a request it cannot answer."""

from __future__ import annotations

import html
import re

import pytest

from whytag.serve import catalog as catalog_module

TRACKS = re.compile(r'<td class="title"><a href="/track/([^"]+)">([^<]*)</a>')


def listed(client, params: dict | None = None) -> tuple[list[str], list[str]]:
    """Every page of the catalog as asked, following the pages' own next links: (track paths, page texts)."""
    url, shown, texts = "/", [], []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        texts.append(html.unescape(response.text))
        shown += [t for t, _ in TRACKS.findall(response.text)]
        following = re.search(r'<a rel="next" href="([^"]+)"', response.text)
        if not following:
            return shown, texts
        response = client.get(html.unescape(following.group(1)))


@pytest.fixture
def paged(tagged_store, monkeypatch):
    """A server of its own (pages are kept by the query string) listing 15 tracks a page."""
    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app

    monkeypatch.setattr(catalog_module, "PAGE", 15)
    with TestClient(create_app(tagged_store, Settings())) as client:
        yield client


def store_scores(store, notation: str) -> dict[str, float]:
    """The score of each track predicted `notation`, read from the store (not through the catalog)."""
    return {str(t).split("track/", 1)[1]: float(s) for t, s in store.select(
        f"SELECT ?t ?s WHERE {{ ?t wt:taggedAs ?tag . ?tag skos:notation ?n FILTER(STR(?n) = '{notation}') "
        "?a wt:track ?t ; wt:tag ?tag ; wt:predicted true ; wt:score ?s }").rows}


def store_bpm(store) -> dict[str, float]:
    return {str(t).split("track/", 1)[1]: float(v) for t, v in
            store.select("SELECT ?t ?v WHERE { ?t a wt:Track ; wt:bpm ?v }").rows}


def test_rows_show_each_track_s_top_tags_with_the_store_s_scores(client, tagged_store):
    calm, energetic = store_scores(tagged_store, "calm"), store_scores(tagged_store, "energetic")
    page = client.get("/").text
    rows = re.findall(r'<tr>\n<td class="title"><a href="/track/([^"]+)">.*?<td class="tags">(.*?)</td>', page, re.S)
    assert len(rows) == 40
    for track, cell in rows:
        shown = {n: float(s) for n, s in re.findall(r'<span class="tag">(\w+) <span class="score">([\d.]+)', cell)}
        expected = {n: round(scores[track], 2) for n, scores in (("calm", calm), ("energetic", energetic))
                    if track in scores}
        assert shown == expected, track
    assert 'title="model set toy"' in page


@pytest.mark.parametrize("column", ["title", "tag:calm", "tag:energetic"])
def test_every_column_sorts_both_ways_across_pages_with_ties_in_iri_order(paged, tagged_store, column):
    params = {"sort": column}
    if column.startswith("tag:"):
        params["tag"] = column[4:]
        scores = store_scores(tagged_store, column[4:])
        expected = sorted(scores, key=lambda t: (scores[t], "urn:whytag:track/" + t))
    else:
        expected = sorted((f"synthetic/t{i}" for i in range(40)), key=lambda t: (t.rsplit("/", 1)[1].casefold(), t))
    up, _ = listed(paged, {**params, "order": "asc"})
    down, texts = listed(paged, {**params, "order": "desc"})
    assert up == expected and down == expected[::-1]
    assert 'aria-sort="descending"' in texts[0] and len(texts) == -(-len(expected) // 15)


def test_a_tag_facet_shows_its_count_and_lists_exactly_its_tracks_best_first(client, tagged_store):
    calm = store_scores(tagged_store, "calm")
    page = html.unescape(client.get("/").text)
    assert re.search(r'<a href="/\?tag=calm">calm</a> <span class="count">\((\d+)\)', page).group(1) == str(len(calm))
    shown, texts = listed(client, {"tag": "calm"})
    assert sorted(shown) == sorted(calm) and f"of {len(calm)}" in texts[0]
    by_score, _ = listed(client, {"tag": "calm", "sort": "tag:calm"})  # a score sorts best first unless asked
    assert [calm[t] for t in by_score] == sorted(calm.values(), reverse=True)


def test_level_tag_and_search_facets_combine_and_each_can_be_removed(client, tagged_store):
    bpm, calm = store_bpm(tagged_store), store_scores(tagged_store, "calm")
    fast = {t for t, v in bpm.items() if v >= 120}  # ontology/levels.ttl: TempoFast from 120 BPM
    page = html.unescape(client.get("/").text)
    assert re.search(r'<summary>tempo</summary><ul>\n<li><a href="/\?level=TempoFast">fast</a> '
                     r'<span class="count">\((\d+)\)', page).group(1) == str(len(fast))
    assert set(listed(client, {"level": "TempoFast"})[0]) == fast
    both, texts = listed(client, {"level": "TempoFast", "tag": "calm"})
    assert set(both) == fast & set(calm) and both
    removing = dict(re.findall(r'<li>([^<]+) <a class="remove" href="([^"]+)"', texts[0]))
    assert set(removing) == {"calm", "tempo: fast"}
    assert set(listed(client, {})[0]) >= set(both)
    assert set(t for t, _ in TRACKS.findall(client.get(removing["calm"]).text)) == fast
    assert set(t for t, _ in TRACKS.findall(client.get(removing["tempo: fast"]).text)) == set(calm)
    found, _ = listed(client, {"level": "TempoFast", "q": "t1"})
    assert set(found) == {t for t in fast if t.rsplit("/", 1)[1].startswith("t1")}


def test_pages_cover_every_track_once_and_say_where_they_are(paged):
    shown, texts = listed(paged)
    assert sorted(shown) == sorted(f"synthetic/t{i}" for i in range(40)) and len(shown) == 40
    assert "page 2 of 3" in texts[1] and "Tracks 16–30 of 40" in texts[1]
    assert '<nav class="paging"' in texts[0] and 'rel="last" href="/?page=3"' in texts[0]
    assert '<table class="catalog">' in texts[0] and '<nav class="facets"' in texts[0]
    assert re.findall(r'<th scope="col"( aria-sort="\w+")?><a href="([^"]+)">(\w+)', texts[0])[:3] == [
        (' aria-sort="ascending"', "/?order=desc", "title"), ("", "/?sort=artist", "artist"),
        ("", "/?sort=duration", "duration")]


@pytest.mark.parametrize(("params", "status", "reason"), [
    ({"sort": "loudness"}, 400, "sort=loudness: no such column"),
    ({"sort": "tag:calm"}, 400, "needs that tag chosen"),
    ({"order": "sideways"}, 400, "order=sideways: give asc or desc"),
    ({"tag": "polka"}, 400, "tag=polka: no track is tagged 'polka' (known: calm, energetic)"),
    ({"level": "TempoWarp"}, 400, "level=TempoWarp: no track has a perceptual level"),
    ({"artist": "urn:whytag:artist/nobody"}, 400, "artist=urn:whytag:artist/nobody: no track"),
    ({"set": "genres"}, 400, "set=genres: no tags from a model set of that name (known: toy)"),
    ({"page": "0"}, 400, "page=0: pages are numbered 1, 2, 3"),
    ({"page": "two"}, 400, "page=two"),
    ({"page": "2"}, 404, "page=2: past the end (the catalog as chosen has 1 page)"),
    ({"tag": "calm", "page": "99"}, 404, "page=99: past the end"),
])
def test_a_request_the_catalog_cannot_answer_gets_a_one_line_reason(client, params, status, reason):
    response = client.get("/", params=params)
    assert response.status_code == status
    problem = re.findall(r'<p class="problem">([^<]*)</p>', response.text)
    assert len(problem) == 1 and reason in html.unescape(problem[0]) and "\n" not in problem[0]
    assert "Traceback" not in response.text


def test_a_track_named_by_a_number_is_listed_by_it(client):
    auth = {"Authorization": "Bearer s3cret"}
    named = "GRAPH <urn:test:numbered> { <urn:whytag:track/synthetic/t3> dc:title 42 }"
    assert client.post("/sparql", data={"update": f"INSERT DATA {{ {named} }}"}, headers=auth).status_code == 204
    try:
        assert ("synthetic/t3", "42") in TRACKS.findall(client.get("/").text)  # the index is read again
    finally:
        client.post("/sparql", data={"update": "DROP GRAPH <urn:test:numbered>"}, headers=auth)


@pytest.fixture(scope="module")
def audio_client(tmp_path_factory):
    """Five real 2-second clips and one of 61 s ingested (two named by a metadata table, both by one artist), served."""
    from starlette.testclient import TestClient

    from whytag.datasets.demo import write_demo
    from whytag.kg.ingest import ingest
    from whytag.kg.metadata_table import import_metadata
    from whytag.kg.store import open_store
    from whytag.serve.app import Settings, create_app

    folder = tmp_path_factory.mktemp("clips")
    write_demo(folder, n=5, seconds=2.0)
    write_demo(folder / "long", n=1, seconds=61.0)
    clips = sorted(p.name for p in (folder / "audio").iterdir())
    (folder / "names.csv").write_text(f"track,title,artist\naudio/{clips[0]},Naima,John Coltrane\n"
                                      f"audio/{clips[1]},Blue Train,John Coltrane\n")
    with open_store(folder / "graph") as store:
        assert ingest(store, [folder / "audio", folder / "long" / "audio"], progress=False).failures == []
        assert import_metadata(store, folder / "names.csv").failures == []
        with TestClient(create_app(store, Settings())) as client:
            yield client, clips + [p.name for p in (folder / "long" / "audio").iterdir()]


def test_rows_name_untitled_files_by_file_name_with_duration_artist_and_a_player(audio_client):
    client, clips = audio_client
    page = html.unescape(client.get("/").text)
    titles = [title for _, title in TRACKS.findall(page)]
    assert titles == sorted(["Naima", "Blue Train", *clips[2:]], key=str.casefold)
    assert "sha256" not in "".join(titles)
    assert page.count('<td class="duration">0:02</td>') == 5 and page.count('<td class="duration">1:01</td>') == 1
    players = re.findall(r'<tr>\n<td class="title"><a href="/track/([^"]+)">.*?<audio class="player" controls '
                         r'preload="none" src="([^"]+)"', page, re.S)
    assert len(players) == 6 and all(src == "/audio/track/" + track for track, src in players)
    assert client.get(players[0][1], headers={"Range": "bytes=0-3"}).content == b"RIFF"  # the track page's route
    longest = [re.findall(r'<td class="duration">([\d:]+)</td>', listed(client, {"sort": "duration", "order": order})
                          [1][0]) for order in ("asc", "desc")]
    assert longest[0][-1] == longest[1][0] == "1:01" and longest[0][:-1] == ["0:02"] * 5
    artist = re.search(r'<a href="(/\?artist=[^"]+)">John Coltrane</a> <span class="count">\(2\)', page)
    assert artist, "the artist facet counts the artist's tracks"
    by_artist = html.unescape(client.get(artist.group(1)).text)
    assert sorted(t for _, t in TRACKS.findall(by_artist)) == ["Blue Train", "Naima"]
    up, down = ([t for _, t in TRACKS.findall(listed(client, {"sort": "artist", "order": order})[1][0])]
                for order in ("asc", "desc"))
    assert set(up[:2]) == {"Blue Train", "Naima"} and up[:2] == down[:2][::-1]  # a tie: IRI order, either way
    assert len(up) == 6
    assert up[2:] == down[2:], "untitled files have no artist: last, whichever the direction"


def test_a_model_set_chosen_shows_only_its_tags(client):
    assert client.get("/", params={"set": "toy"}).text.count('title="model set toy"') == \
        client.get("/").text.count('title="model set toy"') > 0


def test_a_row_without_audio_has_no_player(client):
    assert "<audio" not in client.get("/").text  # tracks from a feature table have no file to play


def test_duration_text_rounds_to_seconds_and_shows_hours_past_one():
    assert [catalog_module.duration_text(s) for s in (0.4, 59.6, 61, 3599.5, 3725)] == \
        ["0:00", "1:00", "1:01", "1:00:00", "1:02:05"]


def test_the_app_says_once_when_the_catalog_is_read(tagged_store, monkeypatch):
    """create_app's `settled` (where `whytag serve` freezes the GC's view of what its start read) is called once, after
    the catalog's index is read: the first catalog page then needs no read of its own."""
    import threading

    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app

    settled = threading.Event()
    calls: list[bool] = []
    reads: list[int] = []
    original = catalog_module.read_index
    monkeypatch.setattr(catalog_module, "read_index", lambda graph: (reads.append(1), original(graph))[1])
    app = create_app(tagged_store, Settings(cache_mb=0), settled=lambda: (calls.append(True), settled.set()))
    assert settled.wait(timeout=60) and reads == [1]
    with TestClient(app) as client:
        assert client.get("/").status_code == 200
    assert calls == [True] and reads == [1]


def test_the_app_says_again_when_the_catalog_is_read_after_an_update(tagged_store):
    """After the server's own update the catalog is read again, and `settled` is called again (`whytag serve`
    freezes the GC's view of the new index too: the first freeze left it to the full collections)."""
    import threading

    from starlette.testclient import TestClient

    from whytag.serve.app import Settings, create_app

    calls: list[int] = []
    first = threading.Event()
    app = create_app(tagged_store, Settings(cache_mb=0, update_token="s3cret"),
                     settled=lambda: (calls.append(1), first.set()))
    assert first.wait(timeout=60)
    auth = {"Authorization": "Bearer s3cret"}
    named = "GRAPH <urn:test:settled> { <urn:test:s> <urn:test:p> 1 }"
    with TestClient(app) as client:
        assert client.get("/").status_code == 200 and calls == [1]
        try:
            inserted = client.post("/sparql", data={"update": f"INSERT DATA {{ {named} }}"}, headers=auth)
            assert inserted.status_code == 204
            assert calls == [1]  # not read again until a page needs it
            assert client.get("/").status_code == 200
            assert calls == [1, 1]
        finally:
            client.post("/sparql", data={"update": "DROP GRAPH <urn:test:settled>"}, headers=auth)
