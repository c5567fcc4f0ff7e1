"""Tracks found from what users type: IRIs, audio files (by path or content), table row ids."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from whytag import WhytagError
from whytag.kg.ingest import ingest
from whytag.kg.iris import table_track
from whytag.kg.tracks import TrackNotFound, find_track, label_tracks


@pytest.fixture
def ingested(store, audio_folder):
    """The store holding the shared audio folder's good files; their track IRIs by file name."""
    report = ingest(store, [audio_folder], progress=False)
    return store, {info.path.rsplit("/", 1)[-1]: track for track, info in report.tracks}


def test_find_track_by_iri_file_or_nothing(ingested, audio_folder, tmp_path):
    store, tracks = ingested
    assert find_track(store, str(tracks["a.wav"])) == tracks["a.wav"]
    moved = tmp_path / "moved.wav"
    shutil.copy(audio_folder / "a.wav", moved)
    assert find_track(store, str(moved)) == tracks["a.wav"]  # by content, not path
    for text in ("urn:whytag:track/sha256-0", "no-such-row"):
        with pytest.raises(TrackNotFound, match=text) as caught:
            find_track(store, text)
        assert isinstance(caught.value, WhytagError) and isinstance(caught.value, LookupError)


def test_label_tracks_maps_paths_iris_and_table_rows_and_leaves_out_the_rest(ingested, audio_folder):
    store, tracks = ingested
    ids = pd.Index(["a.wav", "sub/c.ogg", str(tracks["b.flac"]), "ghost.wav"])
    resolved = label_tracks(store, ids, audio_folder, None)
    assert resolved == {"a.wav": tracks["a.wav"], "sub/c.ogg": tracks["c.ogg"],
                        str(tracks["b.flac"]): tracks["b.flac"]}
    rows = label_tracks(store, pd.Index(["r1"]), audio_folder, "catalog")
    assert rows == {"r1": table_track("catalog", "r1")}
