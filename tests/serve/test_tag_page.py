"""The tag page: its tracks best first with a mini waterfall each, and how its model reads each feature."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from rdflib import URIRef

from whytag.reasoning.explain import explain


def _tag_page(client, store, notation: str) -> str:
    tag = store.select(f"SELECT ?tag WHERE {{ ?tag skos:notation '{notation}' }}").rows[0][0]
    return html.unescape(client.get("/resource", params={"iri": str(tag)}).text)


def test_each_track_row_has_a_mini_waterfall_of_its_explanation(client, tagged_store):
    text = _tag_page(client, tagged_store, "energetic")
    rows = re.findall(r'<tr><td class="title"><a href="/track/synthetic/(t\d+)">t\d+</a></td>\s*<td class="artist">'
                      r'</td>\s*<td>([\d.]+)</td>\s*<td>(.*?)</td></tr>', text, re.S)
    assert rows and [float(s) for _, s, _ in rows] == sorted((float(s) for _, s, _ in rows), reverse=True)
    for row_id, _, cell in rows:
        [e] = [e for e in explain(tagged_store, URIRef(f"urn:whytag:track/synthetic/{row_id}"), tag="energetic")]
        assert float(re.search(r'data-logit="([^"]+)"', cell).group(1)) == e.logit
        assert [float(v) for v in re.findall(r'class="step" data-contribution="([^"]+)"', cell)] == [
            e.base_rate, *(r.contribution for r in e.ranked())]


def test_the_model_is_drawn_one_chart_per_feature_largest_effect_first(client, tagged_store):
    text = _tag_page(client, tagged_store, "energetic")
    titles = re.findall(r"<title>how energetic's model reads ([^:]+): [^;]+; its part of the logit from "
                        r"([-+][\d.e+-]+) to ([-+][\d.e+-]+)", text)
    assert {t[0] for t in titles} == {"tempo", "spectral centroid", "dom ratio"}
    spreads = [float(high) - float(low) for _, low, high in titles]
    assert spreads == sorted(spreads, reverse=True)


def test_a_shape_gives_each_track_the_contribution_its_reason_has(tagged_store):
    from whytag.kg.features import known_features
    from whytag.reasoning.rules import read_models
    from whytag.serve.shapes import contributions, shapes

    [model] = [m for m in read_models(tagged_store, "toy")[1] if m.tag == "energetic"]
    by_iri = {str(info.iri): info.name for info in known_features().values()}
    checked = 0
    explained = [e for i in range(40)
                 for e in explain(tagged_store, URIRef(f"urn:whytag:track/synthetic/t{i}"), tag="energetic")]
    for e in explained:
        for reason in e.ranked():
            [reading] = reason.readings
            value = np.array([reading.value])
            assert contributions(model, by_iri[reading.feature], value)[0] == pytest.approx(reason.contribution,
                                                                                             abs=1e-9)
            checked += 1
    assert len(explained) >= 10 and checked == 3 * len(explained)
    for shape in shapes(model):  # a step at each rule threshold inside the range, flat between (no linear term)
        assert shape.low == model.ranges[shape.feature][0] and not shape.linear
        jumps = shape.values[1:][np.abs(np.diff(shape.contributions)) > 1e-12]
        assert all(any(abs(j - t) <= (shape.high - shape.low) * 1e-5 for t in shape.thresholds) for j in jumps)


@pytest.fixture(scope="module")
def shipped_client(tmp_path_factory):
    """A store tagged by the shipped genres set (`whytag tag --model genres`): five tracks with its features."""
    from starlette.testclient import TestClient

    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import read_models
    from whytag.reasoning.shipped import install
    from whytag.serve.app import create_app

    with open_store(tmp_path_factory.mktemp("shipped") / "graph") as store:
        install(store, "genres")
        models = read_models(store, "genres")[1]
        ranges = {f: r for m in models for f, r in m.ranges.items()}
        rng = np.random.default_rng(1)
        frame = pd.DataFrame({f: rng.uniform(low, high, 5) for f, (low, high) in ranges.items()},
                             index=[f"s{i}" for i in range(5)])
        import_features(store, frame, "shipped")
        apply_model(store, "genres")
        with TestClient(create_app(store)) as client:
            yield client, store


def test_pages_render_for_a_store_tagged_by_a_shipped_model_set(shipped_client):
    client, store = shipped_client
    page = html.unescape(client.get("/track/shipped/s0").text)
    assert page.count('<section class="tag">') >= 1 and 'class="waterfall"' in page
    [(tag,)] = store.select("""SELECT DISTINCT ?tag WHERE { ?a wt:track <urn:whytag:track/shipped/s0> ;
        wt:predicted true ; wt:tag ?tag }""").rows
    text = html.unescape(client.get("/resource", params={"iri": str(tag)}).text)
    assert text.count('<svg xmlns="http://www.w3.org/2000/svg" class="shape"') >= 5
    assert re.search(r'class="waterfall mini"', text) and "/track/shipped/s0" in text
    assert re.search(r' in <a href="[^"]+gtzan[^"]*" title="[^"]+">GTZAN genres</a>', text)  # the scheme by name


def test_a_mini_waterfall_is_drawn_from_the_explanation_whytag_explain_gives(shipped_client):
    """Each row's mini waterfall, byte for byte, is the one drawn from `explain`'s explanation of the track (the
    shipped set reads dozens of features: the flip's feature drawn wherever it ranks, the rest summed, levels in
    the words), so the page and the command cannot disagree."""
    from whytag.serve.waterfall import mini_waterfall

    client, store = shipped_client
    drawn = 0
    for (tag, notation) in store.select("""SELECT DISTINCT ?tag ?n WHERE { ?a wt:predicted true ; wt:tag ?tag .
                                           ?tag skos:notation ?n }""").rows:
        page = client.get("/resource", params={"iri": str(tag)}).text
        for row_id, svg in re.findall(r'<a href="/track/shipped/(s\d)">.*?(<svg[^>]*class="waterfall mini".*?</svg>)',
                                      page, re.S):
            [e] = [e for e in explain(store, URIRef(f"urn:whytag:track/shipped/{row_id}"), tag=str(notation))
                   if e.predicted]
            assert html.unescape(svg) == html.unescape(mini_waterfall(e))
            drawn += 1
    assert drawn >= 5  # every track has a predicted tag


@pytest.fixture(scope="module")
def named_tags(tmp_path_factory):
    """The tagged store's tracks, two of them titled and credited by a metadata table (one with two artists),
    served."""
    from serve_testing import fill_tagged
    from starlette.testclient import TestClient

    from whytag.kg.metadata_table import import_metadata
    from whytag.kg.store import open_store
    from whytag.serve.app import Settings, create_app

    folder = tmp_path_factory.mktemp("named-tags")
    (folder / "names.csv").write_text("track,title,artist\n"
                                      "t1,Blue in Green,Miles Davis; Bill Evans\nt2,Naima,John Coltrane\n")
    with open_store(folder / "graph") as store:
        fill_tagged(store)
        assert import_metadata(store, folder / "names.csv").failures == []
        with TestClient(create_app(store, Settings())) as client:
            yield client, store


def test_tag_rows_show_title_and_artist_apart_as_the_catalog_does(named_tags):
    client, store = named_tags
    rows = {}
    for notation in ("energetic", "calm"):
        text = html.unescape(_tag_page(client, store, notation))
        for href, title, artist in re.findall(r'<tr><td class="title"><a href="([^"]+)">([^<]+)</a></td>\s*'
                                              r'<td class="artist">(.*?)</td>', text, re.S):
            rows[href] = (title, re.sub(r"<[^>]+>", "", artist))
    catalog = html.unescape(client.get("/").text)
    listed = {href: (title, re.sub(r"<[^>]+>", "", artist)) for href, title, artist in re.findall(
        r'<td class="title"><a href="([^"]+)">([^<]+)</a></td>\n<td class="artist">(.*?)</td>', catalog)}
    assert rows and all(listed[href] == row for href, row in rows.items())
    named = {row for row in rows.values() if row[1]}
    assert named <= {("Blue in Green", "Bill Evans, Miles Davis"), ("Naima", "John Coltrane")} and named
    assert all(" - " not in title for title, _ in rows.values())
