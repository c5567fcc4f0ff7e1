"""A feature's page: what the ontology says of it, its levels, its values across the catalog drawn with the levels'
thresholds, the tag models reading it (linked to their charts) and the rules testing it; no blank nodes."""

from __future__ import annotations

import html
import re

import numpy as np

from whytag.kg.iris import feature_iri


def _page(client, name: str) -> str:
    response = client.get("/resource", params={"iri": str(feature_iri(name))}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    return html.unescape(response.text)


def test_a_feature_page_says_what_the_ontology_says_and_lists_no_blank_node(client):
    text = _page(client, "BPM")
    assert re.search(r"<h1>tempo</h1>", text)
    assert re.search(r'<th scope="row">unit</th><td>per minute \(BPM\)</td>', text)
    assert re.search(r'<th scope="row">family</th><td>rhythm</td>', text)
    assert "_:" not in text and "Mentioned by" not in text


def test_its_levels_are_the_music_knowledge_thresholds(client):
    text = _page(client, "BPM")
    levels = re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a></td>\s*<td>([\d.]*)</td><td>([\d.]*)</td>'
                        r"<td>music knowledge: tempo markings</td>", text)
    assert sorted(levels) == sorted([("fast", "120", ""), ("moderate", "76", "120"), ("slow", "", "76")])
    assert re.search(r'>low tempo</a></td>\s*<td></td><td>[\d.]+</td><td>tertiles of synthetic</td>', text), \
        "the training set's levels too"


def test_the_histogram_counts_every_track_s_value_and_draws_the_thresholds(client, tagged_store):
    text = _page(client, "BPM")
    [svg] = re.findall(r'<svg[^>]*class="histogram".*?</svg>', text, re.S)
    values = np.array([float(v) for (v,) in tagged_store.rows(
        f"SELECT ?v WHERE {{ ?t a wt:Track ; <{feature_iri('BPM')}> ?v }}")])
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', svg)]
    assert sum(counts) == len(values) == 40
    assert counts == [int(n) for n in np.histogram(values, bins=30)[0] if n]
    bounds = {float(b) for (b,) in tagged_store.rows(
        f"SELECT ?b WHERE {{ ?th wt:feature <{feature_iri('BPM')}> ; wt:lowerBound|wt:upperBound ?b }}")}
    inside = [b for b in bounds if values.min() <= b <= values.max()]
    assert len(re.findall(r'stroke-dasharray="4,3"', svg)) == len(inside) == 4  # music knowledge's 2, tertiles' 2
    assert "76 BPM (slow / moderate)" in svg and "120 BPM (moderate / fast)" in svg


def test_the_models_reading_it_link_to_their_chart_on_the_tag_page(client):
    text = _page(client, "BPM")
    links = re.findall(r'<li><a href="([^"#]+)#([^"]+)">energetic</a> \(model set toy\)', text)
    assert links, "energetic's model reads tempo"
    tag_page, anchor = links[0]
    tag = client.get(tag_page, headers={"Accept": "text/html"}).text
    assert re.search(rf'<figure class="shape" id="{anchor}"><figcaption><a href="[^"]+">tempo</a>', tag)


def test_the_rules_testing_it_are_those_the_store_holds(client, tagged_store):
    text = _page(client, "BPM")
    section = text.split("<h2>Rules testing it</h2>")[1]
    listed = re.findall(r'<tr><td><a href="[^"]+">([^<]+)</a></td><td><a href="[^"]+">(\w+)</a></td>\s*'
                        r'<td>([^<]*)</td>', section)
    stored = {str(r).rsplit("/", 1)[-1] for (r,) in tagged_store.rows(
        f"SELECT DISTINCT ?r WHERE {{ ?r a wt:Rule ; wt:hasCondition/wt:feature <{feature_iri('BPM')}> }}")}
    assert listed and {name for name, _, _ in listed} == stored
    assert all("tempo" in conditions for _, _, conditions in listed)


def test_a_feature_no_model_reads_says_so(client):
    text = _page(client, "Onset-Rate")
    assert "no track in the catalog has a value of this feature" in text.lower()
    assert "none: no stored tag model reads this feature" in text and "no rule tests it" in text


def test_values_that_are_not_finite_are_left_out_of_the_histogram_and_said():
    """Values an update or loaded RDF gave as NaN or ±INF (no extractor writes one): the histogram draws the finite
    values and says how many it left out, instead of failing the feature page; none finite reads like no value."""
    from whytag.serve.histogram import histogram

    svg = histogram(np.array([1.0, 2.0, 2.5, -np.inf, np.nan, np.inf]), [(2.0, "low / high")], "loudness", "")
    counts = [int(n) for n in re.findall(r'data-count="(\d+)"', svg)]
    assert sum(counts) == 3 and "3 not finite, not drawn" in svg and "from 1 to 2.5" in svg
    assert "No track in the catalog has a value" in histogram(np.array([np.nan, -np.inf]), [], "loudness", "")
