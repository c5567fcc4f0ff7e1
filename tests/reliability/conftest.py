"""Fixtures for the reliability tests (helpers in whytag_cli.py, importable by the test modules)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from whytag_cli import write_clips


@pytest.fixture
def clips(tmp_path) -> Path:
    """A folder of three short chord clips."""
    folder = tmp_path / "clips"
    write_clips(folder)
    return folder


@pytest.fixture
def not_root():
    """Skip where file permissions do not bind (root reads everything)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("running as root: file permissions cannot be withheld from this user")
