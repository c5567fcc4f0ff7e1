"""A real store for the server tests: a small feature table imported, rules learned and tags applied."""

from __future__ import annotations

import pytest
from serve_testing import fill_tagged, make_app, serving

pytest.importorskip("starlette", reason="the 'serve' extra (starlette, uvicorn, jinja2) is not installed")


@pytest.fixture(scope="session")
def tagged_store(tmp_path_factory):
    """40 tracks with tempo, brightness and a third feature; 'energetic' and 'calm' learned and applied."""
    from whytag.kg.store import open_store

    with open_store(tmp_path_factory.mktemp("serve") / "graph") as store:
        fill_tagged(store)
        yield store


@pytest.fixture(scope="session")
def client(tagged_store):
    from starlette.testclient import TestClient

    with TestClient(make_app(tagged_store)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def serve():
    """`with serve(store) as url:` — a module's own store behind a real server (see `serving`)."""
    return serving


@pytest.fixture(scope="session")
def server_url(tagged_store):
    """The tagged store behind a real uvicorn server."""
    with serving(tagged_store) as url:
        yield url
