"""`whytag query`, `validate` and `export` end to end."""

from __future__ import annotations

import json
import subprocess
import sys

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
    unfinished = whytag("query", "SELECT * WHERE {", store=store, check=False)  # was "expected one of …" a screen
    assert unfinished.returncode == 1
    assert unfinished.stderr == f"Error: {store}: query failed: the text ends with 1 '{{' not closed\n"


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


def test_export_to_a_folder_that_is_not_there_is_one_line(tmp_path):
    """It was an 'internal error: FileNotFoundError' naming the hidden partial file, exit 70."""
    target = tmp_path / "missing" / "catalog.ttl"
    result = whytag("--create", "export", "-o", str(target), store=tmp_path / "graph", check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == f"Error: {target}: cannot write the export (No such file or directory)"


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


def test_query_streams_every_format_and_stops_at_max_results(ingested):
    store, _ = ingested
    sparql = ('SELECT ?fmt ?note WHERE { ?f wt:format ?fmt BIND(IF(?fmt = "wav", "tab\\there", 1) AS ?note) } '
              "ORDER BY ?fmt")
    rows = [json.loads(line) for line in whytag("query", sparql, "--format", "jsonl", store=store).stdout.splitlines()]
    assert rows == [{"fmt": "flac", "note": 1}, {"fmt": "ogg", "note": 1}, {"fmt": "wav", "note": "tab\there"}]
    assert json.loads(whytag("query", sparql, "--format", "json", store=store).stdout) == rows
    tsv = whytag("query", sparql, "--format", "tsv", store=store).stdout.splitlines()
    assert tsv[0] == "?fmt\t?note" and tsv[3] == '"wav"\t"tab\\there"'  # SPARQL TSV: a tab in a value escaped
    capped = whytag("query", sparql, "--format", "csv", "--max-results", "2", store=store, check=False)
    assert capped.returncode == 1 and capped.stdout.splitlines() == ["fmt,note", "flac,1", "ogg,1"]
    assert capped.stderr.count("\n") == 1 and "more than 2 rows (--max-results)" in capped.stderr
    held = whytag("query", sparql, "--format", "json", "--max-results", "2", store=store, check=False)
    assert held.returncode == 1 and json.loads(held.stdout) == rows[:2]  # what was printed is still valid JSON
    assert whytag("query", sparql, "--max-results", "3", store=store).returncode == 0  # exactly the cap is no error
    triples = whytag("query", "CONSTRUCT { ?f wt:format ?fmt } WHERE { ?f wt:format ?fmt }", "--format", "jsonl",
                     store=store).stdout.splitlines()
    assert len(triples) == 3 and set(json.loads(triples[0])) == {"subject", "predicate", "object"}


def test_rows_are_printed_while_the_query_still_runs(ingested):
    """A cross product of every triple with itself three times (billions of rows): the first rows arrive, and
    the command is stopped by its reader, never having held the answer."""
    store, _ = ingested
    command = [sys.executable, "-m", "whytag", "--store", str(store), "query", "--format", "tsv", "--max-results",
               "0", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(2001)]
    finally:
        process.kill()
        process.wait(timeout=60)
    assert lines[0] == "?a\t?b\t?c\t?d\t?e\t?f\t?g\t?h\t?i\n" and all(line.count("\t") == 8 for line in lines[1:])


def test_an_update_given_to_query_is_refused_with_the_way_to_send_one(ingested):
    store, _ = ingested
    result = whytag("query", "PREFIX x: <urn:x:>\nINSERT DATA { x:a x:b x:c }", store=store, check=False)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "SPARQL Update (INSERT" in result.stderr and "only reads" in result.stderr
    assert "--update-token" in result.stderr and "application/sparql-update" in result.stderr
