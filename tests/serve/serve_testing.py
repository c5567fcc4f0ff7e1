"""Helpers the server tests import: the tagged store's contents, the app over a store, a real server for it.

Kept out of tests/serve/conftest.py: `from conftest import …` finds whichever conftest module pytest imported
last, so it failed when tests/cli (or any folder with a conftest) was collected after tests/serve.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

# The shared app's time limit: far past any query the tests ask of it, so that an ordinary query is answered
# however loaded the machine (a query stops at WALL_FACTOR × the limit on the clock: 5 s with 0.5 s, which a
# starved CI box once came near); the tests of the limit itself build an app with a small one (`make_app`).
PATIENT = 30.0
# How long a test waits for what another thread or process must do (a bound for a hung run, never a pace).
HUNG = 120.0


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


def make_app(store, timeout: float = PATIENT, first_pages: bool = False):
    """The app with the update token 's3cret', a large cap and the time limit given (a patient one by default); it
    draws no first pages unless asked (tests counting a page's draws would count those)."""
    from whytag.serve.app import Settings, create_app
    from whytag.serve.sparql import Limits

    return create_app(store, Settings(Limits(timeout=timeout, max_results=10**9), update_token="s3cret",
                                      first_pages=first_pages))


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
    deadline = time.monotonic() + HUNG
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail(f"uvicorn did not start within {HUNG:g} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=HUNG)
