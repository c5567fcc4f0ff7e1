"""Property-based tests: whatever text a user gives — a table, an IRI, a track to explain, a query —
whytag answers or says what is wrong in one line; it never raises anything else."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from whytag_cli import write_clips

from whytag.cli import main
from whytag.kg.ingest import ingest
from whytag.kg.iris import IriError, checked_iri
from whytag.kg.store import open_store
from whytag.kg.tables import TableError, labels_from, numeric_features, read_table

TABLE_PIECES = st.sampled_from(list("ab01,;\t|\n\r\"' .-_xé#") + ["NaN", "inf", "1e400", "\ufeff", "path", "tags"])
SPARQL_TOKENS = st.sampled_from([
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "INSERT DATA", "DELETE", "WHERE", "*", "{", "}", "(", ")", ".", ";", ",",
    "?s", "?p", "?o", "<urn:x>", "<urn:x> }", '"a"', "'b'", "1", "1.5e3", "SERVICE", "SERVICE <http://127.0.0.1:1/>",
    "GRAPH", "?g", "FILTER", "OPTIONAL", "UNION", "LIMIT", "ORDER BY", "COUNT(*)", "AS", "wt:Track", "a", "undefined:x",
    "#", "\n", " ", "PREFIX", "BASE", "VALUES", "BIND", "STR(", "REGEX(", "\\", "\u0000", "é"])
USER_EXIT_CODES = (0, 1, 2)  # success, a one-line error, a usage error; 70 would be a whytag bug
RUN = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    """A store with one ingested clip, opened read-only by every example."""
    root = tmp_path_factory.mktemp("properties")
    clip = write_clips(root / "clips", count=1)[0]
    with open_store(root / "graph") as store:
        ingest(store, [clip], progress=False)
    return root / "graph"


def assert_no_traceback(result) -> None:
    """The command ended by its own exit (no stray exception), with a user's exit code and at most one error line."""
    assert result.exit_code in USER_EXIT_CODES, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert sum(line.startswith("Error:") for line in result.output.splitlines()) <= 1


@RUN
@given(text=st.one_of(st.lists(TABLE_PIECES, max_size=120).map(lambda p: "".join(p).encode("utf-8")),
                      st.binary(max_size=300)),
       suffix=st.sampled_from([".csv", ".tsv", ".txt"]), id_column=st.sampled_from([None, "path", "a"]))
@example(text=b'"\n"', suffix=".csv", id_column="path")  # a column named by a newline broke the one-line message
def test_table_readers_raise_only_table_errors(text, suffix, id_column):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"table{suffix}"
        path.write_bytes(text)
        try:
            frame = read_table(path, id_column)
        except TableError as err:
            assert str(err).startswith(str(path)) and "\n" not in str(err)
            return
        for attempt in (lambda: labels_from(frame, list(frame.columns)), lambda: numeric_features(frame)):
            try:
                attempt()
            except TableError as err:
                assert str(err).startswith(str(path)) and "\n" not in str(err)


@RUN
@given(text=st.one_of(st.text(), st.text().map("urn:".__add__), st.text().map("http://".__add__)))
def test_an_iri_either_is_refused_or_works_in_a_query(text):
    try:
        iri = checked_iri(text, "IRI")
    except IriError as err:
        assert "\n" not in str(err).replace(repr(text), "")
        return
    iri.n3()  # rdflib can write it
    pyoxigraph.Store().query(f"ASK {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")  # and Oxigraph reads it as one IRI


@RUN
@given(target=st.one_of(st.text(), st.text().map("urn:".__add__), st.text().map("urn:whytag:track/".__add__),
                        st.text().map("/tmp/".__add__)))
def test_explain_target_never_gives_a_traceback(store_path, target):
    assert_no_traceback(CliRunner().invoke(main, ["--store", str(store_path), "explain", target]))


@RUN
@given(tokens=st.lists(SPARQL_TOKENS, max_size=25), noise=st.text(max_size=10))
def test_query_text_never_gives_a_traceback(store_path, tokens, noise):
    result = CliRunner().invoke(main, ["--store", str(store_path), "query", " ".join(tokens) + noise])
    assert_no_traceback(result)
    assert result.exit_code in (0, 1)
