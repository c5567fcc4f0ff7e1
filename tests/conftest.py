"""Shared fixtures: the paper's tables, generated audio, fresh stores, HermiT. Helpers that test modules
import live in whytag_testing.py: a test directory may have its own conftest, so `from conftest import` is
ambiguous."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf


@pytest.fixture
def gtzan() -> tuple[pd.DataFrame, pd.Series]:
    """The paper's GTZAN table as (features, genre of each clip), or skip saying where it was looked for."""
    from whytag_testing import shared_table

    from whytag.datasets.paper_tables import GTZAN_TABLE, load_gtzan

    return load_gtzan(shared_table(GTZAN_TABLE))


@pytest.fixture
def jamendo() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paper's Jamendo mood/theme table as (features, 0/1 tags), or skip saying where it was looked for."""
    from whytag_testing import shared_table

    from whytag.datasets.paper_tables import JAMENDO_TABLE, load_jamendo_moodtheme

    return load_jamendo_moodtheme(shared_table(JAMENDO_TABLE))


@pytest.fixture
def store(tmp_path):
    """A fresh embedded Oxigraph store with the schema loaded."""
    from whytag.kg.store import open_store

    with open_store(tmp_path / "graph") as opened:
        yield opened


def tone(seconds: float = 1.0, freq: float = 440.0, rate: int = 22050, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def audio_folder(tmp_path) -> Path:
    """Three good files (wav, flac, ogg) plus a zero-byte file and a text file renamed .mp3."""
    folder = tmp_path / "audio"
    (folder / "sub").mkdir(parents=True)
    sf.write(folder / "a.wav", tone(1.0, 440), 22050)
    sf.write(folder / "b.flac", tone(1.5, 330), 22050)
    sf.write(folder / "sub" / "c.ogg", np.stack([tone(2.0, 220), tone(2.0, 221)], axis=1), 22050)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "notes.mp3").write_text("this is not audio, just text renamed to mp3\n" * 20)
    return folder


@pytest.fixture(scope="session")
def owlready2():
    """owlready2 with a Java runtime for HermiT, or skip saying which is missing."""
    import shutil

    module = pytest.importorskip("owlready2", reason="owlready2 (test extra) is needed for HermiT")
    if shutil.which("java") is None:
        pytest.skip("java is not installed; HermiT needs a Java runtime")
    return module


@pytest.fixture
def clips(tmp_path) -> Path:
    """A folder of three short chord clips (tests/reliability/whytag_cli.py makes them)."""
    from whytag_cli import write_clips  # tests/reliability is on sys.path while its tests run

    folder = tmp_path / "clips"
    write_clips(folder)
    return folder


@pytest.fixture
def not_root():
    """Skip where file permissions do not bind (root reads everything)."""
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("running as root: file permissions cannot be withheld from this user")


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def engine(request, tmp_path_factory):
    """(kind, store URL) of a fresh server for the module's tests: `oxigraph serve` with the union default graph
    (as docs/scale.md starts it), then Virtuoso 7; each stopped when the module's tests end."""
    from whytag_testing import sparql_server

    with sparql_server(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield request.param, url
