"""Pages and the catalog search show and match titles and artists (kg.metadata), not only hash IRIs."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from whytag.kg.iris import artist_iri


@pytest.fixture(scope="module")
def named_client(tmp_path_factory):
    """Three feature-table tracks, two named by a metadata table (one with a MusicBrainz recording), served."""
    from starlette.testclient import TestClient

    from whytag.kg.metadata_table import import_metadata
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.serve.app import Settings, create_app

    folder = tmp_path_factory.mktemp("named")
    frame = pd.DataFrame({"BPM": [96.0, 140.0, 120.0], "Spectral-Centroid": [900.0, 2500.0, 1800.0]},
                         index=["r1", "r2", "r3"])
    (folder / "names.csv").write_text(
        "track,title,artist,album,date,recording_id\n"
        "r1,So What,Miles Davis,Kind of Blue,1959,8f3471b5-7e6a-48da-86a9-c1c07a0f47ae\n"
        "r2,Giant Steps,John Coltrane,,,\n")
    with open_store(folder / "graph") as store:
        import_features(store, frame, "jazz")
        assert import_metadata(store, folder / "names.csv").failures == []
        with TestClient(create_app(store, Settings())) as client:
            yield client


def test_the_catalog_lists_and_searches_artists_and_titles(named_client):
    catalog = html.unescape(named_client.get("/").text)
    shown = re.findall(r'<td class="title"><a href="/track/jazz/(r\d)">([^<]+)</a></td>\n<td class="artist">(.*?)</td>',
                       catalog)
    assert [(track, title, re.sub("<[^>]+>", "", artist)) for track, title, artist in shown] == [
        ("r2", "Giant Steps", "John Coltrane"), ("r3", "r3", ""), ("r1", "So What", "Miles Davis")]  # by title
    for text in ("miles", "so what", "r2"):
        found = re.findall(r'href="/track/jazz/(r\d)"', named_client.get("/", params={"q": text}).text)
        assert found == {"miles": ["r1"], "so what": ["r1"], "r2": ["r2"]}[text]


def test_a_track_page_names_its_title_artist_album_and_links_to_musicbrainz(named_client):
    page = html.unescape(named_client.get("/track/jazz/r1").text)
    assert "<h1>Miles Davis - So What</h1>" in page
    assert re.search(r"<th>artist</th><td><a href=\"/artist/[^\"]+\">Miles Davis</a></td>", page)
    assert ">Kind of Blue</a>" in page and "<th>date</th><td>1959</td>" in page
    assert 'href="https://musicbrainz.org/recording/8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"' in page
    artist = named_client.get("/" + str(artist_iri("Miles Davis"))[len("urn:whytag:"):]).text
    assert "<h1>Miles Davis</h1>" in artist and "/track/jazz/r1" in artist  # the artist's tracks link back
    assert re.search(r'<a href="/track/jazz/r1" title="[^"]+">Miles Davis - So What</a>', html.unescape(artist))
    album = re.search(r'<a href="(/album/[^"]+)">Kind of Blue</a>', page).group(1)  # named, not a hash, both ways
    assert ">Miles Davis - So What</a>" in html.unescape(named_client.get(album).text)


def test_a_generic_page_names_its_types_as_its_table_does(named_client):
    """The heading's "a …" shows each type by its label (the prefixed name as the link's title), as the table's
    rdf:type rows do: it said "a mo:MusicArtist" above "rdf:type: music artist"."""
    album = re.search(r'<a href="(/album/[^"]+)">Kind of Blue</a>', named_client.get("/track/jazz/r1").text)[1]
    shown = {}
    for path in ("/" + str(artist_iri("Miles Davis"))[len("urn:whytag:"):], album):
        page = html.unescape(named_client.get(path).text)
        heading = [t.strip() for t in re.search(r"<p>a (.*?)</p>", page)[1].split("</a>") if t.strip()]
        typed = re.findall(r'<tr><td><a href="[^"]+">rdf:type</a></td><td>(.*?)</a></td></tr>', page)
        assert heading == typed
        shown[path] = [re.fullmatch(r'<a href="[^"]+" title="([\w:]+)">([\w ]+)', t).groups() for t in typed]
    assert list(shown.values())[0] == [("mo:MusicArtist", "music artist")]
    assert ("mo:Record", "record") in list(shown.values())[1], shown


def test_an_empty_title_or_name_is_no_name(tmp_path):
    from starlette.testclient import TestClient

    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.serve.app import Settings, create_app
    from whytag.serve.pages import first_name

    assert first_name([""], [("", "Miles Davis"), ("So What", None)], ["label"]) == "So What"
    assert first_name([" "], [("", "Miles Davis")], ["r3"]) == "r3" and first_name([], [(None, None)], []) is None
    with open_store(tmp_path / "graph") as store:
        import_features(store, pd.DataFrame({"BPM": [96.0]}, index=["r1"]), "jazz")
        track = store.select("SELECT ?t WHERE { ?t a wt:Track }").rows[0][0]
        store.update(f'INSERT DATA {{ GRAPH <{track}> {{ <{track}> dc:title "" }} }}')
        with TestClient(create_app(store, Settings())) as client:
            page = html.unescape(client.get("/track/jazz/r1").text)
    assert "None" not in re.search(r"<h1>(.*?)</h1>", page).group(1)
