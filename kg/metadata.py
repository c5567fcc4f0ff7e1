"""Catalog metadata ↔ triples: titles, artists, albums and MusicBrainz links, as LinkedBrainz states them.

In the track's graph: `dc:title`, `foaf:maker <artist>` (one per artist: "tracks by this artist" is one
pattern), `wt:artistCredit` (the artist as the file writes it, for display), `mo:track_number`, `dc:date`
(xsd:date, gYearMonth or gYear, as LinkedBrainz types release dates), `wt:genreText`, `mo:isrc`, and with a
MusicBrainz recording id `mo:publication_of <http://musicbrainz.org/recording/<id>#_>` (LinkedBrainz: a
track publishes a recording, a mo:Signal), `mo:musicbrainz_guid` and `mo:musicbrainz` (its page); and
`<album> mo:track <track>`. In CATALOG_GRAPH, shared by every track naming them: each artist
`a mo:MusicArtist ; foaf:name`, with an id `owl:sameAs` its LinkedBrainz IRI; each album
`a mo:Record ; dc:title ; foaf:maker <album artist>`, with a release id `<release#_> mo:record <album>`.

A write replaces, in the track's graph, exactly the fields the new metadata gives, so re-ingesting a file
changes nothing and a metadata table's title column leaves the file's artist alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from whytag.extractors.tags import Metadata
from whytag.kg import ntriples as nt
from whytag.kg.iris import CATALOG_GRAPH, DEFAULT_BASE, album_iri, artist_iri, musicbrainz_iri, musicbrainz_page
from whytag.kg.namespaces import DC, FOAF, MO, WT
from whytag.kg.ntriples import NTriples, triples_block
from whytag.kg.queries import update
from whytag.kg.queries.build import data_operations
from whytag.kg.store import GraphStore, Triple

BATCH = 500  # tracks per update of a metadata table
ALBUM_FIELDS = {"album", "album_artist", "release_id"}
DATE_TYPES = {4: str(XSD.gYear), 7: str(XSD.gYearMonth), 10: str(XSD.date)}
# the predicates and classes in N-Triples, formatted once (an import of a million rows writes ten a row)
(_TITLE, _MAKER, _CREDIT, _NUMBER, _DATE, _GENRE, _ISRC, _TRACK, _TYPE, _NAME, _SAME, _GUID, _PAGE, _RECORD,
 _PUBLICATION, _ARTIST, _ALBUM) = (nt.iri(t) for t in (
    DC.title, FOAF.maker, WT.artistCredit, MO.track_number, DC.date, WT.genreText, MO.isrc, MO.track, RDF.type,
    FOAF.name, OWL.sameAs, MO.musicbrainz_guid, MO.musicbrainz, MO.record, MO.publication_of, MO.MusicArtist,
    MO.Record))
# what each field of Metadata writes about the track: the predicates a new value of it replaces
TRACK_PREDICATES = {
    "title": (DC.title,), "artists": (FOAF.maker, WT.artistCredit), "artist_credit": (WT.artistCredit,),
    "track_number": (MO.track_number,), "date": (DC.date,), "genre": (WT.genreText,), "isrc": (MO.isrc,),
    "recording_id": (MO.publication_of, MO.musicbrainz_guid, MO.musicbrainz),
}


def recording_links(track: URIRef, recording: str) -> list[Triple]:
    """A track's MusicBrainz recording: the LinkedBrainz signal it publishes, its id and its page."""
    return [(track, MO.publication_of, musicbrainz_iri("recording", recording)),
            (track, MO.musicbrainz_guid, Literal(recording)),
            (track, MO.musicbrainz, musicbrainz_page("recording", recording))]


def metadata_triples(track: URIRef, meta: Metadata, base: str = DEFAULT_BASE) -> tuple[NTriples, NTriples]:
    """(the triples of the track's graph, those of CATALOG_GRAPH) that state `meta`, as N-Triples text (kg.ntriples:
    rdflib terms cost ten times the store's own time to write them)."""
    t = nt.iri(track)
    own: list[str] = []
    catalog: list[str] = []
    if meta.title is not None:
        own.append(nt.line(t, _TITLE, nt.string(meta.title)))
    for name, mbid in zip(meta.artists, meta.artist_ids or (None,) * len(meta.artists)):
        own.append(nt.line(t, _MAKER, _artist(name, mbid, base, catalog)))
    if meta.artist_credit is not None:
        own.append(nt.line(t, _CREDIT, nt.string(meta.artist_credit)))
    if meta.album is not None:
        album = nt.iri(album_iri(meta.album, meta.album_artist or meta.artist_credit, meta.release_id, base))
        own.append(nt.line(album, _TRACK, t))
        catalog += [nt.line(album, _TYPE, _ALBUM), nt.line(album, _TITLE, nt.string(meta.album))]
        if meta.album_artist is not None:
            catalog.append(nt.line(album, _MAKER, _artist(meta.album_artist, None, base, catalog)))
        if meta.release_id is not None:
            catalog += [nt.line(nt.iri(musicbrainz_iri("release", meta.release_id)), _RECORD, album),
                        nt.line(album, _PAGE, nt.iri(musicbrainz_page("release", meta.release_id)))]
    if meta.track_number is not None:
        own.append(nt.line(t, _NUMBER, nt.integer(meta.track_number)))
    if meta.date is not None:
        own.append(nt.line(t, _DATE, nt.string(meta.date, DATE_TYPES[len(meta.date)])))
    if meta.genre is not None:
        own.append(nt.line(t, _GENRE, nt.string(meta.genre)))
    if meta.isrc is not None:
        own.append(nt.line(t, _ISRC, nt.string(meta.isrc)))
    if meta.recording_id is not None:
        own.append(triples_block(recording_links(track, meta.recording_id)))
    return NTriples("".join(own)), NTriples("".join(catalog))


def _artist(name: str, mbid: str | None, base: str, catalog: list[str]) -> str:
    """An artist's IRI in N-Triples, its description added to `catalog`."""
    artist = nt.iri(artist_iri(name, mbid, base))
    catalog += [nt.line(artist, _TYPE, _ARTIST), nt.line(artist, _NAME, nt.string(name))]
    if mbid is not None:
        catalog += [nt.line(artist, _SAME, nt.iri(musicbrainz_iri("artist", mbid))),
                    nt.line(artist, _GUID, nt.string(mbid)),
                    nt.line(artist, _PAGE, nt.iri(musicbrainz_page("artist", mbid)))]
    return artist


def metadata_update(tracks: Mapping[URIRef, Metadata], base: str = DEFAULT_BASE) -> list[str]:
    """SPARQL Update operations that replace, in each track's graph, the fields its Metadata gives (nothing for
    tracks whose metadata gives none): a DELETE of the (track, predicate) pairs those fields write and of the
    album links, then insertions of the data (kg.queries.build), the artists and albums in it said once however
    many tracks name them.

    The pairs are one VALUES block: the same tracks and predicates as two VALUES blocks took Oxigraph 15x as
    long (a cross product it joins before the graph pattern).
    """
    pairs, albums, graphs = [], [], {}
    catalog: dict[str, None] = {}  # lines in order, each once
    for track, meta in tracks.items():
        present = meta.present()
        if not present:
            continue
        pairs += [(track, p) for p in sorted({p for name in present for p in TRACK_PREDICATES.get(name, ())})]
        if present & ALBUM_FIELDS:
            albums.append(track)
        graphs[track], shared = metadata_triples(track, meta, base)
        catalog.update(dict.fromkeys(shared.splitlines(keepends=True)))
    parts = []
    if pairs:
        parts.append(update("remove-track-fields", t=pairs))
    if albums:
        parts.append(update("remove-album-links", t=albums))
    if graphs:
        graphs[CATALOG_GRAPH] = NTriples("".join(catalog))
        parts += data_operations("INSERT", graphs)  # in chunks a server's parser takes (kg.queries.build)
    return parts


def write_metadata(store: GraphStore, items: Iterable[tuple[URIRef, Metadata]], base: str = DEFAULT_BASE) -> int:
    """Write tracks' metadata, BATCH tracks an update (each batch lands whole or not at all); returns the count."""
    written, batch = 0, {}
    for track, meta in items:
        batch[track] = meta
        written += 1
        if len(batch) == BATCH:
            store.update(" ;\n".join(metadata_update(batch, base)))
            batch = {}
    if batch:
        store.update(" ;\n".join(metadata_update(batch, base)))
    return written


def display_name(title: object, credit: object) -> str | None:
    """A track as explain and the pages name it: "Artist - Title" (what `find_track` accepts back), the title
    alone without an artist, None without a title."""
    if title is None or not str(title):
        return None
    return f"{credit} - {title}" if credit is not None and str(credit) else str(title)
