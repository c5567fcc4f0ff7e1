"""One store interface: nothing outside kg imports pyoxigraph, and inside kg only the store's own modules touch
the embedded engine (`.oxigraph`); everyone else goes through GraphStore's methods, which an endpoint has too."""

from __future__ import annotations

import re

import pytest
from whytag_testing import REPO

from whytag.kg.store import StoreError, open_store

STORE_FAMILY = {"kg/store.py", "kg/protocol.py", "kg/dump.py"}  # the embedded implementation
PYOXIGRAPH = re.compile(r"^\s*(import pyoxigraph|from pyoxigraph\b)", re.M)
ENGINE = re.compile(r"\.oxigraph\b")


def modules() -> dict[str, str]:
    """The package's modules (tests, bench and the virtual environment aside), by path, and their text."""
    return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in REPO.rglob("*.py")
            if not {"tests", "bench", ".venv"} & set(p.relative_to(REPO).parts)}


def test_nothing_outside_kg_imports_pyoxigraph_or_touches_the_engine():
    reaching = {path for path, text in modules().items()
                if not path.startswith("kg/") and (PYOXIGRAPH.search(text) or ENGINE.search(text))}
    assert sorted(reaching) == [], "go through GraphStore's methods (kg/store.py), not pyoxigraph"


def test_inside_kg_only_the_store_touches_the_engine():
    touching = {path for path, text in modules().items() if path.startswith("kg/") and ENGINE.search(text)}
    assert touching <= STORE_FAMILY, f"{sorted(touching - STORE_FAMILY)}: use GraphStore's methods instead"


def test_an_endpoint_store_says_what_only_the_embedded_one_can_do():
    """A store opened on an endpoint URL refuses the embedded engine's own work in one line, before any request."""
    store = open_store("http://127.0.0.1:9/sparql", read_only=True)  # nothing listens: no request may be sent
    with pytest.raises(StoreError, match=r"only an embedded store can answer SPARQL Protocol queries"):
        store.answer("ASK {}", lambda form: "json", 1.0, 10)
    with pytest.raises(StoreError, match=r"only an embedded store can dump"):
        store.dump(None, "nquads")
    with pytest.raises(StoreError, match=r"only an embedded store can read quads by pattern"):
        store.quads("urn:a")
    assert not store.embedded
    store.close()
