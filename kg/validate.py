"""SHACL validation of the store's instance data against ontology/shapes.ttl (pySHACL)."""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH, XSD

from whytag.kg.namespaces import SCHEMA_GRAPH
from whytag.kg.store import GraphStore
from whytag.ontology import SHAPES, schema_files


@dataclass(frozen=True)
class Violation:
    """One failed constraint, in words: the node, the property path and the shape's message."""

    focus: str
    path: str
    message: str
    value: str

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        value = f" [value: {self.value}]" if self.value else ""
        return f"{self.focus}{where}: {self.message}{value}"


def validate_graph(data: Graph, schema: Graph | None = None) -> list[Violation]:
    """Violations of whytag's shapes in `data`; class membership is read with the ontology's RDFS."""
    shapes = Graph().parse(SHAPES, format="turtle")
    if schema is None:
        schema = Graph()
        for path in schema_files():
            schema.parse(path, format="turtle")
    # The schema is merged in so sh:class sees features and tags declared there (rdfs:subClassOf too).
    _, report, _ = shacl_validate(data + schema, shacl_graph=shapes, inference="none",
                                  allow_warnings=True, advanced=True)
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        def text(prop):
            node = report.value(result, prop)
            return "" if node is None else str(node)
        violations.append(Violation(text(SH.focusNode), _short(text(SH.resultPath)),
                                    text(SH.resultMessage), text(SH.value)))
    return sorted(violations, key=lambda v: (v.focus, v.path, v.message))


def validate_store(store: GraphStore, sample: int | None = None) -> list[Violation]:
    """Violations over everything in the store (instance data plus the schema it uses), partial writes
    and interrupted tagging runs included.

    A catalog is too large for SHACL in memory: with `sample`, the shapes check the model graphs and
    `sample` tracks drawn at random (each with its graph and its tag assignments); the checks for
    partial extractions and interrupted runs still cover the whole store.
    """
    data = store.construct(_sampled(sample) if sample is not None else
                           f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{SCHEMA_GRAPH}>) }}")
    shapes = validate_graph(_plain_strings(data), _plain_strings(store.graph_triples(SCHEMA_GRAPH)))
    return sorted(shapes + partial_extractions(store) + interrupted_runs(store) + stale_tag_counts(store),
                  key=lambda v: (v.focus, v.path, v.message))


def _sampled(sample: int) -> str:
    """CONSTRUCT of the model graphs and `sample` random tracks' graphs with their assignments and reasons."""
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
        {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "urn:whytag:graph/model/")) }}
        UNION {{ {{ SELECT ?t WHERE {{ GRAPH ?t {{ ?t a wt:Track }} }} ORDER BY RAND() LIMIT {int(sample)} }}
                 {{ GRAPH ?t {{ ?s ?p ?o }} }}
                 UNION {{ GRAPH ?tg {{ ?a wt:track ?t . ?a (wt:justifiedBy|wt:decisionChangesIf)? ?s . ?s ?p ?o }} }} }}
    }}"""


def interrupted_runs(store: GraphStore) -> list[Violation]:
    """Tagging runs that started and never ended: some batches of tracks carry the run's tags, the rest none."""
    rows = store.select("""SELECT ?run WHERE { GRAPH ?g { ?run a wt:Tagging ; prov:startedAtTime ?start
                           FILTER NOT EXISTS { ?run prov:endedAtTime ?end } } }""").rows
    return [Violation(str(run), "endedAtTime", "interrupted tagging run: only some tracks carry its tags "
                      "(run `whytag tag` again)", "") for (run,) in rows]


def stale_tag_counts(store: GraphStore) -> list[Violation]:
    """Per-tag counts a tagging run wrote that no longer match its graph's predicted assignments (tags
    edited since, or a run cut short): one count over every assignment, as the stored counts save."""
    rows = store.select("""
        SELECT ?c ?stored (COUNT(DISTINCT ?a) AS ?found) WHERE {
          GRAPH ?g { ?run wt:tagCount ?c . ?c wt:countedTag ?tag ; wt:trackCount ?stored .
                     OPTIONAL { ?a wt:tag ?tag ; wt:predicted true } }
        } GROUP BY ?c ?stored HAVING (COUNT(DISTINCT ?a) != ?stored)""").rows
    return [Violation(str(c), "trackCount", f"stale tag count: {stored} recorded, {found} tracks carry the tag "
                      "(run `whytag tag` again)", "") for c, stored, found in rows]


def partial_extractions(store: GraphStore) -> list[Violation]:
    """Extractions with fewer (or more) observations in their track's graph than they recorded generating.

    Each extraction's observations and its wt:observationCount are written in one transaction, so a
    difference means the track was written in part (an interrupted write by another tool, or an edit).
    """
    rows = store.select("""
        SELECT ?a ?expected (COUNT(DISTINCT ?o) AS ?found) WHERE {
          GRAPH ?g { ?a a wt:Extraction ; wt:observationCount ?expected .
                      OPTIONAL { ?o prov:wasGeneratedBy ?a ; wt:value ?v } }
        } GROUP BY ?a ?expected HAVING (COUNT(DISTINCT ?o) != ?expected)""").rows
    return [Violation(str(a), "observationCount", f"partial extraction: {found} of {expected} observations are in "
                      "the graph (run `whytag extract` again)", "") for a, expected, found in rows]


def _plain_strings(graph: Graph) -> Graph:
    """Stores return "x"^^xsd:string where Turtle wrote "x"; rdflib tells them apart, SHACL must not."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


def _short(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if iri else ""
