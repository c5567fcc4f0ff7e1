"""`whytag serve` under load: concurrent clients running typical queries and page loads against a catalog.

Usage: python bench/serve.py [--tracks 10000] [--clients 32] [--seconds 60] [--store DIR]
Builds (or reuses, with --store) a catalog of synthetic tracks: tempo, brightness, loudness and two
more features per track, 'energetic' and 'calm' learned with the boosted learner and applied. Then it
starts `whytag serve` as its own process and runs the clients (httpx, asyncio) for the given time,
each picking the next of seven requests in turn: the five typical queries (count tracks, a track's
tags, why a track has a tag, tracks with a tag best first, features of a track) and two pages (a
track page, a tag page). Prints per request kind: count, errors, p50 and p99 latency; and the
overall throughput. Goals (issue #15): queries p99 < 100 ms, a track page < 150 ms, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

QUERIES = {
    "count tracks": "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }",
    "a track's tags": "SELECT ?notation ?score WHERE {{ ?a wt:track <{track}> ; wt:tag/skos:notation ?notation ; "
                      "wt:score ?score }}",
    "why tagged": "SELECT ?contribution ?feature ?value WHERE {{ ?a wt:track <{track}> ; wt:tag/skos:notation "
                  "\"energetic\" ; wt:justifiedBy ?j . ?j wt:contribution ?contribution . OPTIONAL {{ ?j wt:effect ?e . "
                  "?e wt:onFeature ?f . OPTIONAL {{ ?f rdfs:label ?feature }} OPTIONAL {{ ?j wt:fromObservation ?o . "
                  "?o wt:value ?value }} }} }} ORDER BY DESC(ABS(?contribution))",  # docs/queries/why-tagged.rq's shape
    "tagged best first": "SELECT ?t ?score WHERE { ?a wt:tag/skos:notation \"calm\" ; wt:track ?t ; wt:score ?score ; "
                         "wt:predicted true } ORDER BY DESC(?score) LIMIT 20",
    "a track's features": "SELECT ?label ?value WHERE {{ ?o wt:ofTrack <{track}> ; wt:feature/rdfs:label ?label ; "
                          "wt:value ?value }}",
}


def build(location: Path, n: int) -> None:
    """A catalog of n synthetic tracks, tagged by a learned model."""
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.training import learn

    rng = np.random.default_rng(0)
    ids = [f"t{i}" for i in range(n)]
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, n), "Spectral-Centroid": rng.uniform(500, 4000, n),
                          "Integrated-Loudness": rng.uniform(-40, -5, n), "dom": rng.uniform(0, 0.5, n),
                          "Onset-Rate": rng.uniform(0.5, 8, n)}, index=ids)
    labels = pd.DataFrame({"energetic": (frame["BPM"] + 10 * frame["Onset-Rate"] > 160).astype(int),
                           "calm": (frame["Spectral-Centroid"] < 1800).astype(int)}, index=ids)
    started = time.perf_counter()
    location.parent.mkdir(parents=True, exist_ok=True)
    with open_store(location) as store:
        tracks = import_features(store, frame, "bench")
        learn(store, labels, dict(zip(ids, tracks)), "boosted", "bench", "bench-moods", "synthetic")
        apply_model(store, "bench")
    print(f"built {n} tagged tracks in {time.perf_counter() - started:.0f} s at {location}", file=sys.stderr)


async def client(http: httpx.AsyncClient, requests: list[tuple[str, str, dict]], offset: int, until: float,
                 times: dict[str, list[float]], errors: dict[str, int]) -> None:
    """Send requests in turn until the time is up, recording each one's latency or error."""
    i = offset
    while time.monotonic() < until:
        kind, path, params = requests[i % len(requests)]
        i += 1
        started = time.perf_counter()
        try:
            response = await http.get(path, params=params)
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            times[kind].append(time.perf_counter() - started)
        else:
            errors[kind] += 1


async def load(url: str, tracks: list[str], tag_page: str, clients: int, seconds: float) -> None:
    requests = []
    for n, track in enumerate(tracks):
        for kind, query in QUERIES.items():
            requests.append((kind, "/sparql", {"query": query.format(track=track) if "{track}" in query else query}))
        requests.append(("track page", "/resource", {"iri": track}))
        if n % 4 == 0:
            requests.append(("tag page", "/resource", {"iri": tag_page}))
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits,
                                 headers={"Accept": "application/sparql-results+json, text/html"}) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(http, requests, 7 * c, started + seconds, times, errors) for c in range(clients)))
        elapsed = time.monotonic() - started
    total = sum(len(t) for t in times.values())
    print(f"{clients} clients, {elapsed:.0f} s: {total / elapsed:.0f} requests/s, {sum(errors.values())} errors")
    print(f"{'request':<20} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for kind in sorted(set(times) | set(errors)):
        lat = sorted(times[kind]) or [float("nan")]
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print(f"{kind:<20} {len(times[kind]):>7} {errors[kind]:>6} {statistics.median(lat) * 1000:>7.1f} {p99 * 1000:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--store", type=Path, help="Reuse (or build once into) this store directory.")
    args = parser.parse_args()
    location = args.store or Path(tempfile.mkdtemp(prefix="whytag-bench-serve-")) / "graph"
    if not location.exists():
        build(location, args.tracks)
    from whytag.kg.store import open_store

    with open_store(location, create=False) as store:
        tracks = [str(r[0]) for r in store.select("SELECT ?t WHERE { ?t a wt:Track } LIMIT 200").rows]
        tag_page = str(store.select("SELECT ?tag WHERE { ?tag skos:notation 'calm' } LIMIT 1").rows[0][0])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "whytag", "--store", str(location), "serve", "--port", str(port),
                               "--query-timeout", "30"])
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("whytag serve did not start")
                time.sleep(0.2)
        asyncio.run(load(url, tracks, tag_page, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
