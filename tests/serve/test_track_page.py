"""The track page: each tag's waterfall in `whytag explain`'s numbers, the features by family, and the player."""

from __future__ import annotations

import html
import re

import pytest
from rdflib import URIRef

from whytag.kg.namespaces import WT
from whytag.kg.queries import query
from whytag.reasoning.explain import explain, flip_text

TRACK = "urn:whytag:track/synthetic/t1"


def _waterfalls(text: str) -> dict[str, str]:
    """The page's full waterfalls by tag."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg[^>]*class="waterfall"[^>]*data-tag="([^"]+)".*?</svg>',
                                                        text, re.S)}


def test_each_waterfall_has_the_numbers_whytag_explain_gives(client, tagged_store):
    text = html.unescape(client.get("/track/synthetic/t1").text)
    charts = _waterfalls(text)
    explanations = explain(tagged_store, URIRef(TRACK))
    assert {e.tag for e in explanations} == set(charts) and any(e.predicted for e in explanations)
    for e in explanations:
        svg = charts[e.tag]
        assert float(re.search(r'data-logit="([^"]+)"', svg).group(1)) == e.logit
        assert float(re.search(r'data-score="([^"]+)"', svg).group(1)) == e.score
        steps = [float(v) for v in re.findall(r'<g class="step [a-z]+" data-contribution="([^"]+)"', svg)]
        assert steps == [e.base_rate, *(r.contribution for r in e.ranked())]  # all 3 reasons: no "other" bar
        assert sum(steps) == pytest.approx(e.logit, abs=1e-9)
        assert float(re.search(r'<g class="total" data-contribution="([^"]+)"', svg).group(1)) == e.logit
        first = e.ranked()[0]
        words = f"{first.readings[0].text()} — {first.readings[0].level}"  # explain's words, the level too
        assert re.search(f">{re.escape(words)}( ⇄)?</text>", svg)
        if e.flip is not None:  # the flip's threshold is drawn on its feature's bar, and said in full
            assert '<g class="flip">' in svg and f"⇄ {flip_text(e.flip, e.tag, e.predicted)}" in svg
    assert "<script" not in text


def test_a_waterfall_bar_links_to_its_feature_page(client):
    svg = next(iter(_waterfalls(html.unescape(client.get("/track/synthetic/t1").text)).values()))
    links = re.findall(r'<a href="([^"]+)">', svg)
    assert links and all(client.get(link).status_code == 200 for link in links)
    assert any("ontology%23bpm" in link for link in links)


def test_the_smaller_reasons_are_summed_into_one_bar_and_the_flip_feature_kept(tagged_store):
    from whytag.serve.waterfall import mini_waterfall, steps

    e = next(e for e in explain(tagged_store, URIRef(TRACK)) if e.flip is not None)
    bars = steps(e, top=1)
    ranked = e.ranked()
    kept = [b for b in bars if b.kind == "reason"]
    assert kept[0].contribution == ranked[0].contribution
    assert any(b.flip for b in kept)  # the flip's feature shows, wherever it ranks
    rest = [b for b in bars if b.kind == "rest"]
    shown = {b.contribution for b in kept}
    assert len(rest) == (1 if len(ranked) > len(kept) else 0)
    if rest:
        others = [r.contribution for r in ranked if r.contribution not in shown]
        assert rest[0].words == f"{len(others)} other feature{'s' if len(others) != 1 else ''}"
        assert rest[0].contribution == pytest.approx(sum(others))
    assert sum(b.contribution for b in bars) == pytest.approx(e.logit, abs=1e-9)
    mini = mini_waterfall(e)
    assert [float(v) for v in re.findall(r'data-contribution="([^"]+)"', mini)] == [
        e.base_rate, *(r.contribution for r in ranked)]
    assert "<text" not in mini and f"{e.tag}: logit {e.logit:+.2f}" in mini


def test_features_are_grouped_by_family_with_descriptions_and_levels_in_words(client, tagged_store):
    text = html.unescape(client.get("/track/synthetic/t1").text)
    families = re.findall(r'<details class="family" open><summary><h3>([^<]+)</h3>', text)
    assert families == ["rhythm", "timbre", "harmony"]  # the ontology's order: all three are read by the models
    tempo = re.search(r'<tr class="feature used">\s*<td><a href="[^"]+ontology%23bpm" title="([^"]+)">tempo</a>'
                      r'.*?</tr>', text, re.S)
    assert tempo and tempo.group(1) == "Tempo in beats per minute."
    assert re.search(r'<span class="level (low|middle|high)">(slow|moderate|fast)</span>', tempo.group(0))
    readers = [str(n) for f, n in tagged_store.rows(query("model-features")) if f == str(WT.bpm)]
    assert "energetic" in readers  # learned from tempo alone (conftest), so its model reads it
    assert tempo.group(0).endswith(f"<td>{', '.join(readers)}</td></tr>")  # every tag whose model reads it, no other
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="features"' not in text  # the old alphabetical chart


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    """A store whose tag 'happy' reads a binary feature (in a major key, or not) beside tempo, and the app over it;
    the client, the store and the tracks (t0 in a major key, t1 in a minor one)."""
    import numpy as np
    import pandas as pd
    from starlette.testclient import TestClient

    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.reasoning.model import Condition, Rule, TagModel, annotate
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import ModelInfo, write_models
    from whytag.serve.app import create_app

    frame = pd.DataFrame({"Scale-Major": [1.0, 0.0] * 10, "BPM": np.linspace(80, 160, 20)},
                         index=[f"t{i}" for i in range(20)])
    rules = [Rule("happy", (Condition("Scale-Major", ">=", 0.5),), 2.0), Rule("happy", (Condition("BPM", ">=", 120),),
                                                                               0.5)]
    annotate(rules, frame, (frame["Scale-Major"] == 1).to_numpy())
    model = TagModel("happy", -1.0, rules)
    model.centre(frame)
    with open_store(tmp_path_factory.mktemp("keyed") / "graph") as store:
        tracks = import_features(store, frame, "keys")
        write_models(store, ModelInfo("moods", "toy-moods"), [model])
        apply_model(store, "moods", every_score=True)
        with TestClient(create_app(store)) as client:
            yield client, store, tracks


@pytest.mark.parametrize("position, words", [(0, "in a major key"), (1, "in a minor key")])
def test_a_binary_feature_reads_as_explain_words_it_with_no_level(keyed, position, words):
    client, store, tracks = keyed
    [happy] = explain(store, tracks[position], tag="happy")
    [scale] = [r.readings[0] for r in happy.reasons if r.readings and r.readings[0].label == "scale major"]
    assert scale.text() == words and scale.level is None
    text = html.unescape(client.get("/" + str(tracks[position]).removeprefix("urn:whytag:")).text)
    svg = _waterfalls(text)["happy"]
    assert re.search(f">{words}( ⇄)?</text>", svg)  # the bar says explain's words, and no "— major"
    assert "— major" not in svg and "— minor" not in svg
    row = re.search(r'<tr class="feature used">\s*<td><a [^>]*>scale major</a>.*?</tr>', text, re.S).group(0)
    assert f'<td class="value">{words}</td>' in row and 'class="level' not in row  # not "1 — major"
    tempo = re.search(r'<tr class="feature used">\s*<td><a [^>]*>tempo</a>.*?</tr>', text, re.S).group(0)
    assert re.search(r'<span class="level [a-z]+">(slow|moderate|fast)</span>', tempo)  # numbers keep their level


def test_zeros_and_raw_descriptors_fold_away_unless_a_model_reads_them():
    from whytag.serve.chart import Bar, by_family

    bars = [Bar("mfcc 3", 1.5, "", 0, 2, iri="x#mfcc3", family="timbre", perceptual=False),
            Bar("loudness", 0.0, "", 0, 1, iri="x#loudness", family="dynamics"),
            Bar("dom ratio", 0.0, "", 0, 1, iri="x#dom", family="harmony", used_by=["calm"]),
            Bar("tempo", 120.0, "BPM", 60, 180, iri="x#bpm", family="rhythm"),
            Bar("spectral flux", 0.2, "", 0, 1, iri="x#flux", family="timbre")]
    shown, folded = by_family(bars)
    assert [f.name for f in shown] == ["harmony", "rhythm", "timbre"]  # a family the models read first
    assert [b.label for b in folded] == ["loudness", "mfcc 3"]


@pytest.fixture(scope="module")
def audio_app(tmp_path_factory):
    """A store with one ingested wav (no features, no tags) and the app over it; the file and its track IRI."""
    import numpy as np
    import soundfile as sf
    from starlette.testclient import TestClient

    from whytag.kg.ingest import ingest
    from whytag.kg.store import open_store
    from whytag.serve.app import create_app

    folder = tmp_path_factory.mktemp("audio")
    path = folder / "tone.wav"
    sf.write(path, (0.3 * np.sin(np.arange(22050) / 22050 * 2 * np.pi * 440)).astype(np.float32), 22050)
    with open_store(folder / "graph") as store:
        [(track, _)] = ingest(store, [path], progress=False).tracks
        with TestClient(create_app(store)) as client:
            yield client, path, str(track)


def test_the_player_streams_the_ingested_file_with_ranges(audio_app):
    client, path, track = audio_app
    page = client.get("/" + track.removeprefix("urn:whytag:"))
    assert page.status_code == 200
    src = re.search(r'<audio class="player" controls preload="none" src="([^"]+)"', page.text).group(1)
    assert src == "/audio/" + track.removeprefix("urn:whytag:")
    assert "No predicted tags" in page.text  # a track with no tags renders
    data = path.read_bytes()
    whole = client.get(src)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "audio/wav" and whole.headers["accept-ranges"] == "bytes"
    part = client.get(src, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    tail = client.get(src, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]
    beyond = client.get(src, headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize("path", ["/audio/../../etc/passwd", "/audio/..%2F..%2Fetc%2Fpasswd", "/audio/%2Fetc%2Fpasswd",
                                  "/audio/track/..%2F..%2F..%2Fetc%2Fpasswd", "/audio//etc/passwd",
                                  "/audio/track/synthetic/t1"])
def test_no_path_from_the_request_reaches_the_file_system(audio_app, path):
    client, _, _ = audio_app
    answer = client.get(path)
    assert answer.status_code in (400, 404) and "root:" not in answer.text
    reasons = (re.findall(r'<p class="problem">([^<]*)</p>', answer.text)  # a page, where pages answer HTML
               if answer.headers["content-type"].startswith("text/html") else [answer.text.removesuffix("\n")])
    assert len(reasons) == 1 and "\n" not in reasons[0]  # one line saying why


def test_a_track_whose_file_is_gone_answers_404_saying_so(audio_app, tmp_path):
    client, path, track = audio_app
    src = "/audio/" + track.removeprefix("urn:whytag:")
    moved = tmp_path / "elsewhere.wav"
    path.rename(moved)
    try:
        gone = client.get(src, headers={"Accept": "text/plain"})  # a browser would get the reason as a page
    finally:
        moved.rename(path)
    assert gone.status_code == 404 and gone.text == f"{track}: its file {path} is gone\n"


def test_tracks_from_feature_tables_have_no_player(client):
    assert "<audio" not in client.get("/track/synthetic/t1").text
    assert client.get("/audio/track/synthetic/t1").status_code == 404
