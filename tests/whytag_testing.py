"""Helpers the test modules import: the repository, the peer's tables in ../shared/data, HermiT runs.

Kept out of conftest.py because tests/serve has a conftest of its own, and `from conftest import …`
would then find whichever conftest module pytest imported last.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_table(name: str) -> Path:
    """Path of a table in ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared data folder is not beside this checkout)")
    return path


def hermit_world(owlready2, graph, folder: Path):
    """Run HermiT over `graph`; the world holds the inferred classes. Raises if inconsistent."""
    path = folder / "hermit-input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world
