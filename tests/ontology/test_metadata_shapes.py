"""Catalog metadata (kg.metadata) against the shapes and the ontology: what ingest writes conforms, bad values
are named, and HermiT finds the terms consistent."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from whytag_testing import DAVIS, KIND_OF_BLUE, SO_WHAT, hermit_world

from whytag.extractors.tags import Metadata
from whytag.kg.iris import track_iri
from whytag.kg.metadata import metadata_triples
from whytag.kg.namespaces import DC, FOAF, MO, WT
from whytag.kg.validate import validate_graph
from whytag.ontology import SHAPES, schema_files

TRACK = track_iri("cd" * 32)
SO_WHAT_TAGS = Metadata(title="So What", artists=("Miles Davis",), artist_credit="Miles Davis", artist_ids=(DAVIS,),
                        album="Kind of Blue", album_artist="Miles Davis", release_id=KIND_OF_BLUE, track_number=1,
                        date="1959-08-17", genre="Jazz", isrc="USSM15900113", recording_id=SO_WHAT)


def described() -> Graph:
    """A track from a feature table (so no audio file is needed) with every metadata field."""
    own, catalog = metadata_triples(TRACK, SO_WHAT_TAGS)
    data = Graph().parse(data=own + catalog, format="nt")
    data.add((TRACK, RDF.type, WT.Track))
    data.add((TRACK, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), URIRef("urn:whytag:table/t")))
    return data


def test_every_metadata_class_has_a_shape():
    targets = set(Graph().parse(SHAPES, format="turtle").objects(None, URIRef("http://www.w3.org/ns/shacl#targetClass")))
    assert {MO.MusicArtist, MO.Record} <= targets


def test_metadata_as_written_conforms_and_bad_values_are_named():
    assert validate_graph(described()) == []
    bad = described()
    bad.set((TRACK, MO.isrc, Literal("US-SM1-59-00113")))
    bad.set((TRACK, DC.date, Literal("17 August 1959")))
    bad.set((TRACK, MO.track_number, Literal(0, datatype=XSD.integer)))
    bad.add((TRACK, FOAF.maker, URIRef("urn:whytag:not-an-artist")))
    bad.add((TRACK, DC.title, Literal("So What (take 2)")))
    messages = sorted(v.message for v in validate_graph(bad))
    assert messages == ["A track has at most one dc:date, an xsd:date, xsd:gYearMonth or xsd:gYear.",
                        "A track has at most one dc:title string.",
                        "A track has at most one mo:track_number, a positive integer.",
                        "A track's foaf:maker links go to mo:MusicArtist nodes.",
                        "A track's mo:isrc is 12 letters and digits without hyphens (CCXXXYYNNNNN)."]


def test_the_metadata_terms_are_consistent_with_the_ontology(owlready2, tmp_path):
    """dc:date left out: xsd:date, gYearMonth and gYear (LinkedBrainz's types for release dates, which SPARQL
    compares) are not in OWL 2's datatype map, so HermiT refuses to read them (the ontology's dc:date says so)."""
    schema = Graph()
    for path in schema_files():
        schema.parse(path, format="turtle")
    data = described()
    data.remove((TRACK, DC.date, None))
    hermit_world(owlready2, schema + data, tmp_path)  # raises if inconsistent
