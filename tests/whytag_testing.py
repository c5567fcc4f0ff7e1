"""Helpers the test modules import: the repository, the paper's feature tables, HermiT runs.

Kept out of conftest.py because tests/serve has a conftest of its own, and `from conftest import …`
would then find whichever conftest module pytest imported last.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from whytag.datasets import DatasetError
from whytag.datasets.paper_tables import table_path

REPO = Path(__file__).resolve().parents[1]


def shared_table(name: str) -> Path:
    """Path of one of the paper's tables (whytag.datasets.paper_tables finds them), or skip the test saying why."""
    try:
        return table_path(name)
    except DatasetError as err:
        pytest.skip(str(err))


def hermit_world(owlready2, graph, folder: Path):
    """Run HermiT over `graph`; the world holds the inferred classes. Raises if inconsistent."""
    path = folder / "hermit-input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world
