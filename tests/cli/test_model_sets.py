"""`whytag tag` picks the store's only model set, or loads a shipped one (`--model genres`) into a store that has
features and no model; `whytag models` lists the learned and shipped sets with their cards."""

from __future__ import annotations

import json
import re

import pytest
from cli_run import whytag

from whytag.reasoning.shipped import shipped_names


def test_tag_uses_the_only_model_set_and_models_lists_the_sets(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("id,BPM,Spectral-Centroid,speed\n" + "".join(
        f"t{i},{60 + 10 * i},{500 + 50 * i},{'fast' if i >= 6 else 'slow'}\n" for i in range(12)))
    store = tmp_path / "graph"
    learn = ("learn", "--features", str(table), "--labels", str(table), "--label-columns", "speed")
    whytag(*learn, "--name", "tempo", store=store)
    named = whytag("tag", "--model", "tempo", "--quiet", store=store).stdout
    chosen = whytag("tag", "--quiet", store=store).stdout
    assert "model set 'tempo'" in chosen
    assert re.search(r"\d+ predicted", chosen).group() == re.search(r"\d+ predicted", named).group()
    listed = whytag("models", store=store).stdout
    assert "tempo (store)" in listed and "vocabulary: table, 2 tags" in listed
    assert "tracks carrying its tags: 12" in listed and "learned: unknown" not in listed
    learners = re.findall(r"^  learner: .*$", listed, re.M)  # each a short line, not every parameter's ~400 characters
    assert learners[0] == "  learner: additive (id_prefix='table'; the rest its defaults)"
    assert len(learners) == 1 + len(shipped_names()) and max(map(len, learners)) < 100
    detail = whytag("models", "--detail", store=store).stdout  # the card's text, every parameter
    assert "  learner: additive: AdditiveLearner(additive_weight=1.0, " in detail

    whytag(*learn, "--name", "other", "--learner", "ripper", store=store)
    several = whytag("tag", store=store, check=False)
    assert several.returncode != 0 and "(other, tempo): name one with --model" in several.stderr
    assert "Traceback" not in several.stderr
    cards = json.loads(whytag("models", "--format", "json", store=store).stdout)["model_sets"]
    assert [(c["name"], c["tags"], c["source"], c["tagged_tracks"]) for c in cards[:2]] == [
        ("other", 2, "store", 0), ("tempo", 2, "store", 12)]
    assert [(c["name"], c["source"]) for c in cards[2:]] == [(name, "shipped") for name in shipped_names()]
    assert cards[1]["learner"].startswith("additive") and cards[1]["features"] >= 1


def test_tag_with_a_shipped_model_set_on_a_store_with_features_and_no_model(tmp_path):
    from whytag_testing import REPO, shared_table

    from whytag.datasets.paper_tables import GTZAN_TABLE

    rows = shared_table(GTZAN_TABLE).read_text().splitlines()
    header = rows[0].split(",")
    genres = header.index("blues")  # the one-hot genre columns close the table: a user's library has no labels
    table = tmp_path / "library.csv"
    table.write_text("\n".join(",".join(row.split(",")[:genres]) for row in rows[:1] + rows[1::100]) + "\n")
    store = tmp_path / "graph"
    whytag("ingest", "--features", str(table), store=store)
    nothing = whytag("tag", store=store, check=False)
    assert nothing.returncode != 0 and "or tag with a shipped one (--model genres" in nothing.stderr

    tagged = whytag("tag", "--model", "genres", "--quiet", store=store).stdout
    assert "tagged 10 tracks with model set 'genres'" in tagged and "10 predicted" in tagged
    assert len(re.findall(r"^  \w+: \d+$", tagged, re.M)) >= 3  # ten clips of ten genres: several genres
    again = whytag("tag", "--model", "genres", "--quiet", store=store).stdout  # the loaded set is reused
    assert again == tagged
    tour = re.search(r'^whytag query "(.+)"$', (REPO / "README.md").read_text(), re.M).group(1)  # as the tour has it
    answer = whytag("query", tour, "--format", "csv", store=store).stdout.splitlines()[1:]
    assert len(answer) == len(set(answer)) == 10  # a row a track, not two (the vocabulary's and the set's notation)
    bpm = [float(row.split(",")[header.index("BPM")]) for row in rows[1::100]]
    fast = whytag("query", "SELECT ?t WHERE { ?t wt:hasLevel wt:TempoFast }", "--format", "csv", store=store).stdout
    assert len(fast.splitlines()) - 1 == sum(b >= 120 for b in bpm) > 0  # tag stores the music-knowledge levels
    explained = whytag("explain", rows[1].split(",")[0], "--model", "genres", store=store).stdout
    assert "(predicted); logit" in explained and "= base rate" in explained and "feature reasons" in explained
    cards = {c["name"]: c for c in json.loads(whytag("models", "--format", "json", store=store).stdout)["model_sets"]}
    assert (cards["genres"]["source"], cards["genres"]["tagged_tracks"]) == ("shipped", 10)
    assert cards["genres"]["version"] and cards["genres"]["scores"]["xgboost (paper) accuracy"] > 0.5
    listed = whytag("models", store=store).stdout
    assert "genres (shipped, version" in listed and "licence https://www.apache.org/licenses/LICENSE-2.0" in listed


def test_tag_with_the_shipped_moods_on_tracks_without_labels(tmp_path):
    from whytag_testing import shared_table

    from whytag.evaluation.shipped import SHIPPED, table

    if "moods" not in shipped_names():
        pytest.skip("shipped set moods is not built yet: run `whytag models build moods`")
    spec = SHIPPED["moods"]
    X, Y = table(spec, shared_table(spec.table).parent)
    library = tmp_path / "library.csv"
    X.iloc[::200].rename_axis("id").to_csv(library)  # 12 tracks' features, none of their mood columns
    store = tmp_path / "graph"
    whytag("ingest", "--features", str(library), store=store)
    tagged = whytag("tag", "--model", "moods", "--quiet", store=store).stdout
    assert "tagged 12 tracks with model set 'moods'" in tagged
    predicted = dict(re.findall(r"^  ([\w-]+): (\d+)$", tagged, re.M))
    assert len(predicted) >= 3 and set(predicted) <= set(Y.columns)  # several moods, all of the vocabulary
    explained = whytag("explain", str(X.index[0]), "--model", "moods", store=store).stdout
    assert "logit" in explained and "= base rate" in explained
    cards = {c["name"]: c for c in json.loads(whytag("models", "--format", "json", store=store).stdout)["model_sets"]}
    assert (cards["moods"]["source"], cards["moods"]["tags"]) == ("shipped", 56)
    assert 0 < cards["moods"]["tagged_tracks"] <= 12  # a track may carry no mood: each tag has its own cut
    assert cards["moods"]["scores"]["xgboost (paper) roc_auc"] > 0.5
