"""Re-tagging a catalog never loses tags: `whytag tag` SIGKILLed at every one of its writes, or stopped by a full
disk, leaves every track with its old tags or its new ones, each whole, and `explain` answering for each.

The kills are placed by the command's progress (held after, or killed during, its k-th write to the store,
whytag_cli.hold_at_write), so whether they land mid-run cannot depend on how loaded the machine is.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from whytag_cli import hold_at_write, run_whytag
from whytag_testing import tags_of_each_track

from whytag.kg.store import open_store
from whytag.kg.tables import import_features
from whytag.kg.validate import interrupted_runs, stale_tag_counts
from whytag.reasoning.explain import explain
from whytag.reasoning.model import Condition, LinearTerm, Rule, TagModel, annotate
from whytag.reasoning.reasoner import catalog_tracks, tag_batches, tags_graph
from whytag.reasoning.rules import ModelInfo, write_models

TRACKS = 24
BATCH = 4
MODEL = ModelInfo("toy", "toy-moods", "hand-written", "synthetic")
TAG = ["tag", "--model", "toy", "--every-score", "--batch", str(BATCH), "--quiet"]


def toy_models(frame: pd.DataFrame, shift: float) -> list[TagModel]:
    """Two tags from rules and linear terms; `shift` moves every logit, so each track's scores change with it."""
    fast = Rule("energetic", (Condition("BPM", ">=", 120.0),), 1.4)
    dark = Rule("calm", (Condition("Spectral-Centroid", "<", 1800.0),), 2.0)
    models = [TagModel("energetic", -1.0 + shift, [fast], linear=[LinearTerm("dom", 3.0, 0.25)]),
              TagModel("calm", -0.8 - shift, [dark])]
    y = (frame["BPM"] > 110).to_numpy()
    annotate([fast], frame, y)
    annotate([dark], frame, ~y)
    for model in models:
        model.centre(frame)
    return models


@pytest.fixture(scope="module")
def retag(tmp_path_factory) -> tuple[Path, dict, dict, list[str]]:
    """A store tagged by one version of a model set and holding the next (`before`), the tags of each track
    before and after a whole re-run, and the tracks in the order the run tags them. One tagged track was
    since removed from the store: a whole run removes its tags."""
    folder = tmp_path_factory.mktemp("retag")
    rng = np.random.default_rng(29)
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, TRACKS), "Spectral-Centroid": rng.uniform(500, 4000, TRACKS),
                          "dom": rng.uniform(0, 0.5, TRACKS)}, index=[f"t{i:02d}" for i in range(TRACKS)])
    before = folder / "before"
    with open_store(before) as store:
        tracks = import_features(store, frame, "synthetic")
        write_models(store, MODEL, toy_models(frame, 0.0))
        list(tag_batches(store, "toy", every_score=True))
        write_models(store, MODEL, toy_models(frame, 0.7))
        store.drop_graph(tracks[5])  # a track gone since it was tagged
        order = [str(t) for t in catalog_tracks(store)]
        old = tags_of_each_track(store, tags_graph(MODEL))
    after = folder / "after"
    shutil.copytree(before, after)
    assert run_whytag(*TAG, store=after).returncode == 0
    with open_store(after, read_only=True) as store:
        new = tags_of_each_track(store, tags_graph(MODEL))
    assert set(old) == set(new) | {str(tracks[5])} and len(order) == TRACKS - 1
    assert all(old[t] != new[t] for t in new)  # every track's tags change: a mix would show
    return before, old, new, order


def check_whole(store_path: Path, old: dict, new: dict, order: list[str]) -> dict[str, int]:
    """Assert every track holds its old or its new tags, each whole, and is explained; count the states."""
    with open_store(store_path, read_only=True) as store:
        now = tags_of_each_track(store, tags_graph(MODEL))
        states = ["new" if now.get(t) == new[t] else "old" if now.get(t) == old[t] else "PARTIAL" for t in order]
        assert "PARTIAL" not in states, [t for t, s in zip(order, states) if s == "PARTIAL"]
        assert "".join(s[0] for s in states).lstrip("n").strip("o") == "", states  # whole batches, in run order
        gone = set(now) - set(order)
        assert all(now[t] == old[t] for t in gone)  # the removed track: its old tags until the run's end
        for track in order[::5]:
            assert explain(store, track), f"explain found no tags for {track}"
    return {"new": states.count("new"), "old": states.count("old"), "removed track's left": len(gone)}


def test_sigkill_at_every_write_of_a_retag_leaves_each_track_old_or_new_tags(retag, tmp_path, capsys):
    before, old, new, order = retag
    counted = tmp_path / "counted"
    shutil.copytree(before, counted)
    run = hold_at_write(*TAG, store=counted, k=0)
    assert not run.reached and run.finish() == 0
    writes = run.writes
    rng = random.Random(29)
    totals: dict[str, int] = {}
    kills = 0
    for k in range(1, writes + 1):
        for during in (True, False):  # killed while write k runs (at a drawn moment of it), or held after it
            store = tmp_path / f"trial-{k}-{during}" / "graph"
            shutil.copytree(before, store)
            held = hold_at_write(*TAG, store=store, k=k, started=during)
            assert held.reached, f"the run made fewer than {k} writes"
            if during:
                time.sleep(rng.uniform(0.0, 0.05))  # where in write k: the kill lands mid-run either way
            held.kill()
            kills += 1
            for state, n in check_whole(store, old, new, order).items():
                totals[state] = totals.get(state, 0) + n
            if k % 4 == 0 and not during:  # the command run again on what the kill left ends as a whole run
                assert run_whytag(*TAG, store=store).returncode == 0
                assert check_whole(store, old, new, order)["new"] == len(order)
                with open_store(store, read_only=True) as reopened:
                    assert tags_of_each_track(reopened, tags_graph(MODEL)) == new
                    assert interrupted_runs(reopened) == [] and stale_tag_counts(reopened) == []
            shutil.rmtree(store.parent)
    with capsys.disabled():
        print(f"\n{kills} kills at {writes} write points of a re-tag ({len(order)} tracks, batches of {BATCH}); "
              f"track states after them: {totals}")
    assert kills >= 20 and totals["new"] > 0 and totals["old"] > 0


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB ext4 filesystem, loop-mounted for the test (root and a loop device needed), or skip saying why."""
    image, mount = tmp_path / "disk.img", tmp_path / "disk"
    mount.mkdir()
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 is not installed (e2fsprogs), so no small filesystem can be made")
    with image.open("wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-m", "0", str(image)], check=True, capture_output=True)
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot loop-mount a small filesystem here ({mounted.stderr.strip() or 'mount failed'}); "
                    "the full-disk case needs root and a loop device")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)  # lazy: a failed test's files may be open


def fill(folder: Path) -> Path:
    """Fill the filesystem holding `folder` to its last byte with one file; returns the file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
                    handle.flush()
            except OSError:
                pass
    return filler


def test_a_retag_stopped_by_a_full_disk_keeps_each_track_old_or_new_tags(retag, small_disk, tmp_path, capsys):
    before, old, new, order = retag
    store = small_disk / "graph"
    shutil.copytree(before, store)
    held = hold_at_write(*TAG, store=store, k=3, log=tmp_path / "stderr.txt")  # its start and two batches written
    try:
        assert held.reached
        filler = fill(small_disk)
        status = held.go_on()
    finally:
        if held.process.poll() is None:
            held.kill()
    error = (tmp_path / "stderr.txt").read_text()
    assert status == 1 and "Traceback" not in error, error
    reported = [line for line in error.splitlines() if line.startswith("Error:")]
    assert len(reported) == 1 and "No space left on device" in reported[0], error
    with capsys.disabled():
        print(f"\nfull disk after 3 writes: {reported[0]}")
    filler.unlink()
    states = check_whole(store, old, new, order)
    assert states["new"] == 2 * BATCH, states  # the two batches written before the disk filled, and no more
    assert run_whytag(*TAG, store=store).returncode == 0  # space again: the command completes the run
    with open_store(store, read_only=True) as reopened:
        assert tags_of_each_track(reopened, tags_graph(MODEL)) == new
