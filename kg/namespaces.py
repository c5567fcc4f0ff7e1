"""The namespaces and IRI conventions of whytag's graph, in one place."""

from __future__ import annotations

import re
from functools import lru_cache

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

WT = Namespace("https://w3id.org/whytag/ontology#")
MO = Namespace("http://purl.org/ontology/mo/")
KEYS = Namespace("http://purl.org/NET/c4dm/keys.owl#")
CHORD = Namespace("http://purl.org/ontology/chord/")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
VOCAB = "https://w3id.org/whytag/vocab/"

DEFAULT_BASE = "urn:whytag:"
SCHEMA_GRAPH = URIRef("urn:whytag:graph/schema")
EXTRACTORS_GRAPH = URIRef("urn:whytag:graph/extractors")  # the extractors and the features each measures

PREFIXES = {
    "wt": WT, "mo": MO, "keys": KEYS, "chord": CHORD, "qudt": QUDT, "unit": UNIT,
    "skos": SKOS, "prov": PROV, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD,
}

__all__ = ["WT", "MO", "KEYS", "CHORD", "QUDT", "UNIT", "SKOS", "PROV", "RDF", "RDFS", "OWL", "XSD",
           "PREFIXES", "SCHEMA_GRAPH", "EXTRACTORS_GRAPH", "DEFAULT_BASE", "sparql_prefixes", "track_iri", "feature_iri",
           "slug", "tag_iri", "scheme_iri", "prefixed_name"]


def sparql_prefixes() -> str:
    """PREFIX lines for every namespace whytag uses, to put in front of a query."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def track_iri(sha256: str, base: str = DEFAULT_BASE) -> URIRef:
    """A track's IRI (also the name of its graph): from its audio bytes' SHA-256, never its path."""
    return URIRef(f"{base}track/sha256-{sha256}")


@lru_cache(maxsize=4096)  # the same feature, tag and extractor names, once per value written
def slug(text: str) -> str:
    """Lowercase, hyphen-separated IRI segment for a tag or name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def feature_iri(name: str) -> URIRef:
    """wt: individual for a feature column name: Spectral-Centroid → wt:SpectralCentroid."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
    return WT["".join(p[:1].upper() + p[1:] for p in parts)]


def scheme_iri(vocabulary: str) -> URIRef:
    """IRI of a tag vocabulary (a skos:ConceptScheme), e.g. gtzan → …/vocab/gtzan/."""
    return URIRef(f"{VOCAB}{slug(vocabulary)}/")


def tag_iri(vocabulary: str, tag: str) -> URIRef:
    """IRI of a tag within its vocabulary, e.g. (gtzan, blues) → …/vocab/gtzan/blues."""
    return URIRef(f"{scheme_iri(vocabulary)}{slug(tag)}")


def prefixed_name(iri: str) -> str:
    """An IRI as a prefixed name where one of whytag's namespaces fits (wt:BPM), else the IRI itself."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)):]}"
    return iri
