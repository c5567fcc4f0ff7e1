# Remove, from each of the tracks' $t own graphs, the links of albums to the track (metadata naming another album).
DELETE { GRAPH ?t { ?album mo:track ?t } } WHERE { VALUES $t { UNDEF } GRAPH ?t { ?album mo:track ?t } }
