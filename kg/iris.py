"""Every IRI whytag mints, built here from one base; and IRIs typed by users, checked where they are read.

Catalog-wide things (graphs, model sets, extractors, source tables) sit under DEFAULT_BASE, a track under
the base the user sets, and what a stage writes about a track under the track's IRI in a segment naming
the stage (…/file/…, …/obs/<extractor>/…, …/extraction/<extractor>, …/tags/<model set>/<tag>), so a
stage can replace its own output without touching what other stages wrote. Tags are SKOS concepts under
VOCAB; features and perceptual levels are individuals of the ontology's namespace.

whytag pastes IRIs into SPARQL as `<…>`; one typed by a user that is not a valid absolute IRI would either
break the query with a parser error or, worse, change its meaning. Oxigraph's own IRI parser (RFC 3987)
is the judge, so whatever passes `checked_iri` is accepted by the store.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import pyoxigraph
from rdflib import URIRef

from whytag.errors import WhytagError
from whytag.kg.namespaces import WT_NS

DEFAULT_BASE = "urn:whytag:"
VOCAB = "https://w3id.org/whytag/vocab/"
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|^`\\\x7f]")


# -- names -------------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)  # the same feature, tag and extractor names, once per value written
def slug(text: str) -> str:
    """Lowercase, hyphen-separated IRI segment for a tag or name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def graph_iri(name: str) -> URIRef:
    """A catalog-wide named graph, e.g. `schema` → <urn:whytag:graph/schema>."""
    return URIRef(f"{DEFAULT_BASE}graph/{name}")


SCHEMA_GRAPH = graph_iri("schema")
EXTRACTORS_GRAPH = graph_iri("extractors")  # the extractors and the features each measures
CONCEPTS_GRAPH = graph_iri("concepts")  # perceptual levels and their thresholds
CATALOG_GRAPH = graph_iri("catalog")  # the artists and albums tracks name (kg.metadata), shared by their tracks


# -- tracks and what stages write about them ------------------------------------------------------

def track_iri(sha256: str, base: str = DEFAULT_BASE) -> URIRef:
    """A track's IRI (also the name of its graph): from its audio bytes' SHA-256, never its path."""
    return URIRef(f"{base}track/sha256-{sha256}")


def table_track(source: str, row_id: str, base: str = DEFAULT_BASE) -> URIRef:
    """IRI of a track known only as a row of a table."""
    return URIRef(f"{base}track/{slug(source)}/{slug(row_id)}")


def feature_file_track(recording: str | None, content: bytes, base: str = DEFAULT_BASE) -> URIRef:
    """IRI of a track known only by a feature file (MusicExtractor JSON): from its MusicBrainz recording id,
    else from the file's SHA-256, so reading the same file again changes nothing."""
    if recording:
        return URIRef(f"{base}track/musicbrainz-{recording}")
    return URIRef(f"{base}track/features-sha256-{hashlib.sha256(content).hexdigest()}")


def artist_iri(name: str | None, musicbrainz_id: str | None = None, base: str = DEFAULT_BASE) -> URIRef:
    """An artist: from its MusicBrainz id where known, else from its name (case and spacing aside), so every
    track naming the same artist points at one node."""
    if musicbrainz_id:
        return URIRef(f"{base}artist/musicbrainz-{musicbrainz_id}")
    return URIRef(f"{base}artist/{_named(name or '')}")


def album_iri(title: str, artist: str | None, release_id: str | None = None, base: str = DEFAULT_BASE) -> URIRef:
    """An album (a record of tracks): from its MusicBrainz release id where known, else from its title and
    artist (two albums called "Greatest Hits" by different artists are two albums)."""
    if release_id:
        return URIRef(f"{base}album/musicbrainz-{release_id}")
    return URIRef(f"{base}album/{_named(title, artist or '')}")


def _named(*names: str) -> str:
    """An IRI segment for something known only by its name(s): readable slug, then a hash of the names
    as compared (casefolded, spaces collapsed), since slugs of different names can coincide ("AC/DC", "AC DC")."""
    key = "\x1f".join(" ".join(n.casefold().split()) for n in names)
    return f"{slug(names[0])}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def musicbrainz_iri(kind: str, mbid: str) -> URIRef:
    """The LinkedBrainz IRI of a MusicBrainz entity (the thing, not its page), e.g.
    http://musicbrainz.org/recording/<mbid>#_ for a recording (kind: recording, release, artist)."""
    return URIRef(f"http://musicbrainz.org/{kind}/{mbid}#_")


def musicbrainz_page(kind: str, mbid: str) -> URIRef:
    """The MusicBrainz web page of an entity (what mo:musicbrainz points at)."""
    return URIRef(f"https://musicbrainz.org/{kind}/{mbid}")


def table_iri(source: str) -> URIRef:
    """A feature table a catalog was imported from (what its extractions used)."""
    return URIRef(f"{DEFAULT_BASE}table/{slug(source)}")


def file_iri(track: URIRef, path: str) -> URIRef:
    """One audio file of a track, keyed by its path (the same audio may sit at several paths)."""
    return URIRef(f"{track}/file/{hashlib.sha1(path.encode()).hexdigest()[:16]}")


def extraction_iri(track: URIRef, extractor: str) -> URIRef:
    """The activity of one extractor's run on one track (what generated its values)."""
    return URIRef(f"{track}/extraction/{slug(extractor)}")


def extractor_iri(extractor: str) -> URIRef:
    """The software agent of an extractor, shared by every track it measured."""
    return URIRef(f"{DEFAULT_BASE}extractor/{slug(extractor)}")


def chord_prefix(track: URIRef, extractor: str) -> str:
    """IRI prefix of the chord events and key one extractor wrote into a track's graph."""
    return f"{track}/chord/{slug(extractor)}/"


def assignment_iri(track: str, model_set: str, tag: str) -> URIRef:
    """A track's tag assignment by one model set: under the track, so its graph holds its reasons."""
    return URIRef(f"{track}{assignment_path(model_set, tag)}")


def assignment_path(model_set: str, tag: str) -> str:
    """What follows the track's IRI in its assignment's (the tagger appends it as text: URIRef costs more)."""
    return f"/tags/{slug(model_set)}/{slug(tag)}"


def justification_iri(assignment: str, effect: str) -> URIRef:
    """One reason of an assignment: `base` (the base rate) or a feature effect's slug (effect_slug)."""
    return URIRef(f"{assignment}{justification_path(effect)}")


def justification_path(effect: str) -> str:
    """What follows the assignment's IRI in one of its reasons' (see assignment_path)."""
    return f"/j/{effect}"


def counterfactual_iri(assignment: str) -> URIRef:
    """The smallest one-feature change that reverses an assignment's decision."""
    return URIRef(f"{assignment}{COUNTERFACTUAL_PATH}")


COUNTERFACTUAL_PATH = "/flip"


# -- model sets, tagging runs ---------------------------------------------------------------------

def model_set_iri(name: str) -> URIRef:
    return URIRef(f"{DEFAULT_BASE}model/{slug(name)}")


def model_graph(name: str) -> URIRef:
    """The named graph of a model set (replaced when it is relearned)."""
    return graph_iri(f"model/{slug(name)}")


def tags_graph(name: str) -> URIRef:
    """The named graph of a model set's tagging run and its counts."""
    return graph_iri(f"tags/{slug(name)}")


def tag_model_iri(model_set: str, tag: str) -> URIRef:
    return URIRef(f"{model_set_iri(model_set)}/{slug(tag)}")


def rule_iri(model_set: str, tag: str, index: int) -> URIRef:
    return URIRef(f"{tag_model_iri(model_set, tag)}/rule/{index}")


def rule_body_iri(rule: URIRef) -> URIRef:
    """The OWL class of a rule's conditions."""
    return URIRef(f"{rule}/body")


def linear_term_iri(model_set: str, tag: str, index: int) -> URIRef:
    return URIRef(f"{tag_model_iri(model_set, tag)}/linear/{index}")


def effect_slug(effect: tuple[str, ...]) -> str:
    """A feature effect (its features) as one IRI segment, e.g. ('bpm', 'key') → bpm--key."""
    return "--".join(slug(f) for f in effect)


def effect_iri(model_set: str, tag: str, effect: tuple[str, ...]) -> URIRef:
    """The tag model's feature effect on these features, e.g. `…/metal/effect/bpm`."""
    return URIRef(f"{tag_model_iri(model_set, tag)}/effect/{effect_slug(effect)}")


def condition_iri(model_set: str, feature: str, op: str, threshold: float) -> URIRef:
    """One node per distinct test in a model set, keyed by its feature, operator and exact threshold."""
    key = f"{feature}|{op}|{float(threshold).hex()}".encode()
    return URIRef(f"{model_set_iri(model_set)}/condition/{slug(feature)}-{hashlib.sha256(key).hexdigest()[:16]}")


def run_iri(model_set: str) -> URIRef:
    """The tagging run of a model set (one: each run replaces the last)."""
    return URIRef(f"{tags_graph(model_set)}/run")


def tag_count_iri(run: URIRef, notation: str) -> URIRef:
    return URIRef(f"{run}/count/{slug(notation)}")


# -- vocabularies and the ontology's individuals -----------------------------------------------

def scheme_iri(vocabulary: str) -> URIRef:
    """IRI of a tag vocabulary (a skos:ConceptScheme), e.g. gtzan → …/vocab/gtzan/."""
    return URIRef(f"{VOCAB}{slug(vocabulary)}/")


def tag_iri(vocabulary: str, tag: str) -> URIRef:
    """IRI of a tag within its vocabulary, e.g. (gtzan, blues) → …/vocab/gtzan/blues."""
    return URIRef(f"{scheme_iri(vocabulary)}{slug(tag)}")


def wt_individual(local: str) -> URIRef:
    """An individual of the ontology's namespace named from data (a level learned from tertiles, a feature
    the ontology does not list yet): not a checked WT term, since no Turtle file declares it."""
    return URIRef(WT_NS + local)


def level_stem(name: str) -> str:
    """What the IRIs of a feature's learned levels start with, in UpperCamel case as individuals are:
    Spectral-Centroid → SpectralCentroid (…#SpectralCentroidHigh)."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", name) if p)


def feature_iri(name: str) -> URIRef:
    """The wt: feature (also the datatype property of its values) for a column name the ontology does not
    list, in lowerCamel case: Spectral-Centroid → spectralCentroid, MFCC-14 → mfcc14."""
    first, *rest = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p] or ["feature"]
    first = first.lower() if first.isupper() else first[:1].lower() + first[1:]
    return wt_individual(first + "".join(p[:1].upper() + p[1:] for p in rest))


# -- IRIs typed by users ----------------------------------------------------------------------------

class IriError(WhytagError, ValueError):
    """Text that is not a usable absolute IRI; the message quotes it and says why."""


def checked_iri(text: str, what: str = "IRI") -> URIRef:
    """`text` as a URIRef, or IriError naming `what`, the text and the first problem found."""
    reason = iri_problem(text)
    if reason:
        raise IriError(f"{what} {text!r} is not a valid IRI: {reason}")
    return URIRef(text)


def iri_problem(text: str) -> str | None:
    """Why `text` is not an absolute IRI Oxigraph accepts, in a few words; None if it is one."""
    if not SCHEME.match(text):
        return "it has no scheme (such as urn: or https:)"
    bad = FORBIDDEN.search(text)
    if bad:
        char = bad.group()
        return f"it contains {'a space' if char == ' ' else repr(char)}"
    try:
        pyoxigraph.NamedNode(text)
    except UnicodeEncodeError:
        return "it contains characters that are not valid Unicode"
    except ValueError as err:
        return str(err).strip().splitlines()[0] or "rejected by the IRI parser"
    return None


def looks_like_iri(text: str) -> bool:
    """Whether a user meant `text` as an IRI rather than a path or an id (it starts with a scheme whytag uses)."""
    return text.startswith(("urn:", "http://", "https://"))
