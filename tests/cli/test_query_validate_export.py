"""`whytag query`, `validate` and `export` end to end."""

from __future__ import annotations

import json

from cli_run import whytag
from rdflib import Dataset, Graph


def test_query_counts_tracks_in_every_format(ingested, tmp_path):
    store, _ = ingested
    sparql = "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }"
    assert json.loads(whytag("query", sparql, "--format", "json", store=store).stdout) == [{"n": 3}]
    assert whytag("query", sparql, "--format", "csv", store=store).stdout.splitlines() == ["n", "3"]
    table = whytag("query", sparql, store=store).stdout
    assert "3" in table and "(1 row)" in table
    query_file = tmp_path / "q.rq"
    query_file.write_text("SELECT ?fmt WHERE { ?f wt:format ?fmt } ORDER BY ?fmt")
    assert whytag("query", "--file", str(query_file), "--format", "csv", store=store).stdout.split() == [
        "fmt", "flac", "ogg", "wav"]


def test_bad_query_is_one_clear_line(ingested):
    store, _ = ingested
    result = whytag("query", "SELECT WHERE {", store=store, check=False)
    assert result.returncode != 0 and "query failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_and_export(ingested, tmp_path):
    store, _ = ingested
    assert "conforms" in whytag("validate", store=store).stdout
    turtle = Graph().parse(data=whytag("export", "--format", "turtle", store=store).stdout, format="turtle")
    nt = Graph().parse(data=whytag("export", "--format", "ntriples", store=store).stdout, format="nt")
    jsonld = Dataset()
    jsonld.parse(data=whytag("export", "--format", "jsonld", store=store).stdout, format="json-ld")
    assert len(turtle) == len(nt) == len(list(jsonld.quads())) > 20  # JSON-LD keeps the named graphs
    out = tmp_path / "all.nq"
    whytag("export", "--format", "nquads", "-o", str(out), store=store)
    quads = Dataset()
    quads.parse(out, format="nquads")
    assert len({g for *_, g in quads.quads()}) == 3  # one graph per track, schema left out
    trig = Dataset()
    trig.parse(data=whytag("export", "--format", "trig", store=store).stdout, format="trig")
    assert set(trig.quads()) == set(quads.quads())  # streamed graph by graph, the same quads


def test_query_renders_iris_of_every_namespace(ingested):
    store, _ = ingested
    sparql = ('SELECT DISTINCT ?type WHERE { GRAPH ?g { ?s a ?type } FILTER(STRSTARTS(STR(?s), "urn:whytag:track")) } '
              "ORDER BY ?type")
    table = whytag("query", sparql, store=store).stdout
    assert "wt:AudioFile" in table and "wt:Track" in table
    lines = whytag("query", sparql, "--format", "csv", store=store).stdout.split("\n")
    assert lines[:3] == ["type", "https://w3id.org/whytag/ontology#AudioFile", "https://w3id.org/whytag/ontology#Track"]
    classes = whytag("query", "SELECT ?c WHERE { GRAPH ?g { ?c a owl:Class } } LIMIT 3", store=store).stdout
    assert "(3 rows)" in classes  # rdf:/owl: IRIs (DefinedNamespaces) print too
