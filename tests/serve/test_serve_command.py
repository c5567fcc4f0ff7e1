"""`whytag serve` as a real process: it answers over HTTP, read commands open its store beside it, and a
writing command that finds the store locked says where the server is; commands work through it with
--store URL, writing ones with the token too."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
from serve_testing import HUNG


def test_serve_process_and_commands_pointed_at_it(tmp_path, audio_folder):
    from whytag.kg.store import open_store, serving_note
    from whytag.kg.tables import import_features

    location = tmp_path / "graph"
    with open_store(location) as store:
        import_features(store, pd.DataFrame({"BPM": np.linspace(60, 180, 5)}, index=list("abcde")), "five")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    whytag = [sys.executable, "-m", "whytag", "--store"]
    server = subprocess.Popen(whytag + [str(location), "serve", "--port", str(port), "--update-token", "t0k"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + HUNG
        while True:
            try:
                if httpx.get(url + "sparql", params={"query": "ASK {}"}, timeout=HUNG).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, f"whytag serve did not answer within {HUNG:g} s"
            time.sleep(0.2)
        said = []
        for line in server.stdout:  # the catalog is read in the background at the start: wait for its end
            said.append(line)
            if "catalog read:" in line:
                break
        assert serving_note(location).read_text().strip() == url
        beside = subprocess.run(whytag + [str(location), "query", "--format", "csv",
                                          "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }"],
                                capture_output=True, text=True)
        assert beside.returncode == 0, beside.stderr  # a reader opens the store read-only, beside the server
        assert beside.stdout.split() == ["n", "5"]
        locked = subprocess.run(whytag + [str(location), "ingest", "--quiet", str(audio_folder)],
                                capture_output=True, text=True)
        assert locked.returncode != 0
        assert f"held by `whytag serve` at {url}" in locked.stderr and len(locked.stderr.strip().splitlines()) == 1
        remote = subprocess.run(whytag + [url + "sparql", "query", "--format", "csv",
                                          "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }"],
                                capture_output=True, text=True)
        assert remote.returncode == 0, remote.stderr
        assert remote.stdout.split() == ["n", "5"]
        streamed = subprocess.run(whytag + [url + "sparql", "query", "--format", "jsonl", "--max-results", "3",
                                            "SELECT ?t WHERE { ?t a wt:Track }"], capture_output=True, text=True)
        assert streamed.returncode == 1 and len(streamed.stdout.splitlines()) == 3  # read as it came, then capped
        assert "more than 3 rows" in streamed.stderr
        ingest = [url + "sparql", "--store-token", "t0k", "ingest", "--quiet", str(audio_folder)]
        ingested = subprocess.run(whytag + ingest, capture_output=True, text=True)
        assert ingested.stdout.startswith("ingested 3 file(s) as 3 track(s); 2 failed"), ingested.stderr
        count = httpx.post(url + "sparql", data={"query": "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a wt:Track }"},
                           headers={"Accept": "text/csv"}, timeout=HUNG)
        assert count.text.split() == ["n", "8"]
    finally:
        server.terminate()
        server.wait(timeout=HUNG)
    assert not serving_note(location).exists()
    said = "".join(said)  # the catalog read at the start, in the background, said as it starts and ends
    assert "reading the catalog for its pages" in said and re.search(r"catalog read: 5 tracks in [0-9.]+ s", said)
