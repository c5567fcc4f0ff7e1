"""`whytag tag` picks the store's only model set; `whytag models` lists the sets with their cards."""

from __future__ import annotations

import json
import re

from cli_run import whytag


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

    whytag(*learn, "--name", "other", "--learner", "ripper", store=store)
    several = whytag("tag", store=store, check=False)
    assert several.returncode != 0 and "(other, tempo): name one with --model" in several.stderr
    assert "Traceback" not in several.stderr
    cards = json.loads(whytag("models", "--format", "json", store=store).stdout)["model_sets"]
    assert [(c["name"], c["tags"], c["source"], c["tagged_tracks"]) for c in cards] == [
        ("other", 2, "store", 0), ("tempo", 2, "store", 12)]
    assert cards[1]["learner"].startswith("boosted-linear") and cards[1]["features"] >= 1
