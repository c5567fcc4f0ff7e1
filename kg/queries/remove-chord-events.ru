# Remove from the track's graph $graph the chord events (and what was inferred of them) of one transcription:
# every triple whose subject's IRI starts with $prefix.
DELETE { GRAPH $graph { ?s ?p ?o } } WHERE { GRAPH $graph { ?s ?p ?o FILTER(STRSTARTS(STR(?s), $prefix)) } }
