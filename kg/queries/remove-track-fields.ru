# Remove, from each track's own graph, the track's values of the given predicates: $t with $p, one row per
# (track, predicate) pair — one VALUES block: the same tracks and predicates as two blocks took Oxigraph 15x as
# long (a cross product it joins before the graph pattern). Metadata written anew replaces its fields so.
DELETE { GRAPH ?t { ?t ?p ?o } } WHERE { VALUES ($t $p) { (UNDEF UNDEF) } GRAPH ?t { ?t ?p ?o } }
