"""The SPARQL texts that are built rather than written in a named file: the one place (kg/queries/*.rq and *.ru
hold the rest).

- Data: `INSERT DATA` / `DELETE DATA` of many triples, in operations an engine's parser takes (`data_operations`),
  their triples N-Triples text (kg.ntriples) and their graphs checked IRIs.
- `drop_graph`: `DROP SILENT GRAPH <g>`, which takes no variable, so it cannot be a file run as it stands.
- `rule_select`: a rule's test compiled to a SELECT of the tracks it fires on, stored with the rule (wt:sparql).
- `feature_values_select`: a batch's values, one pattern a feature joined by UNION (a measured 15× faster than
  the features as a VALUES block, which a file could bind).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from whytag.kg import ntriples as nt
from whytag.kg.ntriples import NTriples, Triple, triples_block

DATA_CHUNK = 2_000  # triples in one INSERT/DELETE DATA operation (see data_operations)
TEMPLATE_CHUNK = 500  # triples in one template insert of blank nodes (see _blank_groups)
BLANK_NODE = re.compile(r"_:[A-Za-z0-9_][A-Za-z0-9_.-]*")


def drop_graph(graph: str) -> str:
    """The Update removing a named graph and everything in it (nothing if it is not there)."""
    return f"DROP SILENT GRAPH {nt.iri(graph)}"


def feature_values_select(tracks: Sequence[str], features: Sequence[str]) -> str:
    """A SELECT of (track's position ?i, feature's position ?j, value ?v) for every value of one of `features`
    in the graphs of `tracks` (IRIs). Positions, not IRIs, come back: a number travels in the row, while
    Oxigraph looks up each IRI of an answer (two thirds of the time when they were asked for). One pattern a
    feature, joined by UNION: with the features as a second VALUES block (?f a variable) Oxigraph took 15× as
    long (1,000 tracks × 27 features: 27 s against 1.7 s on a loaded machine, 2026-12-07)."""
    track_rows = " ".join(f"({nt.iri(t)} {i})" for i, t in enumerate(tracks))
    per_feature = " UNION ".join(f"{{ GRAPH ?track {{ ?track {nt.iri(f)} ?v }} BIND({j} AS ?j) }}"
                                 for j, f in enumerate(features))
    return f"SELECT ?i ?j ?v WHERE {{ VALUES (?track ?i) {{ {track_rows} }} {{ {per_feature} }} }}"


def rule_select(conditions: Iterable[tuple[URIRef, str, float]]) -> str:
    """A rule's test as SPARQL: the tracks whose value of each (feature, comparison, threshold) satisfies it, with
    the values (`?v0`, `?v1`, …); a comparison is one of SPARQL's (`<`, `<=`, `>`, `>=`, `=`)."""
    lines = []
    conditions = list(conditions)
    for i, (feature, comparison, threshold) in enumerate(conditions):
        if comparison not in ("<", "<=", ">", ">=", "="):
            raise ValueError(f"not a SPARQL comparison: {comparison!r}")
        lines.append(f"  ?track {nt.iri(feature)} ?v{i} .")
        lines.append(f"  FILTER(?v{i} {comparison} {Literal(float(threshold), datatype=XSD.double).n3()})")
    values = " ".join(f"?v{i}" for i in range(len(conditions)))
    return f"SELECT ?track {values} WHERE {{\n" + "\n".join(lines) + "\n}"


def insert_data(graphs: Mapping[str, Iterable[Triple] | NTriples]) -> str:
    """An Update adding named graphs' triples (nothing for none), as `data_operations` splits it. Triples with
    blank nodes go in as templates (`INSERT { … } WHERE {}`, the same triples), each blank node's triples in
    one: Virtuoso refuses blank nodes in INSERT DATA."""
    return " ;\n".join(data_operations("INSERT", graphs))


_BLANK = re.compile(r"^_:|\s_:[^\s\"]+\s*\.\s*$")  # a blank node as subject or object, not "_:" inside a literal


def data_operations(verb: str, graphs: Mapping[str, Iterable[Triple] | NTriples]) -> list[str]:
    """`verb` DATA operations (INSERT or DELETE) over named graphs' triples, at most DATA_CHUNK triples each:
    Virtuoso's parser runs out of memory at ~5,000 triples in one operation."""
    ground: list[tuple[str, str]] = []
    blank: list[tuple[str, str]] = []
    for graph, triples in graphs.items():
        for line in triples_block(triples).splitlines():
            (blank if _BLANK.search(line) else ground).append((graph, line))
    if blank and verb == "DELETE":  # a template would insert them: a blank node cannot be named in DELETE DATA
        raise ValueError(f"DELETE DATA cannot name blank nodes: {blank[0][1]}")
    parts = [f"{verb} DATA {{ {_quads(ground[i:i + DATA_CHUNK])} }}" for i in range(0, len(ground), DATA_CHUNK)]
    return parts + [f"INSERT {{ {_quads(group)} }} WHERE {{}}" for group in _blank_groups(blank)]


def _quads(quads: list[tuple[str, str]]) -> str:
    """(graph, N-Triples line) pairs as the body of a DATA block or template, one GRAPH block per graph."""
    graphs: dict[str, list[str]] = {}
    for graph, line in quads:
        graphs.setdefault(graph, []).append(line)
    return " ".join(f"GRAPH {nt.iri(graph)} {{\n{chr(10).join(lines)}\n}}" for graph, lines in graphs.items())


def _blank_groups(quads: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Quads with blank nodes, packed into templates of about TEMPLATE_CHUNK quads; blank nodes that share a
    triple stay in one template, where a label names one node (Virtuoso compiles a template to SQL: at most
    10,000 lines, ~1,500 triples)."""
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        parent.setdefault(label, label)
        while parent[label] != label:
            parent[label] = label = parent[parent[label]]
        return label

    keys = []
    for quad in quads:
        labels = [root(label) for label in BLANK_NODE.findall(quad[1])] or [root(quad[1])]
        for label in labels[1:]:
            parent[root(label)] = root(labels[0])
        keys.append(labels[0])
    components: dict[str, list[tuple[str, str]]] = {}
    for quad, key in zip(quads, keys):
        components.setdefault(root(key), []).append(quad)
    groups: list[list[tuple[str, str]]] = [[]]
    for component in components.values():
        if groups[-1] and len(groups[-1]) + len(component) > TEMPLATE_CHUNK:
            groups.append([])
        groups[-1].extend(component)
    return [group for group in groups if group]
