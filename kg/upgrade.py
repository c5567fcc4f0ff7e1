"""Bring a store written by an earlier whytag to the graph's current layout, once, when its schema changes.

Each step changes nothing on a store already in the current layout, so running them again is harmless.
GraphStore.ensure_schema runs `upgrade` before it writes the new schema (an interrupted upgrade runs again).
"""

from __future__ import annotations

import re
from typing import Protocol

from rdflib import Literal, URIRef

from whytag.kg import ntriples as nt
from whytag.kg.features import feature_node, known_features
from whytag.kg.iris import EXTRACTORS_GRAPH, SCHEMA_GRAPH, level_stem, wt_individual
from whytag.kg.ntriples import NTriples, line
from whytag.kg.queries import query, update
from whytag.kg.queries.build import data_operations

OLD_CONDITION = re.compile(r"\?o(\d+) wt:ofTrack \?track ; wt:feature <([^>]+)> ; wt:value \?v\1 \.")


class Updatable(Protocol):
    """What an upgrade needs of a store (kg.store.GraphStore; not imported: the store imports this module)."""

    def update(self, sparql: str) -> None: ...
    def values(self, sparql: str): ...


def upgrade(store: Updatable) -> None:
    """Every step, in order (kg/queries/upgrade-*.ru): those up to 2026-12-01 in one request, then the catalog graph
    v2's (2026-12-07), with the features it renames."""
    store.update(update("upgrade-2026-12-01", extractors=EXTRACTORS_GRAPH))
    if not next(iter(store.values(query("v1-layout-sign", limit=1))), None):
        return
    renamed = _renamed_features(store)
    rows = [(URIRef(old), URIRef(new)) for old, new in renamed.items()]
    store.update(update("upgrade-2026-12-07", f=rows, old=rows, schema=SCHEMA_GRAPH))
    _rewrite_rule_queries(store, renamed)


def _renamed_features(store: Updatable) -> dict[str, str]:
    """Old feature IRI → the one whytag mints today for the same feature name (wt:BPM → wt:bpm): for the
    features the ontology lists (their old IRIs were the UpperCamel form of their names, kg.iris.level_stem)
    and for those the store describes itself (a table's columns the ontology does not list)."""
    names = {str(wt_individual(level_stem(name))): name for name, info in known_features().items()
             if name == info.name}
    names.update({str(old): str(name) for old, name in store.values(query("described-features"))})
    renamed = {old: str(feature_node(name)) for old, name in names.items()}
    return {old: new for old, new in renamed.items() if old != new}


def _rewrite_rule_queries(store: Updatable, renamed: dict[str, str]) -> None:
    """Each rule's SPARQL form over observations, rewritten over the track's values (as rules.rule_sparql writes it)."""
    changes: dict[str, list[tuple[str, str]]] = {}
    for graph, rule, text in store.values(query("rule-queries-over-observations")):
        new = OLD_CONDITION.sub(lambda m: f"?track <{renamed.get(m.group(2), m.group(2))}> ?v{m.group(1)} .", text)
        new = re.sub(r"\?o(\d+)", r"?v\1", new)
        old_line, new_line = (line(f"<{rule}>", "<https://w3id.org/whytag/ontology#sparql>", nt.term(Literal(t)))
                              for t in (text, new))
        changes.setdefault(graph, []).append((old_line, new_line))
    for graph, pairs in changes.items():
        store.update(" ;\n".join(data_operations("DELETE", {graph: NTriples("".join(o for o, _ in pairs))}) +
                                  data_operations("INSERT", {graph: NTriples("".join(n for _, n in pairs))})))
