"""The embedded store: one graph per track, atomic writes, IRIs from audio bytes, schema loaded once."""

from __future__ import annotations

import shutil
from functools import partial

import pytest
from rdflib import Literal, URIRef

from whytag.extractors.audio import probe
from whytag.extractors.base import FeatureSet
from whytag.kg.extraction import write_measurements
from whytag.kg.ingest import ingest
from whytag.kg.iris import EXTRACTORS_GRAPH, SCHEMA_GRAPH
from whytag.kg.mapping import feature_table
from whytag.kg.namespaces import WT
from whytag.kg.queries import query
from whytag.kg.store import StoreError, open_store
from whytag.kg.validate import partial_extractions, validate_store


def count(store, pattern: str) -> int:
    return int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}").rows[0][0])


def test_ingest_gives_one_graph_per_track_named_by_hash(store, audio_folder):
    report = ingest(store, [audio_folder], progress=False)
    assert len(report.tracks) == 3
    graphs = {str(r[0]) for r in store.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?t a wt:Track } }").rows}
    assert graphs == {str(t) for t, _ in report.tracks}
    for track, info in report.tracks:
        assert str(track).endswith(info.sha256)
    ogg = next(info for _, info in report.tracks if info.path.endswith("c.ogg"))
    assert (ogg.channels, ogg.sample_rate) == (2, 22050) and abs(ogg.duration - 2.0) < 0.01


def test_reingest_changes_nothing_and_moved_file_keeps_its_iri(store, audio_folder, tmp_path):
    ingest(store, [audio_folder], progress=False)
    before = count(store, "GRAPH ?g { ?s ?p ?o }")
    ingest(store, [audio_folder], progress=False)
    assert count(store, "GRAPH ?g { ?s ?p ?o }") == before
    moved = tmp_path / "moved.wav"
    shutil.copy(audio_folder / "a.wav", moved)
    report = ingest(store, [moved], progress=False)
    assert report.tracks[0][0] == next(t for t, i in ingest(store, [audio_folder / "a.wav"], progress=False).tracks)
    assert count(store, "?t a wt:Track") == 3
    assert count(store, f"<{report.tracks[0][0]}> mo:available_as ?f") == 2  # both paths recorded


def test_bad_files_are_named_and_good_ones_kept(store, audio_folder):
    report = ingest(store, [audio_folder, audio_folder / "missing.wav"], progress=False)
    assert len(report.tracks) == 3
    assert len(report.failures) == 3
    joined = "\n".join(report.failures)
    assert "empty.wav: empty file" in joined
    assert "notes.mp3: " in joined and "missing.wav: no such file" in joined
    assert all("\n" not in f for f in report.failures)


def test_features_replace_only_their_extractor_output(store, audio_folder):
    report = ingest(store, [audio_folder / "a.wav"], progress=False)
    track, _ = report.tracks[0]
    first = FeatureSet("demo.x", "1")
    first.add("BPM", 120.0, "PER-MIN")
    first.add("Spectral-Centroid", 900.0, "HZ")
    other = FeatureSet("demo.y", "1")
    other.add("Dominants", 0.25, group="symbolic")  # an alias: stored as the canonical feature `dom`
    write_measurements(store, track, None, [first])
    write_measurements(store, track, None, [other])
    second = FeatureSet("demo.x", "2")
    second.add("BPM", 96.0, "PER-MIN")
    write_measurements(store, track, None, [second])
    table = feature_table(store)
    assert table.loc[str(track), "BPM"] == 96.0
    assert table.loc[str(track), "dom"] == 0.25
    assert "Spectral-Centroid" not in table.columns  # the old run's value went with it
    assert count(store, f"GRAPH <{track}> {{ ?f a wt:AudioFile }}") == 1  # ingest's facts untouched


def test_each_value_names_the_extraction_that_made_it(store, audio_folder):
    """A value (one quad) has no provenance link of its own: the documented query finds its run through
    the extractor that measures its feature, and finds exactly the run that wrote it last."""
    track, _ = ingest(store, [audio_folder / "a.wav"], progress=False).tracks[0]
    for extractor, version, values in (("demo.x", "1", {"BPM": 120.0, "Spectral-Centroid": 900.0}),
                                       ("demo.y", "2.5", {"Dominants": 0.25}), ("demo.x", "3", {"BPM": 96.0})):
        features = FeatureSet(extractor, version)
        for name, value in values.items():
            features.add(name, value)
        write_measurements(store, track, None, [features])
    rows = store.select(query("value-provenance", track=URIRef(track))).rows
    found = {str(feature).rsplit("#", 1)[1]: (float(value), str(extraction), str(extractor), str(version))
             for feature, value, extraction, extractor, version, _, _ in rows}
    assert len(rows) == len(found) == 2  # demo.x's second run replaced its first, Spectral-Centroid included
    assert found["bpm"] == (96.0, f"{track}/extraction/demo-x", "demo.x", "3")
    assert found["dom"] == (0.25, f"{track}/extraction/demo-y", "demo.y", "2.5")
    assert count(store, "?o prov:wasGeneratedBy ?a") == 0
    measured = store.select(f"SELECT ?f WHERE {{ GRAPH <{EXTRACTORS_GRAPH}> "
                            f"{{ ?x rdfs:label 'demo.x' ; wt:measures ?f }} }}")
    assert {str(f).rsplit("#", 1)[1] for (f,) in measured.rows} == {"bpm", "spectralCentroid"}  # said once, kept
    assert count(store, f"GRAPH <{track}> {{ <{track}> ?f ?v }} GRAPH ?s {{ ?f a wt:Feature }}") == 2  # a quad a value
    assert partial_extractions(store) == []


def test_validate_finds_partial_orphaned_and_ambiguous_extractions(store, audio_folder):
    report = ingest(store, [audio_folder / "a.wav", audio_folder / "b.flac"], progress=False)
    (first, _), (second, _) = report.tracks
    for track, extractor, names in ((first, "demo.x", ("BPM", "Spectral-Centroid")), (first, "demo.y", ("Dominants",)),
                                    (second, "demo.x", ("BPM",)), (second, "demo.z", ("BPM", "Loudness"))):
        features = FeatureSet(extractor, "1")
        for name in names:
            features.add(name, 1.0)
        write_measurements(store, track, None, [features])
    ambiguous = [str(v) for v in partial_extractions(store)]  # demo.z's BPM replaced demo.x's: counted as ambiguous
    assert len(ambiguous) == 1 and ambiguous[0].startswith(f"{second}/extraction/demo-x (measures): its extractor and "
                                                           f"{second}/extraction/demo-z's measure a common feature")
    store.update(f"DELETE WHERE {{ GRAPH <{first}> {{ <{first}> wt:spectralCentroid ?v }} }}")
    messages = [str(v) for v in partial_extractions(store)][:-1]
    assert messages == [f"{first}/extraction/demo-x (valueCount): partial extraction: 1 of 2 values "
                        "are in the graph (run `whytag extract` again)"]
    store.update(f"INSERT DATA {{ GRAPH <{first}> {{ <{first}> wt:loudness 3.0 }} }}")  # measured by demo.z only
    store.update(f"DELETE WHERE {{ GRAPH <{first}> {{ <{first}> wt:bpm ?v }} }}")
    store.update(f"DELETE WHERE {{ GRAPH <{first}> {{ ?x wt:valueCount ?n }} }}")
    assert [str(v) for v in partial_extractions(store)][:-1] == [
        f"{first} (value): 2 values, 0 recorded by its extractions: some were generated by none of them"]


def test_a_store_of_the_earlier_layout_is_upgraded_when_opened(tmp_path):
    """Observations that each named their run and a justification naming its linear term (before
    2026-12-01) become the current layout (values as track properties, since 2026-12-07) the first time a
    writer opens the store."""
    t, x = "urn:whytag:track/t/1", "urn:whytag:extractor/demo-x"
    old = f"""<{t}> a wt:Track ; prov:wasDerivedFrom <urn:whytag:table/t> .
        <{t}/extraction/demo-x> a wt:Extraction ; prov:wasAssociatedWith <{x}> ;
        prov:used <urn:whytag:table/t> ; wt:observationCount 2 .
        <{x}> a wt:Extractor ; rdfs:label "demo.x" ; wt:softwareVersion "1.0" .
        <{t}/obs/demo-x/bpm> wt:ofTrack <{t}> ; wt:feature wt:BPM ; wt:value 96.0e0 ;
            prov:wasGeneratedBy <{t}/extraction/demo-x> .
        <{t}/obs/demo-x/key> wt:ofTrack <{t}> ; wt:feature wt:Key ; wt:value 3.0e0 ;
            prov:wasGeneratedBy <{t}/extraction/demo-x> ."""
    with open_store(tmp_path / "graph") as opened:
        opened.update(f"INSERT DATA {{ GRAPH <{t}> {{ {old} }} GRAPH <urn:whytag:graph/tags/m> {{ "
                      "<urn:a/j/bpm> wt:linearTerm <urn:m/linear/0> ; wt:contribution 1.0e0 } }")
        opened.update(f"DELETE WHERE {{ GRAPH <{SCHEMA_GRAPH}> {{ <{SCHEMA_GRAPH}> wt:schemaDigest ?d }} }}")
    with open_store(tmp_path / "graph") as reopened:  # the digest differs: the schema is reloaded, the data upgraded
        assert count(reopened, "?o prov:wasGeneratedBy ?a") == count(reopened, "?j wt:linearTerm ?t") == 0
        assert count(reopened, f"GRAPH <{EXTRACTORS_GRAPH}> {{ <{x}> wt:measures ?f }}") == 2
        assert count(reopened, f"GRAPH <{t}> {{ <{t}/extraction/demo-x> wt:softwareVersion '1.0' }}") == 1
        assert count(reopened, f"GRAPH <{t}> {{ <{x}> ?p ?o }}") == 0
        rows = reopened.select(query("value-provenance", track=URIRef(t))).rows
        assert sorted((str(f).rsplit("#")[1], str(e), str(v)) for f, _, _, e, v, _, _ in rows) == [
            ("bpm", "demo.x", "1.0"), ("key", "demo.x", "1.0")]
        assert count(reopened, f"GRAPH <{t}> {{ <{t}> wt:bpm 96e0 ; wt:key 3e0 }}") == 1
        assert validate_store(reopened) == []


def test_failed_update_leaves_graph_untouched(store, audio_folder):
    track, _ = ingest(store, [audio_folder / "a.wav"], progress=False).tracks[0]
    before = store.graph_triples(track)
    bad = [(track, WT.bpm, Literal(1.0)), (track, Literal("a literal is no predicate"), Literal(2.0))]
    with pytest.raises(StoreError):
        store.write_graph(track, bad)  # replaces the graph, but the request is rejected as a whole
    assert set(store.graph_triples(track)) == set(before)


def test_schema_loaded_once_and_store_reopens(tmp_path):
    with open_store(tmp_path / "g") as store:
        n = count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}")
        assert n > 1000
    with open_store(tmp_path / "g") as store:
        assert count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}") == n


def test_rows_read_at_once_match_rows_read_one_by_one(tmp_path):
    """GraphStore.rows (one call, for busy servers) gives what values gives: numbers, booleans, text, None."""
    with open_store(tmp_path / "g") as store:
        query = """SELECT ?f ?label ?unit ?symbol ?flag ?n WHERE { ?f a wt:Feature ; rdfs:label ?label .
                   OPTIONAL { ?f wt:defaultUnit ?unit . ?unit qudt:symbol ?symbol }
                   BIND(STRLEN(?label) > 5 AS ?flag) BIND(STRLEN(?label) AS ?n) } ORDER BY ?f ?label"""
        rows = store.rows(query)
        assert rows == list(store.values(query))
        assert len(rows) > 50 and any(r[2] is None for r in rows) and any(r[3] for r in rows)
        assert {type(r[4]) for r in rows} == {bool} and {type(r[5]) for r in rows} == {float}
        with pytest.raises(StoreError, match="query failed"):
            store.rows("SELECT ?x WHERE { ?x wt:nope }")


def test_numbers_read_at_once_are_the_numbers_values_gives(tmp_path):
    """GraphStore.numbers (one call, for a feature page's histogram): the numeric literals of a column, whatever
    their datatype, and nothing else (text that reads as a number, booleans, IRIs, unbound rows); the same values
    as read one by one, all-doubles or mixed."""
    mixed = r"""SELECT ?v WHERE { VALUES ?v { 1 -2 2.5 3.0e0 "x" "12" true false <urn:a> "a\tb\nc" UNDEF
                "7"^^xsd:float "INF"^^xsd:double "-1.5E-3"^^xsd:double "4"^^xsd:nonNegativeInteger } }"""
    doubles = "SELECT ?v WHERE { VALUES ?v { 1.5e0 -2.0e0 \"INF\"^^xsd:double 4e-3 } }"
    with open_store(tmp_path / "g") as store:
        for query_text in (mixed, doubles):
            expected = [v for (v,) in store.values(query_text) if isinstance(v, float)]
            assert store.numbers(query_text).tolist() == expected
        assert store.numbers(mixed).tolist() == [1.0, -2.0, 2.5, 3.0, 7.0, float("inf"), -0.0015, 4.0]
        assert store.numbers("SELECT ?v WHERE { }").tolist() == []
        with pytest.raises(StoreError, match="query failed"):
            store.numbers("SELECT ?v WHERE { ?x wt:nope }")


def test_iris_read_at_once_are_the_iris_of_the_column(tmp_path):
    """GraphStore.iris (one call, for a rule page's tracks): the column's IRIs in the answer's order, non-ASCII ones
    whole, and nothing else (text that looks like an IRI, blank nodes, numbers, unbound rows)."""
    column = """SELECT ?v WHERE { { VALUES ?v { <urn:b> "<urn:text>" <urn:a> 3 UNDEF <http://example.org/café?q=1#é> } }
                                  UNION { BIND(BNODE() AS ?v) } }"""
    with open_store(tmp_path / "g") as store:
        assert store.iris(column) == ["urn:b", "urn:a", "http://example.org/café?q=1#é"]
        assert store.iris("SELECT ?v WHERE { }") == []
        with pytest.raises(StoreError, match="query failed"):
            store.iris("SELECT ?v WHERE { ?x wt:nope }")


def test_quads_by_pattern_are_the_terms_a_query_s_json_answer_gives(tmp_path):
    """GraphStore.quads (a track page's triples without a query's parse): the quads matching a pattern of IRIs in
    every graph (the default graph as None), each term as the SPARQL JSON answer of the same pattern writes it."""
    from whytag.kg.store import solutions_json

    data = """INSERT DATA { <urn:s> <urn:p> "text", "chat"@fr, 3, 2.5e0, "2001"^^xsd:gYear, true, <urn:o>, _:b .
                            GRAPH <urn:g> { <urn:s> <urn:p> "text" . <urn:s> <urn:q> <urn:o> . <urn:x> <urn:p> 1 } }"""
    with open_store(tmp_path / "g") as store:
        store.update(data)
        _, rows = solutions_json(store.oxigraph, "SELECT ?o WHERE { <urn:s> <urn:p> ?o }")  # every graph's
        quads = store.quads("urn:s", "urn:p")
        assert sorted(str(o) for _, _, o, _ in quads if o["type"] != "bnode") == \
            sorted(str(row["o"]) for row in rows if row["o"]["type"] != "bnode")
        assert sorted(str(g) for _, _, o, g in quads if o["value"] == "text") == [
            "None", "{'type': 'uri', 'value': 'urn:g'}"]
        assert len(quads) == 9 and {s["value"] for s, _, _, _ in quads} == {"urn:s"}
        assert [g["value"] for _, p, _, g in store.quads("urn:s") if p["value"] == "urn:q"] == ["urn:g"]
        assert [s["value"] for s, _, _, _ in store.quads(None, "urn:p", "urn:o")] == ["urn:s"]
        assert store.quads("urn:nothing") == []


def test_numbers_leave_out_text_that_holds_a_doubles_datatype(tmp_path):
    """A text literal holding what ends a double in TSV (its quote escaped) is text, not a number, even when it is
    the column's only row, and does not fail the read (a feature page's 500)."""
    text = '"x\\"^^<http://www.w3.org/2001/XMLSchema#double>"'
    with open_store(tmp_path / "g") as store:
        assert store.numbers(f"SELECT ?v WHERE {{ VALUES ?v {{ {text} }} }}").tolist() == []
        assert store.numbers(f"SELECT ?v WHERE {{ VALUES ?v {{ {text} 2.5e0 }} }}").tolist() == [2.5]
def _listed(read, text: str) -> list:
    """`read(text)`'s rows as a list (a stream read to its end)."""
    return list(read(text))


def test_an_ill_typed_number_is_the_store_s_one_line_error_naming_it(tmp_path):
    """"abc"^^xsd:double, stored by an update, is a StoreError naming the value and its datatype from every reader
    (it was a bare ValueError: a 500 on a page, a traceback from explain), on the embedded store and through rdflib."""
    from rdflib import Dataset

    from whytag.kg.store import XSD_NS, GraphStore, json_value

    ds = Dataset(default_union=True)
    generic = GraphStore("rdflib-memory", ds.query, lambda text: ds.update(text))
    one = "SELECT ?v WHERE { <urn:x:a> <urn:x:v> ?v }"
    with open_store(tmp_path / "g") as embedded:
        for store in (embedded, generic):
            store.update('INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:v> "abc"^^xsd:double } }')
            for read in (store.rows, partial(_listed, store.values), store.numbers, store.number_rows):
                with pytest.raises(StoreError, match=r'^an ill-typed literal in the store: "abc"\^\^xsd:double '
                                                     r"is no xsd:double \(find it with whytag query"):
                    read(one)
        embedded.update('INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:v> 2.5e0 } }')  # one good double beside it
        with pytest.raises(StoreError, match='"abc"'):
            embedded.numbers(one)
        with pytest.raises(StoreError, match=r'"1\.5\\nx"\^\^xsd:integer'):  # one line, whatever the text holds
            json_value({"type": "literal", "value": "1.5\nx", "datatype": XSD_NS + "integer"}, exact=True)


def test_number_rows_read_as_floats_match_values_and_refuse_text(tmp_path):
    """GraphStore.number_rows (a batch's values through the store's TSV writer) gives every numeric type as values
    does, to the last digit, on the embedded store and through the generic SPARQL path; text is refused."""
    from rdflib import Dataset

    from whytag.kg.store import GraphStore

    data = """INSERT DATA { GRAPH <urn:x:g> {
        <urn:x:a> <urn:x:v> "0.1234567890123456789"^^xsd:double , "-1.5E-300"^^xsd:double , 7 , 2.50 ,
                  "3.25"^^xsd:float , "-12"^^xsd:long , "4"^^xsd:nonNegativeInteger SPECIAL .
        <urn:x:b> <urn:x:v> "text" } }"""
    numbers = "SELECT ?v ?w WHERE { <urn:x:a> <urn:x:v> ?v , ?w FILTER(?w = -12) }"
    ds = Dataset(default_union=True)  # rdflib's parser takes no INF or NaN
    generic = GraphStore("rdflib-memory", ds.query, lambda text: ds.update(text))
    with open_store(tmp_path / "g") as embedded:
        for store, special, count in ((embedded, ', "INF"^^xsd:double , "NaN"^^xsd:double', 9), (generic, "", 7)):
            store.update(data.replace("SPECIAL", special))
            read = store.number_rows(numbers)
            expected = [list(row) for row in store.values(numbers)]
            assert read.shape == (count, 2) and len(expected) == count
            assert str(read.tolist()) == str(expected)  # NaN == NaN as text, every digit compared
            assert store.number_rows("SELECT ?v WHERE { <urn:x:none> <urn:x:v> ?v }").shape == (0, 1)
            for text in ("SELECT ?v WHERE { <urn:x:b> <urn:x:v> ?v }", 'SELECT ?v WHERE { BIND("12" AS ?v) }',
                         "SELECT ?v WHERE { BIND(<urn:x:a> AS ?v) }"):
                with pytest.raises(StoreError, match="not a number"):
                    store.number_rows(text)


def test_store_errors_are_clear(tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(afile)
    with pytest.raises(StoreError, match="no store here"):
        open_store(tmp_path / "nothing", create=False)
    with pytest.raises(StoreError, match=r"file.txt/catalog: cannot create the store's folder \(Not a directory\)"):
        open_store(afile / "catalog")


def test_a_new_store_in_a_new_folder(tmp_path):
    with open_store(tmp_path / "new" / "deeper" / "catalog") as store:
        assert count(store, f"GRAPH <{SCHEMA_GRAPH}> {{ ?s ?p ?o }}") > 1000


def test_probe_reports_header_facts(audio_folder):
    info = probe(audio_folder / "b.flac")
    assert info.format == "flac" and info.sample_rate == 22050 and info.channels == 1
    assert abs(info.duration - 1.5) < 1e-6 and len(info.sha256) == 64


@pytest.mark.parametrize("tracks", [3, 400])  # a transaction below BULK_FROM triples, Oxigraph's bulk loader above
def test_batch_writes_land_whole_or_not_at_all(tmp_path, tracks):
    from rdflib import URIRef

    from whytag.kg.store import BULK_FROM

    def batch(prefix: str, bad: bool = False) -> dict:
        graphs = {URIRef(f"urn:test:{prefix}/{i}"):
                  [(URIRef(f"urn:test:{prefix}/{i}/o{j}"), WT.bpm, Literal(float(j))) for j in range(30)]
                  for i in range(tracks)}
        if bad:  # the last triple of the last graph cannot be parsed: nothing of the batch may be written
            graphs[URIRef(f"urn:test:{prefix}/{tracks - 1}")].append(
                (URIRef("urn:test:bad%zz"), WT.bpm, Literal(1.0)))
        return graphs

    assert (tracks * 30 >= BULK_FROM) == (tracks == 400)
    with open_store(tmp_path / "g") as store:
        store.add_graphs(batch("a"))
        written = count(store, "GRAPH ?g { ?s wt:bpm ?v }")
        assert written == tracks * 30
        with pytest.raises(StoreError, match=r"g: write failed: .*%zz"):
            store.add_graphs(batch("b", bad=True))
        assert count(store, "GRAPH ?g { ?s wt:bpm ?v }") == written
        store.add_graphs(batch("b"), fresh=True)
        assert count(store, "GRAPH ?g { ?s wt:bpm ?v }") == 2 * written
        assert count(store, "GRAPH <urn:test:b/2> { ?s wt:bpm 29e0 }") == 1


def test_features_and_their_extractor_s_declaration_land_in_one_transaction(tmp_path):
    """A failed write of values leaves no declaration of their extractor behind (and vice versa)."""
    from rdflib import URIRef

    track = URIRef("urn:whytag:track/one")
    features = FeatureSet("never-declared", "1")
    features.add("BPM", 120.0, "PER-MIN", "signal")
    with open_store(tmp_path / "g") as store:
        with pytest.raises(StoreError):
            store.write_graph(track, [(URIRef("urn:test:bad%zz"), WT.bpm, Literal(1.0))],
                              also={EXTRACTORS_GRAPH: [
                                  (URIRef("urn:whytag:extractor/never-declared"), WT.measures, WT.bpm)]})
        assert count(store, f"GRAPH <{EXTRACTORS_GRAPH}> {{ ?x wt:measures ?f }}") == 0
        write_measurements(store, track, None, [features])
        assert count(store, f"GRAPH <{EXTRACTORS_GRAPH}> "
                            f"{{ <urn:whytag:extractor/never-declared> wt:measures wt:bpm }}") == 1
        assert count(store, f"GRAPH <{track}> {{ <{track}> wt:bpm 120e0 }}") == 1


def test_a_value_is_in_its_feature_s_unit_and_an_unknown_feature_is_described(store, audio_folder):
    """features.ttl says each feature's unit once: a value in another unit is refused before anything is
    written; a feature the ontology does not list is described in the track's graph, unit included."""
    from whytag.kg.iris import file_iri
    from whytag.kg.mapping import UnitMismatch

    track, info = ingest(store, [audio_folder / "a.wav"], progress=False).tracks[0]
    before = store.graph_triples(track)
    wrong = FeatureSet("demo.units", "1")
    wrong.add("BPM", 120.0)  # the ontology's unit (per minute)
    wrong.add("Loudness", 0.5, "DeciB")  # not the ontology's
    with pytest.raises(UnitMismatch, match="Loudness in DeciB, but the ontology's unit of Loudness is UNITLESS"):
        write_measurements(store, track, None, [wrong])
    assert set(store.graph_triples(track)) == set(before)
    features = FeatureSet("demo.units", "1")
    features.add("Spectral-Centroid", 900.0, "HZ")  # said, and the ontology's
    features.add("Made-Up-Feature", 1.0, "SEC")  # not in the ontology
    write_measurements(store, track, file_iri(track, info.path), [features])
    rows = store.select(f"""SELECT ?f ?v ?u WHERE {{ GRAPH <{track}> {{ <{track}> ?f ?v }}
                            GRAPH ?g {{ ?f a wt:Feature ; wt:defaultUnit ?u }} }}""").rows
    assert sorted((str(f).rsplit("#", 1)[1], float(v), str(u).rsplit("/", 1)[1]) for f, v, u in rows) == [
        ("madeUpFeature", 1.0, "SEC"), ("spectralCentroid", 900.0, "HZ")]
    assert validate_store(store) == []


def test_write_graph_clears_what_a_named_update_removes_and_takes_no_sparql_text(tmp_path):
    """`clear` names an update (kg/queries/*.ru) run on the graph written: the tags of one track go, another's
    stay; a SPARQL pattern given as text is refused before anything is written."""
    from whytag.kg.queries import Named

    graph, kept, gone = URIRef("urn:whytag:tags/x"), URIRef("urn:whytag:track/k"), URIRef("urn:whytag:track/g")
    with open_store(tmp_path / "g") as store:
        store.write_graph(graph, [(URIRef("urn:a1"), WT.track, kept), (URIRef("urn:a2"), WT.track, gone),
                                  (gone, WT.trackCount, Literal(1))])
        store.write_graph(graph, [(URIRef("urn:a3"), WT.track, gone)],
                          clear=[Named("remove-tags-of-tracks", {"t": [gone], "s": [gone]})])
        assert sorted(map(str, store.graph_triples(graph).subjects())) == ["urn:a1", "urn:a3"]
        with pytest.raises(TypeError, match="named updates"):
            store.write_graph(graph, [], clear="?s ?p ?o")
        assert len(store.graph_triples(graph)) == 2


def test_a_text_that_stops_short_is_said_to_be_unfinished_not_what_could_come_next(tmp_path):
    """Brackets that nest and are still open at the text's end (counted outside strings, IRIs and comments): "not
    closed", not Oxigraph's "expected one of …"; its words are kept for anything else."""
    from whytag.kg.protocol import Malformed

    texts = {"SELECT * WHERE {": "the text ends with 1 '{' not closed",
             'SELECT ?s WHERE { ?s ?p "}" ;\n  # } a comment\n  ?q <http://a#}> \n':
                 "the text ends with 1 '{' not closed",
             "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && (?o > 1": "the text ends with 1 '{' and 2 '(' not closed",
             "SELECT ?x WHERE { ?x ?y ?z . FOO ?x ?y ?z . ?a ?b ?c ":
                 "the text ends with 1 '{' not closed; before that, error at 1:38: expected OPTIONAL",
             "SELECT ?x WHERE { ?x ?y }": "error at 1:26: expected one of",  # brackets closed
             "SELECT ?x WHERE { ?x ?y ?z ) ": "error at 1:30: "}  # a ')' that closes nothing: not merely unfinished
    with open_store(tmp_path / "g") as store:
        for text, said in texts.items():
            with pytest.raises(StoreError) as raised:
                store.native_results(text)
            assert str(raised.value).startswith(f"{store.location}: query failed: {said}")
        with pytest.raises(Malformed, match=r"^malformed update: the text ends with 1 '\{' not closed$"):
            store.apply_update("INSERT DATA { <urn:a> <urn:b> <urn:c> ")


def test_writing_opens_keep_only_the_newest_rocksdb_logs(tmp_path):
    from whytag.kg.store import KEPT_OLD_LOGS

    location = tmp_path / "graph"
    opened = []
    for n in range(KEPT_OLD_LOGS + 4):
        store = open_store(location)
        if n == 0:
            store.update("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }")
        store.close()
        opened.append(sorted(p.name for p in location.glob("LOG.old.*")))
    assert [len(names) for names in opened] == [min(n, KEPT_OLD_LOGS) for n in range(KEPT_OLD_LOGS + 4)]
    assert opened[-1][-1] not in opened[-2] and opened[-2][-1] in opened[-1]  # the newest kept, the oldest gone
    assert open_store(location, read_only=True).select("SELECT ?o WHERE { ?s <urn:p> ?o }").rows[0][0].value == 1
