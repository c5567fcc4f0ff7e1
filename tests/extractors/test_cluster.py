"""Extraction on a real Dask cluster (two local worker processes): the workers measure, this process writes.

The same observations as a local run, one line per failure while the rest are written, and the command
line's --scheduler, including a scheduler that cannot be reached.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from whytag.cli import main
from whytag.datasets.demo import demo_clips, synthesize
from whytag.extractors.batch import extract_many
from whytag.kg.extraction import extract_tracks
from whytag.kg.ingest import ingest
from whytag.kg.store import GraphStore, open_store

pytest.importorskip("distributed", reason="the cluster extra (dask, distributed) is needed")

RATE = 22050
UNREACHABLE = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
# seconds to reach the local cluster's scheduler and a worker: a bound for a hung run (the default, 10 s, is how long
# a user waits for a cluster; a loaded machine may take longer for the one started here)
REACH = 120.0


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a two-process local cluster, shared by this module's tests (it takes seconds to start)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    """Two 6-second demo clips: chords over a beat, so both the signal and the symbolic stages have work."""
    folder = tmp_path_factory.mktemp("music")
    for i, clip in enumerate(demo_clips(2)):
        sf.write(folder / f"clip{i}.wav", synthesize(clip, seconds=6.0), RATE)
    return folder


def feature_values(store: GraphStore) -> dict[tuple[str, str], float]:
    """Every feature value in the store, by (track graph, feature)."""
    rows = store.select("SELECT ?g ?f ?v WHERE { GRAPH ?g { ?g ?f ?v } GRAPH ?s { ?f a wt:Feature } }").rows
    found = {(str(g), str(f)): float(v) for g, f, v in rows}
    assert len(found) == len(rows)  # one value per feature and track
    return found


def test_the_cluster_writes_what_local_extraction_writes(tmp_path: Path, music: Path, scheduler: str) -> None:
    with open_store(tmp_path / "here") as here, open_store(tmp_path / "there") as there:
        for store in (here, there):
            ingest(store, [music], progress=False)
        local = extract_tracks(here, workers=1, progress=False)
        remote = extract_tracks(there, scheduler=scheduler, progress=False, scheduler_timeout=REACH)
        assert local.failures == remote.failures == []
        assert remote.done == local.done and len(local.done) == 2
        expected = feature_values(here)
        assert len(expected) == sum(local.done.values()) > 2 * 42  # signal and reasoned symbolic features
        assert feature_values(there) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_a_failed_file_is_one_line_and_the_others_are_written(tmp_path: Path, music: Path, scheduler: str,
                                                              store: GraphStore) -> None:
    folder = shutil.copytree(music, tmp_path / "audio")
    blip, gone = folder / "blip.wav", folder / "gone.wav"
    sf.write(blip, np.full(int(0.2 * RATE), 0.1, np.float32), RATE)  # ingests, but too short to measure
    sf.write(gone, synthesize(demo_clips(3)[2], seconds=2.0), RATE)
    ingest(store, [folder], progress=False)
    gone.unlink()  # the workers cannot read it
    report = extract_tracks(store, scheduler=scheduler, progress=False, scheduler_timeout=REACH)
    assert len(report.done) == 2 and all(count > 42 for count in report.done.values())
    assert {str(track) for track, _ in feature_values(store)} == {str(track) for track in report.done}
    failures = dict(line.split(": ", 1) for line in sorted(report.failures))
    assert set(failures) == {str(blip), str(gone)}
    assert "too short" in failures[str(blip)] and "No such file" in failures[str(gone)]
    assert not any("\n" in line for line in report.failures)


def test_bytes_that_are_not_audio_come_back_as_one_line(tmp_path: Path, music: Path, scheduler: str) -> None:
    noise = tmp_path / "noise.wav"
    noise.write_bytes(np.random.default_rng(0).bytes(50_000))
    results = {path: (measured, error) for path, measured, error in
               extract_many([noise, music / "clip0.wav"], scheduler=scheduler, progress=False,
                            scheduler_timeout=REACH)}
    assert results[str(noise)] == (None, f"{noise}: not decodable audio (Format not recognised.)")
    measured, error = results[str(music / "clip0.wav")]
    assert error is None and measured[0].as_dict()["BPM"] > 0


def test_ingest_and_extract_on_the_cluster_from_the_command_line(tmp_path: Path, music: Path,
                                                                 scheduler: str) -> None:
    store = ["--store", str(tmp_path / "graph")]
    result = CliRunner().invoke(main, [*store, "ingest", "--quiet", "--extract", "--scheduler", scheduler,
                                              "--scheduler-timeout", str(REACH), str(music)])
    assert result.exit_code == 0, result.output
    assert "ingested 2 file(s) as 2 track(s); 0 failed" in result.stdout
    assert "from 2 track(s); 0 failed" in result.stdout
    with open_store(tmp_path / "graph", read_only=True) as opened:
        measured = feature_values(opened)
    assert len(measured) > 2 * 42
    again = CliRunner().invoke(main, [*store, "extract", "--quiet", "--scheduler", scheduler,
                                             "--scheduler-timeout", str(REACH)])
    assert again.exit_code == 0, again.output
    assert f"extracted {len(measured)} feature values (signal, symbolic) from 2 track(s); 0 failed" in again.stdout


@pytest.mark.parametrize(("address", "reason"), [
    (UNREACHABLE, f"{UNREACHABLE}: cannot reach the Dask scheduler (Timed out trying to connect"),
    ("localhost", "localhost: not a Dask scheduler address, e.g. tcp://HOST:8786"),
])
def test_a_scheduler_that_cannot_be_used_is_one_line_and_nothing_is_written(tmp_path: Path, music: Path,
                                                                             address: str, reason: str) -> None:
    store = tmp_path / "graph"
    result = CliRunner().invoke(main, ["--store", str(store), "ingest", "--quiet", "--extract", "--scheduler",
                                       address, "--scheduler-timeout", "1", str(music)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {reason}") and result.stderr.count("\n") == 1
    assert not store.exists()  # checked before ingest, so not even the store was made
