# Remove from the tags graph $graph every triple of the tracks' assignments (with their justifications and
# counterfactuals) and every triple about the tracks themselves: bind the same tracks to $t and $s.
DELETE { GRAPH $graph { ?s ?p ?o } }
WHERE { GRAPH $graph {
  { VALUES $t { UNDEF } ?a wt:track ?t . ?a (wt:justifiedBy|wt:decisionChangesIf)? ?s . ?s ?p ?o }
  UNION { VALUES $s { UNDEF } ?s ?p ?o } } }
