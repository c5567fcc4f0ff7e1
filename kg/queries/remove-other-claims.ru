# Remove the claims of other tracks (not $track) to the audio file at the path $path (see other-claims.rq):
# ingest does so in the transaction recording the new content; the old track keeps its features.
DELETE { GRAPH ?g { ?t mo:available_as ?f . ?f ?p ?o } }
WHERE { GRAPH ?g { ?t mo:available_as ?f . ?f wt:path $path ; ?p ?o } FILTER(?t != $track) }
