# A store written before 2026-12-01, brought to that day's layout (each step changes nothing on a store already
# in it). An observation's run is no longer linked from each value (prov:wasGeneratedBy) but read through the
# features its extractor wt:measures, said once in the extractors' graph $extractors ...
INSERT { GRAPH $extractors { ?agent a wt:Extractor ; rdfs:label ?name ; wt:measures ?f } }
WHERE { GRAPH ?g { ?o prov:wasGeneratedBy ?a ; wt:feature ?f ; wt:value ?v .
                   ?a a wt:Extraction ; prov:wasAssociatedWith ?agent . ?agent rdfs:label ?name } } ;
DELETE { GRAPH ?g { ?o prov:wasGeneratedBy ?a } }
WHERE { GRAPH ?g { ?o prov:wasGeneratedBy ?a ; wt:value ?v . ?a a wt:Extraction } } ;
# ... the version belongs to the run, and what the extractor is to the extractors' graph ...
DELETE { GRAPH ?g { ?agent a wt:Extractor ; rdfs:label ?name ; wt:softwareVersion ?version } }
INSERT { GRAPH ?g { ?a wt:softwareVersion ?version } }
WHERE { GRAPH ?g { ?a a wt:Extraction ; prov:wasAssociatedWith ?agent . ?agent wt:softwareVersion ?version .
                   OPTIONAL { ?agent rdfs:label ?name } } } ;
# ... and a justification no longer names its linear term: the model graph does (through its effect).
DELETE WHERE { GRAPH ?g { ?j wt:linearTerm ?term } }
