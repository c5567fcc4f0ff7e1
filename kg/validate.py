"""SHACL validation of the store's instance data against ontology/shapes.ttl (pySHACL)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

from pyshacl import validate as shacl_validate
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SH, XSD

from whytag.kg.iris import CATALOG_GRAPH, EXTRACTORS_GRAPH, SCHEMA_GRAPH, graph_iri
from whytag.kg.namespaces import prefixed_name
from whytag.kg.queries import query
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
    details = set(report.objects(None, SH.detail))  # why a nested shape (sh:node) failed: its parent says it in words
    for result in set(report.subjects(RDF.type, SH.ValidationResult)) - details:
        def text(prop, result=result):  # called in this iteration only: bound to its result
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
    with _quiet_conversions():
        data, ill_typed = _shacl_ready(store.construct(_sampled(store, sample) if sample is not None else
                                                       query("triples-except-schema", schema=SCHEMA_GRAPH)))
    shapes = validate_graph(data, _shacl_ready(store.graph_triples(SCHEMA_GRAPH))[0])
    return sorted(ill_typed + shapes + partial_extractions(store) + interrupted_runs(store) + stale_tag_counts(store),
                  key=lambda v: (v.focus, v.path, v.message))


def _sampled(store: GraphStore, sample: int) -> str:
    """CONSTRUCT of the model and extractors graphs, and `sample` random tracks' graphs with their
    assignments and reasons, and the artists and albums they name (kg.metadata)."""
    tracks = [t for (t,) in store.values(query("random-tracks", limit=sample))]
    return query("sampled-data", modelGraphs=Literal(str(graph_iri("model/"))), extractors=EXTRACTORS_GRAPH,
                 catalog=CATALOG_GRAPH, t=tracks)


def interrupted_runs(store: GraphStore) -> list[Violation]:
    """Tagging runs that started and never ended: some batches of tracks carry the run's tags, the rest those of
    the run before (or none)."""
    rows = store.select(query("interrupted-runs")).rows
    return [Violation(str(run), "endedAtTime", "interrupted tagging run: some tracks carry its tags, the rest "
                      "their earlier ones (run `whytag tag` again)", "") for (run,) in rows]


def stale_tag_counts(store: GraphStore) -> list[Violation]:
    """Per-tag counts a tagging run wrote that no longer match its graph's predicted assignments (tags
    edited since, or a run cut short): one count over every assignment, as the stored counts save."""
    rows = store.select(query("stale-tag-counts")).rows
    return [Violation(str(c), "trackCount", f"stale tag count: {stored} recorded, {found} tracks carry the tag "
                      "(run `whytag tag` again)", "") for c, stored, found in rows]


def partial_extractions(store: GraphStore, batch: int = 1000) -> list[Violation]:
    """Extractions with fewer (or more) values in their track's graph than they recorded generating.

    Each extraction's values and its wt:valueCount are written in one transaction, so a difference means
    the track was written in part (an interrupted write by another tool, or an edit). Two counts per graph
    find the graphs where the totals differ; only those are counted extraction by extraction, through the
    features each extractor measures. A missing value that another, unrecorded one makes up for is not
    found here; SHACL flags the latter when no extractor measures its feature.
    """
    expected = dict(store.values(query("recorded-value-counts")))
    found = dict(store.values(query("value-counts", extractors=EXTRACTORS_GRAPH)))
    uneven = sorted(g for g in expected.keys() | found.keys() if expected.get(g, 0) != found.get(g, 0))
    ambiguous = _ambiguous_extractions(store)  # their graphs' counts differ as a feature keeps its last value
    overlapping = {v.focus.split("/extraction/")[0] for v in ambiguous}
    violations = []
    for start in range(0, len(uneven), batch):
        graphs = uneven[start:start + batch]
        rows = store.values(query("partial-extractions", g=graphs, extractors=EXTRACTORS_GRAPH))
        explained = set()
        for graph, extraction, count, seen in rows:
            explained.add(graph)
            violations.append(Violation(extraction, "valueCount", f"partial extraction: {seen:.0f} of "
                                        f"{count:.0f} values are in the graph (run `whytag extract` again)", ""))
        violations += [Violation(g, "value", f"{found.get(g, 0):.0f} values, {expected.get(g, 0):.0f} recorded "
                                 "by its extractions: some were generated by none of them", "")
                       for g in graphs if g not in explained | overlapping]
    return violations + ambiguous


def _ambiguous_extractions(store: GraphStore) -> list[Violation]:
    """Two extractions in one track's graph whose extractors measure a common feature: which of them
    generated that feature's value can no longer be read from the graph."""
    rows = store.values(query("ambiguous-extractions", extractors=EXTRACTORS_GRAPH))
    return [Violation(a, "measures", f"its extractor and {b}'s measure a common feature: which of them "
                      "generated its value is ambiguous", "") for a, b in rows]


def _shacl_ready(graph: Graph) -> tuple[Graph, list[Violation]]:
    """The graph as the shapes should read it, and its ill-typed literals as violations of their own.

    Stores return "x"^^xsd:string where Turtle wrote "x"; rdflib tells them apart, SHACL must not. A literal
    whose text is no value of its datatype ("abc"^^xsd:double, put there by an update) is left out of what
    pySHACL reads: its numeric checks stopped the whole validation on one ("TypeError: Not a number")."""
    out, ill_typed = Graph(), []
    for s, p, o in graph:
        if isinstance(o, Literal) and o.ill_typed:
            ill_typed.append(Violation(str(s), _short(str(p)), f"ill-typed literal: its text is no "
                                       f"{prefixed_name(str(o.datatype))} (fix or remove it "
                                       "with an update)", str(o)))
            continue
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        out.add((s, p, o))
    return out, ill_typed


@contextmanager
def _quiet_conversions():
    """Keep rdflib from logging a traceback for each ill-typed literal it reads: validation reports them."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _short(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] if iri else ""
