"""Bring a store written by an earlier whytag to the graph's current layout, once, when its schema changes.

Each step changes nothing on a store already in the current layout, so running them again is harmless.
GraphStore.ensure_schema runs `upgrade` before it writes the new schema (an interrupted upgrade runs again).
"""

from __future__ import annotations

import re
from typing import Protocol

from rdflib import Literal

from whytag.kg.features import feature_node, known_features
from whytag.kg.iris import EXTRACTORS_GRAPH, SCHEMA_GRAPH, level_stem, wt_individual
from whytag.kg.ntriples import line

STEPS = (
    # 2026-12-01: an observation's run is no longer linked from each value (prov:wasGeneratedBy) but read
    # through the features its extractor wt:measures, said once in EXTRACTORS_GRAPH ...
    f"""INSERT {{ GRAPH <{EXTRACTORS_GRAPH}> {{ ?agent a wt:Extractor ; rdfs:label ?name ; wt:measures ?f }} }}
    WHERE {{ GRAPH ?g {{ ?o prov:wasGeneratedBy ?a ; wt:feature ?f ; wt:value ?v .
                         ?a a wt:Extraction ; prov:wasAssociatedWith ?agent . ?agent rdfs:label ?name }} }}""",
    """DELETE { GRAPH ?g { ?o prov:wasGeneratedBy ?a } }
    WHERE { GRAPH ?g { ?o prov:wasGeneratedBy ?a ; wt:value ?v . ?a a wt:Extraction } }""",
    # ... the version belongs to the run, and what the extractor is to EXTRACTORS_GRAPH ...
    """DELETE { GRAPH ?g { ?agent a wt:Extractor ; rdfs:label ?name ; wt:softwareVersion ?version } }
    INSERT { GRAPH ?g { ?a wt:softwareVersion ?version } }
    WHERE { GRAPH ?g { ?a a wt:Extraction ; prov:wasAssociatedWith ?agent . ?agent wt:softwareVersion ?version .
                       OPTIONAL { ?agent rdfs:label ?name } } }""",
    # ... and a justification no longer names its linear term: the model graph does (through its effect).
    "DELETE WHERE { GRAPH ?g { ?j wt:linearTerm ?term } }",
)

# 2026-12-07, the catalog graph v2: a feature is also the datatype property of its values (wt:BPM → wt:bpm),
# a value one quad <track> wt:bpm 146.8 instead of a three-quad wt:FeatureObservation, and a predicted tag
# also <track> wt:taggedAs <tag>. {renamed} is a VALUES block of (?old ?new) feature IRIs.
V2_STEPS = (
    # values: one quad each, under the feature's new IRI
    """INSERT { GRAPH ?g { ?t ?new ?v } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; wt:feature ?f ; wt:value ?v }
        OPTIONAL { VALUES (?f ?renamed) { {renamed} } } BIND(COALESCE(?renamed, ?f) AS ?new) }""",
    # the chord events a harmony value counted: from the observation's prov:wasDerivedFrom to wt:countedFor
    """INSERT { GRAPH ?g { ?e wt:countedFor ?new } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; wt:feature ?f ;
        prov:wasDerivedFrom ?e } OPTIONAL { VALUES (?f ?renamed) { {renamed} } }
        BIND(COALESCE(?renamed, ?f) AS ?new) }""",
    "DELETE { GRAPH ?g { ?o ?p ?x } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; ?p ?x } }",
    "DELETE WHERE { GRAPH ?g { ?j wt:fromObservation ?o } }",
    """DELETE { GRAPH ?g { ?a wt:observationCount ?n } } INSERT { GRAPH ?g { ?a wt:valueCount ?n } }
        WHERE { GRAPH ?g { ?a wt:observationCount ?n } }""",
    # every other mention of a feature (conditions, effects, terms, thresholds, extractors, flips, rule bodies)
    f"""DELETE {{ GRAPH ?g {{ ?s ?p ?old }} }} INSERT {{ GRAPH ?g {{ ?s ?p ?new }} }}
        WHERE {{ VALUES (?old ?new) {{ {{renamed}} }} GRAPH ?g {{ ?s ?p ?old }} FILTER(?g != <{SCHEMA_GRAPH}>) }}""",
    f"""DELETE {{ GRAPH ?g {{ ?old ?p ?o }} }} INSERT {{ GRAPH ?g {{ ?new ?p ?o }} }}
        WHERE {{ VALUES (?old ?new) {{ {{renamed}} }} GRAPH ?g {{ ?old ?p ?o }} FILTER(?g != <{SCHEMA_GRAPH}>) }}""",
    # a rule body's condition ∃ofTrack⁻.(feature = F ⊓ ∃value.R) becomes ∃F.R
    """DELETE { GRAPH ?g { ?r owl:onProperty ?inverse ; owl:someValuesFrom ?and . ?inverse owl:inverseOf wt:ofTrack .
                         ?and a owl:Class ; owl:intersectionOf ?first . ?first rdf:first ?is ; rdf:rest ?second .
                         ?second rdf:first ?has ; rdf:rest rdf:nil .
                         ?is a owl:Restriction ; owl:onProperty wt:feature ; owl:hasValue ?f .
                         ?has a owl:Restriction ; owl:onProperty wt:value ; owl:someValuesFrom ?range } }
       INSERT { GRAPH ?g { ?r owl:onProperty ?f ; owl:someValuesFrom ?range } }
       WHERE { GRAPH ?g { ?r owl:onProperty ?inverse ; owl:someValuesFrom ?and . ?inverse owl:inverseOf wt:ofTrack .
                          ?and a owl:Class ; owl:intersectionOf ?first . ?first rdf:first ?is ; rdf:rest ?second .
                          ?second rdf:first ?has ; rdf:rest rdf:nil .
                          ?is a owl:Restriction ; owl:onProperty wt:feature ; owl:hasValue ?f .
                          ?has a owl:Restriction ; owl:onProperty wt:value ; owl:someValuesFrom ?range } }""",
    """INSERT { GRAPH ?g { ?t wt:taggedAs ?tag } }
        WHERE { GRAPH ?g { ?a a wt:TagAssignment ; wt:track ?t ; wt:tag ?tag ; wt:predicted true } }""",
)
OLD_CONDITION = re.compile(r"\?o(\d+) wt:ofTrack \?track ; wt:feature <([^>]+)> ; wt:value \?v\1 \.")


class Updatable(Protocol):
    """What an upgrade needs of a store (kg.store.GraphStore; not imported: the store imports this module)."""

    def update(self, sparql: str) -> None: ...
    def values(self, sparql: str): ...


def upgrade_statements() -> str:
    """The steps up to 2026-12-01, as one SPARQL Update request (one transaction)."""
    return " ;\n".join(STEPS)


def upgrade(store: Updatable) -> None:
    """Every step, in order: those up to 2026-12-01 in one request, then the catalog graph v2's."""
    store.update(upgrade_statements())
    if not next(iter(store.values("SELECT ?o WHERE { GRAPH ?g { ?o wt:ofTrack ?t } } LIMIT 1")), None) and \
            not next(iter(store.values("SELECT ?a WHERE { GRAPH ?g { ?a wt:observationCount ?n } } LIMIT 1")), None):
        return
    renamed = _renamed_features(store)
    rows = " ".join(f"(<{old}> <{new}>)" for old, new in renamed.items())
    store.update(" ;\n".join(step.replace("{renamed}", rows) for step in V2_STEPS))
    _rewrite_rule_queries(store, renamed)


def _renamed_features(store: Updatable) -> dict[str, str]:
    """Old feature IRI → the one whytag mints today for the same feature name (wt:BPM → wt:bpm): for the
    features the ontology lists (their old IRIs were the UpperCamel form of their names, kg.iris.level_stem)
    and for those the store describes itself (a table's columns the ontology does not list)."""
    names = {str(wt_individual(level_stem(name))): name for name, info in known_features().items()
             if name == info.name}
    names.update({str(old): str(name) for old, name in store.values(
        "SELECT DISTINCT ?f ?name WHERE { GRAPH ?g { ?f a wt:Feature ; wt:featureName ?name } }")})
    renamed = {old: str(feature_node(name)) for old, name in names.items()}
    return {old: new for old, new in renamed.items() if old != new}


def _rewrite_rule_queries(store: Updatable, renamed: dict[str, str]) -> None:
    """Each rule's SPARQL form over observations, rewritten over the track's values (as rules.rule_sparql writes it)."""
    changes: dict[str, list[tuple[str, str]]] = {}
    for graph, rule, text in store.values("""SELECT ?g ?rule ?q WHERE { GRAPH ?g { ?rule wt:sparql ?q }
                                             FILTER(CONTAINS(?q, "wt:ofTrack")) }"""):
        new = OLD_CONDITION.sub(lambda m: f"?track <{renamed.get(m.group(2), m.group(2))}> ?v{m.group(1)} .", text)
        new = re.sub(r"\?o(\d+)", r"?v\1", new)
        old_line, new_line = (line(f"<{rule}>", "<https://w3id.org/whytag/ontology#sparql>", Literal(t).n3())
                              for t in (text, new))
        changes.setdefault(graph, []).append((old_line, new_line))
    for graph, pairs in changes.items():
        store.update(f"DELETE DATA {{ GRAPH <{graph}> {{ {''.join(o for o, _ in pairs)} }} }} ;\n"
                     f"INSERT DATA {{ GRAPH <{graph}> {{ {''.join(n for _, n in pairs)} }} }}")
