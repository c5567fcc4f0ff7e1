# Remove an extractor's earlier output from the track $track's graph $graph: its extraction $extraction, and
# the track's values of the features the extractor $extractor measures (as declared in the graph $extractors)
# or is about to write ($p: the features' properties), so a feature keeps one value, the last one measured.
DELETE { GRAPH $graph { ?s ?p ?o } }
WHERE { GRAPH $graph {
  { BIND($extraction AS ?s) ?s ?p ?o }
  UNION { GRAPH $extractors { $extractor wt:measures ?p } BIND($track AS ?s) ?s ?p ?o }
  UNION { VALUES $p { UNDEF } BIND($track AS ?s) ?s ?p ?o } } }
