"""Names and links through the real command: tags read at ingest, a metadata table, `explain "Artist - Title"`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cli_run import tagged_table, whytag
from rdflib import Literal
from whytag_testing import DAVIS, KELLY, KIND_OF_BLUE, SO_WHAT, write_tagged_audio

from whytag.kg.iris import artist_iri
from whytag.kg.queries import query

QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def rows(store, sparql: str) -> list[dict]:
    return json.loads(whytag("query", "--format", "json", sparql, store=store).stdout)


@pytest.fixture
def tagged_store(tmp_path):
    """The tagged files ingested by `whytag ingest`: the store, the files, and the command's result."""
    files = write_tagged_audio(tmp_path / "music")
    store = tmp_path / "graph"
    return store, files, whytag("ingest", "--quiet", str(tmp_path / "music"), store=store)


def test_ingest_writes_the_tags_as_linked_data_and_again_adds_nothing(tagged_store):
    store, files, result = tagged_store
    assert "ingested 4 file(s) as 4 track(s); 0 failed" in result.stdout
    assert f"note: {files['so-what.mp3']}: musicbrainz_albumid 'nope' is not a MusicBrainz id" in result.stderr
    named = rows(store, """SELECT ?path ?title ?credit ?date (DATATYPE(?date) AS ?type) WHERE {
        ?t mo:available_as/wt:path ?path . OPTIONAL { ?t dc:title ?title } OPTIONAL { ?t wt:artistCredit ?credit }
        OPTIONAL { ?t dc:date ?date } }""")
    by_file = {r["path"].rsplit("/", 1)[-1]: (r["title"], r["credit"], r["date"], r["type"]) for r in named}
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert by_file == {"blue.flac": ("Blue Train", "John Coltrane", "1957-09-15", xsd + "date"),
                       "freddie.ogg": ("Freddie Freeloader", "Miles Davis feat. Wynton Kelly", "1959-08",
                                       xsd + "gYearMonth"),
                       "so-what.mp3": ("So What", "Miles Davis", "1959", xsd + "gYear"),
                       "plain.wav": (None, None, None, None)}
    # tracks by an artist: one pattern, both files naming Miles Davis's MusicBrainz id reach one node
    davis = artist_iri("Miles Davis", DAVIS)
    by_davis = rows(store, f"SELECT ?title WHERE {{ ?t foaf:maker <{davis}> ; dc:title ?title }} ORDER BY ?title")
    assert [r["title"] for r in by_davis] == ["Freddie Freeloader", "So What"]
    links = rows(store, f"""SELECT ?name ?same ?recording ?isrc ?genre ?release WHERE {{
        <{davis}> foaf:name ?name ; owl:sameAs ?same . ?t foaf:maker <{davis}> ; dc:title "So What" ;
        mo:publication_of ?recording ; mo:isrc ?isrc ; wt:genreText ?genre .
        ?f dc:title "Freddie Freeloader" . ?album mo:track ?f . ?release mo:record ?album }}""")
    assert links == [{"name": "Miles Davis", "same": f"http://musicbrainz.org/artist/{DAVIS}#_",
                      "recording": f"http://musicbrainz.org/recording/{SO_WHAT}#_", "isrc": "USSM15900113",
                      "genre": "Jazz", "release": f"http://musicbrainz.org/release/{KIND_OF_BLUE}#_"}]
    kelly = rows(store, f"SELECT ?name WHERE {{ <{artist_iri('', KELLY)}> foaf:name ?name }}")
    assert kelly == [{"name": "Wynton Kelly"}]
    before = rows(store, QUADS)
    again = whytag("ingest", "--quiet", str(files["blue.flac"].parent), store=store)
    assert "ingested 4 file(s) as 4 track(s)" in again.stdout and rows(store, QUADS) == before
    assert "conforms" in whytag("validate", store=store).stdout
    sampled = whytag("validate", "--sample", "4", store=store).stdout  # the sampled tracks' artists and albums too
    assert "conforms: no SHACL violations in 4 sampled track(s)" in sampled


def test_a_metadata_table_names_tracks_by_file_path_or_iri_and_reports_what_it_could_not_use(tagged_store):
    store, files, _ = tagged_store
    plain = rows(store, 'SELECT ?t WHERE { ?t mo:available_as/wt:path ?p FILTER(STRENDS(?p, "plain.wav")) }')
    table = files["plain.wav"].parent.parent / "names.csv"
    table.write_text("File,Title,Artist,Mood,Track Number,recording_id\n"
                     f"{plain[0]['t']},Blue in Green,Miles Davis; Bill Evans,calm,3,\n"
                     "music/blue.flac,Blue Train (alternate take),,,x,\n"
                     "ghost.wav,Nothing,Nobody,,,\n"
                     f"so-what.mp3,,,,,{SO_WHAT}\n")
    result = whytag("ingest", "--metadata", str(table), store=store, check=False)
    assert result.returncode == 1
    assert f"set the metadata of 3 track(s) from {table}; 2 problem(s)" in result.stdout
    assert f"note: {table}: 1 unknown column(s) not recorded: Mood" in result.stderr
    assert f"failed: {table}: line 4: 'ghost.wav' names no track in the store" in result.stderr
    assert f"failed: {table}: line 3: track number 'x' is not a positive whole number" in result.stderr
    titles = "SELECT ?title ?credit WHERE { ?t a wt:Track ; dc:title ?title OPTIONAL { ?t wt:artistCredit ?credit } }"
    named = {r["title"]: r["credit"] for r in rows(store, titles)}
    assert named["Blue in Green"] == "Miles Davis; Bill Evans"  # a track without tags now has names
    assert named["Blue Train (alternate take)"] == "John Coltrane"  # the title replaced, the artist kept
    assert "Blue Train" not in named and named["So What"] == "Miles Davis"
    before = rows(store, QUADS)
    whytag("ingest", "--metadata", str(table), store=store, check=False)
    assert rows(store, QUADS) == before


def test_explain_accepts_and_shows_artist_and_title_and_lists_the_tracks_an_ambiguous_name_has(tmp_path):
    """Tracks of a feature table (no audio, no tags), named by a metadata table, learned, tagged and explained."""
    store = tagged_table(tmp_path)
    names = tmp_path / "names.csv"
    names.write_text("track,title,artist\nt9,So What,Miles Davis\nt10,So What,Bill Evans\n")
    whytag("ingest", "--metadata", str(names), store=store)
    explained = whytag("explain", "miles davis - SO WHAT", store=store).stdout
    assert explained.splitlines()[0] == "Miles Davis - So What <urn:whytag:track/table/t9>"
    assert "fast" in explained
    as_json = json.loads(whytag("explain", "Bill Evans - So What", "--format", "json", store=store).stdout)
    assert (as_json["track"], as_json["title"], as_json["artist"]) == (
        "urn:whytag:track/table/t10", "So What", "Bill Evans")
    miles = tmp_path / "miles.rq"
    miles.write_text(query("tracks-by-artist", artistName=Literal("Miles Davis")))
    by_artist = json.loads(whytag("query", "--format", "json", "--file", str(miles), store=store).stdout)
    assert by_artist == [{"track": "urn:whytag:track/table/t9", "credit": "Miles Davis", "title": "So What",
                          "notation": "fast"}]
    ambiguous = whytag("explain", "So What", store=store, check=False)
    assert ambiguous.returncode == 1 and "Traceback" not in ambiguous.stderr
    assert ambiguous.stderr.strip() == (
        "Error: So What: 2 tracks have that name: Bill Evans - So What <urn:whytag:track/table/t10>; "
        "Miles Davis - So What <urn:whytag:track/table/t9>; give the path or IRI of one")
    unknown = whytag("explain", "Nobody - Nothing", store=store, check=False)
    assert "Nobody - Nothing: no track with that path, IRI, id, or name" in unknown.stderr


def test_real_recordings_are_named_by_their_own_tags(tmp_path):
    """The 16 tracks of Debian's singularity-music (Ogg Vorbis tagged by their composer): titles, one artist
    node for all of them, and their two albums."""
    import mutagen

    music = Path("/usr/share/games/singularity/music")
    files = sorted(music.rglob("*.ogg"))
    if len(files) != 16:
        pytest.skip(f"Debian package singularity-music not installed (tests/system-deps.sh installs it): {music}")
    tags = {str(f): mutagen.File(f).tags for f in files}
    store = tmp_path / "graph"
    whytag("ingest", "--quiet", str(music), store=store)
    titles = {r["path"]: r["title"] for r in rows(store, "SELECT ?path ?title WHERE { ?t mo:available_as/wt:path "
                                                         "?path ; dc:title ?title }")}
    assert titles == {path: tag["title"][0] for path, tag in tags.items()}
    by_artist = rows(store, "SELECT ?name (COUNT(?t) AS ?tracks) WHERE { ?t foaf:maker ?a . ?a foaf:name ?name } "
                            "GROUP BY ?name")
    assert by_artist == [{"name": "Maxstack", "tracks": 16}]
    albums = rows(store, "SELECT ?title (COUNT(?t) AS ?tracks) WHERE { ?album mo:track ?t ; dc:title ?title } "
                         "GROUP BY ?title ORDER BY ?title")
    expected = pd.Series([tag["album"][0] for tag in tags.values()]).value_counts().sort_index()
    assert [(r["title"], r["tracks"]) for r in albums] == list(expected.items())


def test_a_metadata_table_that_sets_nothing_says_why_and_exits_1(tagged_store):
    """No rows, no column whytag knows, or rows naming no track: one line saying so, exit 1, nothing written."""
    store, files, _ = tagged_store
    folder = files["plain.wav"].parent.parent
    before = rows(store, QUADS)
    tables = {"empty.csv": ("file,title\n", "empty.csv: the table has no rows"),
              "moods.csv": ("file,mood,tempo\nblue.flac,calm,slow\n",
                            "moods.csv: no column whytag knows (mood, tempo); the known ones are title, "),
              "ghosts.csv": ("file,title\nghost.wav,Nothing\nnone.wav,Nobody\n",
                             "ghosts.csv: none of its 2 row(s) names a track in the store")}
    for name, (text, said) in tables.items():
        (folder / name).write_text(text)
        result = whytag("ingest", "--metadata", str(folder / name), store=store, check=False)
        assert result.returncode == 1, name
        assert "set the metadata of" not in result.stdout and said in result.stderr, (name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert rows(store, QUADS) == before
