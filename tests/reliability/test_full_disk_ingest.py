"""Ingest and extraction on a disk that fills up (#29 item 5): every file left without its track or its
features is named, the batch goes on, and the store keeps what it had. The disk is a real 64 MB tmpfs
mounted for the test and filled to its last byte once the store is open."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from whytag_cli import write_clips

QUADS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 64 MB tmpfs mounted at a fresh folder (skipped where mounting is not allowed)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (the full-disk test mounts a 64 MB tmpfs)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into `folder` until its filesystem has no byte left; the filler file."""
    filler = folder / "filler"
    block = b"\0" * (1 << 16)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError:
            pass
        try:
            while True:
                out.write(b"\0")
        except OSError:
            return filler


def test_a_full_disk_names_every_file_it_left_out_and_corrupts_nothing(tmp_path, small_disk):
    from whytag.kg.extraction import extract_tracks
    from whytag.kg.ingest import ingest
    from whytag.kg.store import open_store
    from whytag.kg.validate import validate_store

    clips = write_clips(tmp_path / "clips", count=4)
    location = small_disk / "graph"
    with open_store(location) as store:
        first = ingest(store, clips[:2], progress=False)
    assert len(first.tracks) == 2 and not first.failures
    with open_store(location) as store:
        before = store.select(QUADS).rows
        filler = fill(small_disk)
        late = ingest(store, clips[2:], progress=False)
        extracted = extract_tracks(store, ("signal",), [t for t, _ in first.tracks], workers=1, progress=False)
    assert late.tracks == [] and len(late.failures) == 2
    for clip, line in zip(clips[2:], late.failures):
        assert line.startswith(f"{clip}: not recorded (") and "No space left on device" in line, line
    assert extracted.done == {} and len(extracted.failures) == 2  # both measured, neither written: both named
    for clip in clips[:2]:
        assert any(line.startswith(f"{clip}: measured, but its features were not written (") and
                   "No space left on device" in line for line in extracted.failures), (clip, extracted.failures)
    filler.unlink()
    with open_store(location, read_only=True) as store:  # what was there before the disk filled, whole
        assert store.select(QUADS).rows == before
        assert list(validate_store(store, None)) == []
    with open_store(location) as store:  # and the run that failed goes through once there is room
        again = extract_tracks(store, ("signal",), None, workers=1, progress=False)
    assert len(again.done) == 2 and not again.failures
