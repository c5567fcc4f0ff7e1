"""A store holding the shared audio folder's files, ingested the way a user does it."""

from __future__ import annotations

import pytest
from cli_run import whytag


@pytest.fixture
def ingested(tmp_path, audio_folder):
    """The shared audio folder ingested into a fresh store: the store and the command's result."""
    store = tmp_path / "graph"
    result = whytag("ingest", "--quiet", str(audio_folder), store=store, check=False)
    return store, result
