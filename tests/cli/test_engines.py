"""The whole pipeline through the `whytag` command against real SPARQL servers (oxigraph serve, Virtuoso 7),
each started on loopback: the same tags, reasons, query answers and export as the embedded store gives."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from cli_run import whytag
from rdflib import Dataset, Graph, Literal
from rdflib.compare import to_isomorphic
from rdflib.namespace import XSD
from whytag_testing import REPO, double_tolerance

TRACKS = ["c03", "c42"]  # explained one by one
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
NUMBERS = {XSD.double, XSD.float, XSD.decimal}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """A labelled feature table of 60 tracks (values of at most 5 digits, which every server sends back exactly)
    and a folder of two real audio files, shared by every store so that paths and hashes agree."""
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"BPM": np.round(rng.uniform(60, 180, 60), 1),
                          "Spectral-Centroid": np.round(rng.uniform(500, 4000, 60), 1),
                          "Danceability": np.round(rng.uniform(0.5, 2.5, 60), 4)},
                         index=pd.Index([f"c{i:02d}" for i in range(60)], name="id"))
    table["mood"] = np.where(table.BPM > 120, "energetic", "calm")
    table.loc[table["Spectral-Centroid"] > 3000, "mood"] += ";bright"
    table.to_csv(folder / "catalog.csv")
    audio = folder / "audio"
    audio.mkdir()
    t = np.arange(22050) / 22050
    sf.write(audio / "a.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 22050)
    sf.write(audio / "b.flac", (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050)
    return {"table": folder / "catalog.csv", "audio": audio, "folder": folder}


def run_pipeline(store: str, inputs: dict, name: str) -> dict:
    """ingest (audio and a feature table), learn, tag, explain, query and export, as a user types them."""
    out = {"ingest": whytag("ingest", "--quiet", str(inputs["audio"]), store=store).stdout}
    out["ingest"] += whytag("ingest", "--quiet", "--features", str(inputs["table"]), store=store).stdout
    table = str(inputs["table"])  # learned from with --features again: its rows replace those ingested
    out["learn"] = whytag("learn", "--labels", table, "--features", table, "--label-columns", "mood",
                          store=store).stdout
    out["tag"] = whytag("tag", "--quiet", store=store).stdout
    out["explain"] = {track: whytag("explain", track, store=store).stdout for track in TRACKS}
    out["explain_json"] = {track: json.loads(whytag("explain", "--format", "json", track, store=store).stdout)
                           for track in TRACKS}
    out["tag_counts"] = whytag("query", "--format", "csv", "--file", str(REPO / "kg" / "queries" / "tag-counts.rq"),
                               store=store).stdout
    export = inputs["folder"] / f"{name}.nq"
    whytag("export", "--format", "nquads", "-o", str(export), store=store)
    out["export"] = export
    return out


@pytest.fixture(scope="module")
def embedded(inputs, tmp_path_factory) -> dict:
    return run_pipeline(str(tmp_path_factory.mktemp("embedded") / "graph"), inputs, "embedded")


@pytest.fixture(scope="module")
def served(engine, inputs) -> tuple[dict, float]:
    """The pipeline's outputs on the module's server, and the relative error of the doubles it sends back."""
    kind, url = engine
    return run_pipeline(url, inputs, kind), double_tolerance(url)


def test_same_tags_counts_and_query_answers(embedded, served):
    ours, _ = served
    for step in ("ingest", "learn", "tag", "tag_counts"):
        assert ours[step] == embedded[step], step
    assert "tagged 60 tracks" in ours["tag"] and "calm,30" in ours["tag_counts"]


def test_same_reasons_in_words_and_numbers(embedded, served):
    ours, rounding = served
    for track in TRACKS:
        assert same_text(ours["explain"][track], embedded["explain"][track], rounding), track
        assert not differences(ours["explain_json"][track], embedded["explain_json"][track], rounding), track


def test_same_export(embedded, served):
    ours, rounding = served
    mine, theirs = graphs(embedded["export"]), graphs(ours["export"])
    # a server exports every graph it holds: Virtuoso's own (its system graphs) beside whytag's
    assert set(mine) <= set(theirs) and not [g for g in set(theirs) - set(mine) if g.startswith("urn:whytag:")]
    assert sum(len(g) for g, _ in mine.values()) > 3000
    for name, (graph, numbers) in mine.items():
        assert to_isomorphic(graph) == to_isomorphic(theirs[name][0]), name
        assert numbers.keys() == theirs[name][1].keys(), name
        for predicate, values in numbers.items():
            assert not differences(theirs[name][1][predicate], values, rounding), (name, predicate)


def graphs(path) -> dict[str, tuple[Graph, dict[str, list[float]]]]:
    """An N-Quads export per graph name: its triples with every number and time replaced by a mark (each run has
    its own times), and per predicate the sorted numbers it had (compared apart: a server may round them)."""
    dataset = Dataset()
    dataset.parse(path, format="nquads")
    out: dict[str, tuple[Graph, dict[str, list[float]]]] = {}
    for s, p, o, g in dataset.quads():
        graph, numbers = out.setdefault(str(g), (Graph(), {}))
        if isinstance(o, Literal) and o.datatype in NUMBERS:
            numbers.setdefault(str(p), []).append(float(o))
            o = Literal("number")
        elif isinstance(o, Literal) and o.datatype == XSD.dateTime:
            o = Literal("time")
        graph.add((s, p, o))
    for _, numbers in out.values():
        for values in numbers.values():
            values.sort()
    return out


def same_text(a: str, b: str, rounding: float) -> bool:
    """Two explanations the same; where the server rounds doubles, a number shown may differ by one in its last
    digit (9.4265 sent as 9.42649 shows as 9.426)."""
    if not rounding or a == b:
        return a == b
    numbers = NUMBER.findall(a), NUMBER.findall(b)
    return NUMBER.split(a) == NUMBER.split(b) and len(numbers[0]) == len(numbers[1]) and all(
        len(x) == len(y) and abs(float(x) - float(y)) <= 1.01 * 10 ** -len((x + ".").split(".")[1])
        for x, y in zip(*numbers))


def differences(a, b, rounding: float, where: str = "") -> list[str]:
    """Where two JSON values differ (none: equal), numbers compared within `rounding` (relative, or absolute near
    0: a sum of rounded weights)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in differences(a[k], b[k], rounding, f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if where.endswith(".rules"):  # a reason's rules come in the order the store sent them
            a, b = (sorted(x, key=lambda rule: rule["rule"]) for x in (a, b))
        if len(a) != len(b):
            return [f"{where}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, rounding, f"{where}[{i}]")]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        same = math.isclose(a, b, rel_tol=rounding, abs_tol=rounding or 1e-12)
    else:
        same = a == b
    return [] if same else [f"{where}: {a!r} != {b!r}"]
