# Remove from the tags graph $graph what it says of the tagging run $run — its times, its model set and its
# per-tag counts — before a new run of the same model set starts (they would no longer describe the graph).
DELETE { GRAPH $graph { ?s ?p ?o } }
WHERE { GRAPH $graph { { $run ?p ?o BIND($run AS ?s) } UNION { $run wt:tagCount ?s . ?s ?p ?o } } }
