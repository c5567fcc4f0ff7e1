# The catalog graph v2 (2026-12-07): a feature is also the datatype property of its values (wt:BPM → wt:bpm),
# a value one quad <track> wt:bpm 146.8 instead of a three-quad wt:FeatureObservation, and a predicted tag also
# <track> wt:taggedAs <tag>. $f: rows (old feature IRI, new IRI) of the renamed features; $old the same rows;
# $schema the schema graph, left as the ontology says.
# Values: one quad each, under the feature's new IRI.
INSERT { GRAPH ?g { ?t ?new ?v } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; wt:feature ?f ; wt:value ?v }
  OPTIONAL { VALUES ($f $renamed) { (UNDEF UNDEF) } } BIND(COALESCE(?renamed, ?f) AS ?new) } ;
# The chord events a harmony value counted: from the observation's prov:wasDerivedFrom to wt:countedFor.
INSERT { GRAPH ?g { ?e wt:countedFor ?new } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; wt:feature ?f ;
  prov:wasDerivedFrom ?e } OPTIONAL { VALUES ($f $renamed) { (UNDEF UNDEF) } }
  BIND(COALESCE(?renamed, ?f) AS ?new) } ;
DELETE { GRAPH ?g { ?o ?p ?x } } WHERE { GRAPH ?g { ?o wt:ofTrack ?t ; ?p ?x } } ;
DELETE WHERE { GRAPH ?g { ?j wt:fromObservation ?o } } ;
DELETE { GRAPH ?g { ?a wt:observationCount ?n } } INSERT { GRAPH ?g { ?a wt:valueCount ?n } }
  WHERE { GRAPH ?g { ?a wt:observationCount ?n } } ;
# Every other mention of a feature (conditions, effects, terms, thresholds, extractors, flips, rule bodies).
DELETE { GRAPH ?g { ?s ?p ?old } } INSERT { GRAPH ?g { ?s ?p ?new } }
  WHERE { VALUES ($old $new) { (UNDEF UNDEF) } GRAPH ?g { ?s ?p ?old } FILTER(?g != $schema) } ;
DELETE { GRAPH ?g { ?old ?p ?o } } INSERT { GRAPH ?g { ?new ?p ?o } }
  WHERE { VALUES ($old $new) { (UNDEF UNDEF) } GRAPH ?g { ?old ?p ?o } FILTER(?g != $schema) } ;
# A rule body's condition ∃ofTrack⁻.(feature = F ⊓ ∃value.R) becomes ∃F.R.
DELETE { GRAPH ?g { ?r owl:onProperty ?inverse ; owl:someValuesFrom ?and . ?inverse owl:inverseOf wt:ofTrack .
                    ?and a owl:Class ; owl:intersectionOf ?first . ?first rdf:first ?is ; rdf:rest ?second .
                    ?second rdf:first ?has ; rdf:rest rdf:nil .
                    ?is a owl:Restriction ; owl:onProperty wt:feature ; owl:hasValue ?f .
                    ?has a owl:Restriction ; owl:onProperty wt:value ; owl:someValuesFrom ?range } }
INSERT { GRAPH ?g { ?r owl:onProperty ?f ; owl:someValuesFrom ?range } }
WHERE { GRAPH ?g { ?r owl:onProperty ?inverse ; owl:someValuesFrom ?and . ?inverse owl:inverseOf wt:ofTrack .
                   ?and a owl:Class ; owl:intersectionOf ?first . ?first rdf:first ?is ; rdf:rest ?second .
                   ?second rdf:first ?has ; rdf:rest rdf:nil .
                   ?is a owl:Restriction ; owl:onProperty wt:feature ; owl:hasValue ?f .
                   ?has a owl:Restriction ; owl:onProperty wt:value ; owl:someValuesFrom ?range } } ;
INSERT { GRAPH ?g { ?t wt:taggedAs ?tag } }
  WHERE { GRAPH ?g { ?a a wt:TagAssignment ; wt:track ?t ; wt:tag ?tag ; wt:predicted true } }
