"""A real store for the server tests: a small feature table imported, rules learned and tags applied."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("starlette", reason="the 'serve' extra (starlette, uvicorn, jinja2) is not installed")


@pytest.fixture(scope="session")
def tagged_store(tmp_path_factory):
    """40 tracks with tempo, brightness and a third feature; 'energetic' and 'calm' learned and applied."""
    from whytag.kg.store import open_store

    with open_store(tmp_path_factory.mktemp("serve") / "graph") as store:
        fill_tagged(store)
        yield store


def fill_tagged(store, n: int = 40) -> None:
    """Import the `n` tracks t0…t39 (by default) into `store` from a feature table, learn 'energetic' and 'calm'
    as the model set 'toy' and apply it."""
    from whytag.kg.tables import import_features
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.training import learn

    rng = np.random.default_rng(7)
    ids = [f"t{i}" for i in range(n)]
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, n), "Spectral-Centroid": rng.uniform(500, 4000, n),
                          "dom": rng.uniform(0, 0.5, n)}, index=ids)
    labels = pd.DataFrame({"energetic": (frame["BPM"] > 110).astype(int),
                           "calm": (frame["Spectral-Centroid"] < 1800).astype(int)}, index=ids)
    tracks = import_features(store, frame, "synthetic")
    learn(store, labels, dict(zip(ids, tracks)), "boosted", "toy", "toy-moods", "synthetic")
    apply_model(store, "toy")


def make_app(store):
    """The app with a short time limit and a large cap, so a runaway query meets the time limit."""
    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    return create_app(store, Settings(Limits(timeout=0.5, max_results=10**9), update_token="s3cret"))


@pytest.fixture(scope="session")
def client(tagged_store):
    from starlette.testclient import TestClient

    with TestClient(make_app(tagged_store)) as test_client:
        yield test_client


@contextmanager
def serving(store, app=None):
    """The app over `store` (or the `app` given) behind a real uvicorn server on a free local port (its own app:
    one event loop per app); yields its URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app or make_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve():
    """`with serve(store) as url:` — a module's own store behind a real server (see `serving`)."""
    return serving


@pytest.fixture(scope="session")
def server_url(tagged_store):
    """The tagged store behind a real uvicorn server."""
    with serving(tagged_store) as url:
        yield url
