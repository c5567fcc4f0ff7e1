"""`whytag learn` and `whytag tag` end to end, errors included."""

from __future__ import annotations

from cli_run import tagged_table, whytag
from rdflib import Graph


def test_learn_and_tag_errors_are_one_clear_line(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("id,BPM,Spectral-Centroid,fast\n" + "".join(
        f"t{i},{60 + 10 * i},{500 + 50 * i},{int(i >= 6)}\n" for i in range(12)))
    store = tmp_path / "graph"
    same = whytag("learn", "--features", str(table), "--labels", str(table), store=store, check=False)
    assert same.returncode != 0 and "name its --label-columns" in same.stderr
    unknown = whytag("learn", "--features", str(table), "--labels", str(table), "--label-columns", "fast",
                     "--learner", "oracle", store=store, check=False)
    assert unknown.returncode != 0 and "unknown learner 'oracle'" in unknown.stderr
    missing = whytag("tag", "--model", "nothing", store=store, check=False)
    assert missing.returncode != 0 and "no model set named 'nothing': the store holds none" in missing.stderr
    assert "whytag ships genres, moods" in missing.stderr and "tag:" not in missing.stderr  # no empty progress bar
    for result in (same, unknown, missing):
        assert "Traceback" not in result.stderr
    ok = whytag("learn", "--features", str(table), "--labels", str(table), "--label-columns", "fast",
                "--learner", "ripper", store=store)
    assert "(ripper, multi-label) from 12 tracks" in ok.stdout  # one 0/1 column is a multi-label tag


def test_catalog_commands_tag_in_batches_and_validate_by_sample(tmp_path):
    """learn --features, tag in small batches, then validate a sample and re-derive tags in the store."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    table = pd.DataFrame({"BPM": rng.uniform(60, 180, 80), "Spectral-Centroid": rng.uniform(500, 4000, 80)},
                         index=pd.Index([f"r{i}" for i in range(80)], name="id"))
    table["tag"] = np.where(table["BPM"] > 120, "fast", "slow")
    path = tmp_path / "catalog.csv"
    table.to_csv(path)
    store = tmp_path / "graph"
    whytag("learn", "--labels", str(path), "--features", str(path), "--label-columns", "tag", store=store)
    tagged = whytag("tag", "--batch", "7", "--quiet", store=store).stdout
    assert "tagged 80 tracks" in tagged  # says what it stored, not "160 scored assignments" it did not keep
    assert "80 predicted tags stored (160 scores computed; --every-score keeps all)" in tagged
    every = whytag("tag", "--every-score", "--quiet", store=store).stdout
    assert "160 scores stored (80 of them predicted tags)" in every
    whytag("tag", "--batch", "7", "--quiet", store=store)
    checked = whytag("validate", "--sample", "3", "--rederive", "25", store=store).stdout
    assert "re-derived 25 predicted tag(s) in the store: 25 agree" in checked
    assert "conforms: no SHACL violations in 3 sampled track(s) and the models" in checked
    track = "urn:whytag:track/catalog/r3"
    one = Graph().parse(data=whytag("export", "--graph", track, "--format", "turtle", store=store).stdout,
                        format="turtle")
    # the track (3), its one stored level (BPM's music-knowledge level; the tertiles learn wrote are derived where
    # read), the extraction (6, its version included) and one triple per value (2); what the extractor is and
    # measures is said once
    assert len(one) == 3 + 1 + 6 + 2


def test_an_ill_typed_value_is_one_line_from_explain_and_printed_as_text_by_query(tmp_path):
    """"abc"^^xsd:double in a track's graph (an update put it there): explain says which literal in one line (it was
    a traceback), query prints its text, so a user can find it, and validate names it as a violation."""
    from whytag.kg.store import open_store

    store = tagged_table(tmp_path)
    track = "urn:whytag:track/table/t8"
    with open_store(store) as graph:
        graph.update(f'INSERT DATA {{ GRAPH <{track}> {{ <{track}> wt:bpm "abc"^^xsd:double }} }}')
    explained = whytag("explain", track, store=store, check=False)
    assert explained.returncode == 1 and "Traceback" not in explained.stderr
    assert explained.stderr == ('Error: an ill-typed literal in the store: "abc"^^xsd:double is no xsd:double '
                                "(find it with whytag query, then fix or remove it with an update)\n")
    found = whytag("query", f"SELECT ?v WHERE {{ <{track}> wt:bpm ?v }} ORDER BY STR(?v)", "--format", "jsonl",
                   store=store)
    assert found.stdout.splitlines() == ['{"v": 140.0}', '{"v": "abc"}']
    validated = whytag("validate", store=store, check=False)  # was "internal error: TypeError: Not a number"
    assert validated.returncode == 1 and validated.stderr == "2 violation(s)\n", validated.stderr  # no traceback
    assert (f"{track} (bpm): ill-typed literal: its text is no xsd:double (fix or remove it with an update) "
            "[value: abc]") in validated.stdout.splitlines()
