"""Named queries: every .rq file runs as it stands, values reach it only through the checked binder, and no
module outside the allow-list holds SPARQL text of its own."""

from __future__ import annotations

import re
import tomllib

import pyoxigraph
import pytest
from rdflib import Literal, URIRef
from whytag_testing import REPO

from whytag.kg.iris import CATALOG_GRAPH, EXTRACTORS_GRAPH, SCHEMA_GRAPH
from whytag.kg.namespaces import sparql_prefixes
from whytag.kg.operations import update_keyword
from whytag.kg.queries import DOCUMENTED, FOLDER, Named, QueryError, documented, query, update

NAMES = sorted(p.stem for p in FOLDER.glob("*.rq"))
UPDATES = sorted(p.stem for p in FOLDER.glob("*.ru"))
# No module pastes SPARQL text together (issue 27): a module that gains some fails the test below; put the text
# in kg/queries/ and bind its values with query().
SPARQL_TEXT = re.compile(r"\b(SELECT|CONSTRUCT|ASK|INSERT|DELETE|DESCRIBE|WHERE)\s*(\{|\?|\(|DISTINCT|DATA|\*)"
                         r"|\bGRAPH\s*(<|\?|\{)|\bOPTIONAL\s*\{|\bBIND\s*\(")


@pytest.fixture
def engine() -> pyoxigraph.Store:
    """An in-memory Oxigraph holding one track whose title is full of SPARQL's special characters."""
    store = pyoxigraph.Store()
    track = pyoxigraph.NamedNode("urn:whytag:track/t1")
    store.add(pyoxigraph.Quad(track, pyoxigraph.NamedNode("http://purl.org/dc/terms/title"),
                              pyoxigraph.Literal(TRICKY), track))
    return store


TRICKY = 'say "hi" }\n\t"""\\ DROP ALL ; # not a comment $track'


def rows(engine: pyoxigraph.Store, text: str) -> list:
    """The answer's rows (a triple each for a CONSTRUCT; ASK's answer as its one row)."""
    answer = engine.query(sparql_prefixes() + text, use_default_graph_as_union=True)
    return [bool(answer)] if isinstance(answer, pyoxigraph.QueryBoolean) else list(answer)


@pytest.mark.parametrize("name", NAMES)
def test_every_named_query_runs_as_it_stands(engine, name):
    """Unbound, `$track` is just a variable: the file is the query a user can paste into /sparql."""
    rows(engine, (FOLDER / f"{name}.rq").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", UPDATES)
def test_every_named_update_runs_as_it_stands_and_reads_as_an_update(engine, name):
    """Unbound, an update's values are variables; run so on the one track, it parses (what it removes unbound
    is not the point: whytag always binds them)."""
    text = (FOLDER / f"{name}.ru").read_text(encoding="utf-8")
    assert update_keyword(text) is not None
    engine.update(sparql_prefixes() + text)


def test_an_update_is_bound_like_a_query():
    text = update("remove-tags-of-tracks", graph=URIRef("urn:g"), t=["urn:a"], s=["urn:a"])
    assert "GRAPH <urn:g>" in text and text.count("VALUES ?t { <urn:a> }") == 1 and "VALUES ?s { <urn:a> }" in text
    assert Named("remove-tagging-run", {"run": URIRef("urn:r")}).update(graph=URIRef("urn:g")).count("<urn:r>") == 3
    with pytest.raises(QueryError, match="no update named 'nope'"):
        update("nope")
    with pytest.raises(QueryError, match=r"\$graph is not bound"):
        update("remove-tagging-run", run=URIRef("urn:r"))


@pytest.mark.parametrize("name", NAMES)
def test_every_named_query_reads_as_a_query_not_an_update(name):
    """Their comments say "tagged with …": read in part, a comment once made `whytag query` refuse them as
    updates (keyword WITH)."""
    assert update_keyword((FOLDER / f"{name}.rq").read_text(encoding="utf-8")) is None


def test_documented_queries_are_files_and_the_docs_name_them():
    assert set(DOCUMENTED) <= set(NAMES) and list(documented()) == list(DOCUMENTED)
    docs = (REPO / "README.md").read_text() + (REPO / "docs" / "architecture.md").read_text()
    assert "kg/queries/" in docs and "docs/queries" not in docs


def test_the_readme_lists_every_predeclared_prefix():
    from whytag.kg.namespaces import PREFIXES

    sentence = re.search(r"`whytag query` predeclares the prefixes (.*?)\.\n", (REPO / "README.md").read_text(), re.S)
    assert re.findall(r"`(\w+):`", sentence.group(1)) == list(PREFIXES)  # it named 10 of the 14


def test_an_iri_is_bound_as_one_checked_term(engine):
    text = query("graph-exists", g=URIRef("urn:whytag:track/t1"))
    assert "<urn:whytag:track/t1>" in text and "$g" not in text.split("\n", 1)[1]
    assert bool(engine.query(text)) is True
    assert bool(engine.query(query("graph-exists", g=URIRef("urn:whytag:track/t2")))) is False


@pytest.mark.parametrize("iri", ["urn:x> } ; DROP ALL ; <urn:y", "urn:x y", "urn:x}", "no-scheme", "urn:a\tb"])
def test_an_iri_that_would_break_out_is_refused(iri):
    with pytest.raises(QueryError, match=r"query graph-exists: \$g .* is not a valid IRI"):
        query("graph-exists", g=URIRef(iri))
    with pytest.raises(QueryError, match="not a valid IRI"):
        query("audio-files", t=[URIRef("urn:ok"), iri])


def test_a_literal_with_quotes_and_newlines_stays_one_literal(engine):
    """The title, quotes, newline, triple quotes, a backslash, `}`, `#` and `$track` included, is matched
    exactly: it reaches the engine as one escaped literal, not as SPARQL."""
    text = query("tagged-because-of-feature", notation=Literal(TRICKY), feature=Literal(TRICKY))
    rows(engine, text)  # parses: nothing escaped the literal
    title = "<http://purl.org/dc/terms/title>"
    found = rows(engine, f"SELECT ?t WHERE {{ ?t {title} ?x FILTER(?x = {Literal(TRICKY).n3()}) }}")
    assert [r[0].value for r in found] == ["urn:whytag:track/t1"]
    assert text.count(Literal(TRICKY).n3()) == 2


def test_numbers_and_booleans_are_typed_literals():
    assert '"0.5"^^<http://www.w3.org/2001/XMLSchema#double>' in query("tagged-because-of-feature",
                                                                        notation=Literal("calm"), feature=0.5)


@pytest.mark.parametrize(("bindings", "message"), [
    ({"g": URIRef("urn:x"), "h": URIRef("urn:y")}, r"no \$h in .*graph-exists\.rq"),
    ({}, r"\$g is not bound"),
    ({"g": "urn:x"}, r"\$g takes a URIRef, a Literal or a number, not str"),
    ({"g": [URIRef("urn:x")]}, r"\$g takes a URIRef, a Literal or a number, not list"),
])
def test_a_wrong_binding_says_which(bindings, message):
    with pytest.raises(QueryError, match=message):
        query("graph-exists", **bindings)


def test_an_unknown_query_or_a_bad_limit_is_refused():
    with pytest.raises(QueryError, match="no query named 'nope'"):
        query("nope")
    with pytest.raises(QueryError, match="no query named '../pyproject'"):
        query("../pyproject")
    with pytest.raises(QueryError, match="LIMIT -1"):
        query("random-tracks", limit=-1)
    assert query("random-tracks", limit=3).rstrip().endswith("ORDER BY RAND()\nLIMIT 3")
    assert query("graph-sizes", limit=3, offset=6).rstrip().endswith("\nLIMIT 3\nOFFSET 6")
    with pytest.raises(QueryError, match="OFFSET 1.5"):
        query("graph-sizes", offset=1.5)


def test_a_values_slot_takes_a_list_and_none_means_all(engine):
    unbound = query("audio-files", t=None)  # no VALUES: the query as it was before it took tracks
    assert "VALUES" not in unbound and "$" not in "".join(unbound.splitlines(keepends=True)[1:])
    assert "VALUES ?t { <urn:a> <urn:b> }" in query("audio-files", t=["urn:a", URIRef("urn:b")])
    assert "VALUES ?t {  }" in query("audio-files", t=[])
    with pytest.raises(QueryError, match=r"\$t takes a list, not str"):
        query("audio-files", t="urn:a")
    text = query("sampled-data", modelGraphs=Literal("urn:whytag:graph/model/"), extractors=EXTRACTORS_GRAPH,
                 catalog=CATALOG_GRAPH, t=[URIRef("urn:whytag:track/t1")])
    assert len(rows(engine, text)) == 1  # the one track's graph, one triple


def test_a_values_slot_of_tuples_binds_every_column():
    rows_ = [(Literal("dom-tonic"), URIRef("urn:D"), URIRef("urn:T"))]
    assert 'VALUES (?name ?c0 ?c1) { ("dom-tonic" <urn:D> <urn:T>) }' in query("chord-bigrams", name=rows_)
    tricky = query("chord-bigrams", name=[(Literal(TRICKY), URIRef("urn:D"), URIRef("urn:T"))])
    assert f"({Literal(TRICKY).n3()} <urn:D> <urn:T>)" in tricky  # what is bound is never read again
    with pytest.raises(QueryError, match="tuples of 3 terms"):
        query("chord-bigrams", name=[(Literal("dom"), URIRef("urn:D"))])
    with pytest.raises(QueryError, match="not str"):
        query("chord-bigrams", name=[("dom-tonic", URIRef("urn:D"), URIRef("urn:T"))])


def test_schema_graph_binding_leaves_the_schema_out(engine):
    engine.add(pyoxigraph.Quad(pyoxigraph.NamedNode("urn:s"), pyoxigraph.NamedNode("urn:p"),
                               pyoxigraph.Literal("o"), pyoxigraph.NamedNode(str(SCHEMA_GRAPH))))
    assert len(list(engine.query(query("triples", g=None)))) == 2
    assert len(list(engine.query(query("triples-except-schema", schema=SCHEMA_GRAPH)))) == 1


def test_the_named_queries_ship_in_the_wheel():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert data["whytag.kg.queries"] == ["*.rq", "*.ru"]


def test_no_new_module_holds_sparql_text():
    """SPARQL text belongs in kg/queries/*.rq (or, built from parts, kg/queries/build.py): no module holds any."""
    holding = {str(p.relative_to(REPO)) for p in REPO.rglob("*.py")
               if not {"tests", "bench", ".venv", "queries"} & set(p.relative_to(REPO).parts)
               and SPARQL_TEXT.search(p.read_text(encoding="utf-8"))}
    assert sorted(holding) == [], "SPARQL text in a module: move it to kg/queries/*.rq"


def test_an_update_refuses_none_for_a_list_and_a_literal_cannot_smuggle_text():
    """None in a list slot means every row: fine for a query, never for an update (it would change every
    track); a Literal's datatype is an IRI the binder checks like any other."""
    graph, track = URIRef("urn:g"), URIRef("urn:t")
    assert "VALUES" in update("remove-tags-of-tracks", graph=graph, t=[track], s=[track])
    with pytest.raises(QueryError, match=r"update remove-tags-of-tracks: \$s is None, which would change every row"):
        update("remove-tags-of-tracks", graph=graph, t=None, s=None)
    smuggled = Literal("x", datatype=URIRef("http://a> } } ; DROP ALL ; #"))
    with pytest.raises(QueryError, match="datatype .* is not a valid IRI"):
        update("remove-tags-of-tracks", graph=smuggled, t=[track], s=[track])
