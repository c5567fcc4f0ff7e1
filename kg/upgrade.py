"""Bring a store written by an earlier whytag to the graph's current layout, once, when its schema changes.

Each step is a SPARQL Update that changes nothing on a store already in the current layout, so running
them again is harmless. They are run in order, in one request, by GraphStore.ensure_schema.
"""

from __future__ import annotations

from whytag.kg.iris import EXTRACTORS_GRAPH

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


def upgrade_statements() -> str:
    """Every step, as one SPARQL Update request (one transaction)."""
    return " ;\n".join(STEPS)
