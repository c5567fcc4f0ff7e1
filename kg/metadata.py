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

from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from whytag.extractors.tags import Metadata
from whytag.kg.iris import CATALOG_GRAPH, DEFAULT_BASE, album_iri, artist_iri, musicbrainz_iri, musicbrainz_page
from whytag.kg.namespaces import DC, FOAF, MO, WT
from whytag.kg.store import GraphStore, Triple, triples_block

BATCH = 500  # tracks per update of a metadata table
# what each field of Metadata writes about the track: the predicates a new value of it replaces
TRACK_PREDICATES = {
    "title": (DC.title,), "artists": (FOAF.maker, WT.artistCredit), "artist_credit": (WT.artistCredit,),
    "track_number": (MO.track_number,), "date": (DC.date,), "genre": (WT.genreText,), "isrc": (MO.isrc,),
    "recording_id": (MO.publication_of, MO.musicbrainz_guid, MO.musicbrainz),
}
ALBUM_FIELDS = {"album", "album_artist", "release_id"}
DATE_TYPES = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}


def recording_links(track: URIRef, recording: str) -> list[Triple]:
    """A track's MusicBrainz recording: the LinkedBrainz signal it publishes, its id and its page."""
    return [(track, MO.publication_of, musicbrainz_iri("recording", recording)),
            (track, MO.musicbrainz_guid, Literal(recording)),
            (track, MO.musicbrainz, musicbrainz_page("recording", recording))]


def metadata_triples(track: URIRef, meta: Metadata, base: str = DEFAULT_BASE) -> tuple[list[Triple], list[Triple]]:
    """(the triples of the track's graph, those of CATALOG_GRAPH) that state `meta`."""
    own: list[Triple] = []
    catalog: list[Triple] = []
    if meta.title is not None:
        own.append((track, DC.title, Literal(meta.title)))
    ids = meta.artist_ids or (None,) * len(meta.artists)
    for name, mbid in zip(meta.artists, ids):
        artist = _artist(name, mbid, base, catalog)
        own.append((track, FOAF.maker, artist))
    if meta.artist_credit is not None:
        own.append((track, WT.artistCredit, Literal(meta.artist_credit)))
    if meta.album is not None:
        album = album_iri(meta.album, meta.album_artist or meta.artist_credit, meta.release_id, base)
        own.append((album, MO.track, track))
        catalog += [(album, RDF.type, MO.Record), (album, DC.title, Literal(meta.album))]
        if meta.album_artist is not None:
            catalog.append((album, FOAF.maker, _artist(meta.album_artist, None, base, catalog)))
        if meta.release_id is not None:
            catalog += [(musicbrainz_iri("release", meta.release_id), MO.record, album),
                        (album, MO.musicbrainz, musicbrainz_page("release", meta.release_id))]
    if meta.track_number is not None:
        own.append((track, MO.track_number, Literal(meta.track_number, datatype=XSD.integer)))
    if meta.date is not None:
        own.append((track, DC.date, Literal(meta.date, datatype=DATE_TYPES[len(meta.date)])))
    if meta.genre is not None:
        own.append((track, WT.genreText, Literal(meta.genre)))
    if meta.isrc is not None:
        own.append((track, MO.isrc, Literal(meta.isrc)))
    if meta.recording_id is not None:
        own += recording_links(track, meta.recording_id)
    return own, catalog


def _artist(name: str, mbid: str | None, base: str, catalog: list[Triple]) -> URIRef:
    """An artist's IRI, its description added to `catalog`."""
    artist = artist_iri(name, mbid, base)
    catalog += [(artist, RDF.type, MO.MusicArtist), (artist, FOAF.name, Literal(name))]
    if mbid is not None:
        catalog += [(artist, OWL.sameAs, musicbrainz_iri("artist", mbid)),
                    (artist, MO.musicbrainz_guid, Literal(mbid)),
                    (artist, MO.musicbrainz, musicbrainz_page("artist", mbid))]
    return artist


def metadata_update(track: URIRef, meta: Metadata, base: str = DEFAULT_BASE) -> list[str]:
    """SPARQL Update operations that replace the fields `meta` gives in the track's graph (none if it gives none)."""
    present = meta.present()
    if not present:
        return []
    predicates = sorted({p.n3() for name in present for p in TRACK_PREDICATES.get(name, ())})
    parts = []
    if predicates:
        parts.append(f"DELETE {{ GRAPH <{track}> {{ <{track}> ?p ?o }} }} WHERE {{ GRAPH <{track}> {{ "
                     f"VALUES ?p {{ {' '.join(predicates)} }} <{track}> ?p ?o }} }}")
    if present & ALBUM_FIELDS:
        parts.append(f"DELETE WHERE {{ GRAPH <{track}> {{ ?album {MO.track.n3()} <{track}> }} }}")
    own, catalog = metadata_triples(track, meta, base)
    parts.append(f"INSERT DATA {{ GRAPH <{track}> {{\n{triples_block(own)}}} "
                 f"GRAPH <{CATALOG_GRAPH}> {{\n{triples_block(catalog)}}} }}")
    return parts


def write_metadata(store: GraphStore, items: Iterable[tuple[URIRef, Metadata]], base: str = DEFAULT_BASE) -> int:
    """Write tracks' metadata, BATCH tracks an update (each batch lands whole or not at all); returns the count."""
    written, batch = 0, []
    for track, meta in items:
        batch += metadata_update(track, meta, base)
        written += 1
        if written % BATCH == 0:
            store.update(" ;\n".join(batch))
            batch = []
    if batch:
        store.update(" ;\n".join(batch))
    return written


def name_pattern(track: str, name: str) -> str:
    """SPARQL binding ?`name` to track ?`track`'s display_name, else its rdfs:label (a table row id): what lists
    of tracks show and sort by."""
    t, c, r = (f"?{name}_{part}" for part in ("title", "credit", "row"))
    return (f"OPTIONAL {{ ?{track} dc:title {t} }} OPTIONAL {{ ?{track} wt:artistCredit {c} }} "
            f"OPTIONAL {{ ?{track} rdfs:label {r} }} "
            f'BIND(COALESCE(IF(BOUND({c}), CONCAT(STR({c}), " - ", STR({t})), STR({t})), {r}) AS ?{name})')


def display_name(title: object, credit: object) -> str | None:
    """A track as explain and the pages name it: "Artist - Title" (what `find_track` accepts back), the title
    alone without an artist, None without a title."""
    if title is None or not str(title):
        return None
    return f"{credit} - {title}" if credit is not None and str(credit) else str(title)
