"""`whytag serve` under load: concurrent clients running typical queries and page loads against a catalog.

Usage: python bench/serve.py [--tracks 10000] [--clients 32] [--seconds 60] [--store DIR] [--cache-mb 0 64]
                             [--mix all|catalog] [--baseline DIR]
Builds (or reuses, with --store) a catalog of synthetic tracks: tempo, brightness, loudness and two
more features per track, 'energetic' and 'calm' learned with the boosted learner and applied. Then it
starts `whytag serve` as its own process and runs the clients (asyncio, one lean keep-alive HTTP/1.1
connection each) for the given time. With `--mix all` each client asks, track after track, in
turn: the five typical queries (count tracks, a track's tags, why a track has a tag, tracks with a tag best
first, features of a track), a track page, a catalog page, the four kinds of catalog page in turn (the first
page; a deep one, pages 100-199 of 200; sorted by title backwards; tagged calm and fast), and one of the pages
of a tag (calm's), a rule (calm's rules in turn) and a feature (the catalog's in turn);
with `--mix catalog` only the catalog pages. Each client has its own share of the catalog's tracks, so a
per-track request is asked once in a run: a client through its share stops (the run then ends early, and
says so); the catalog-wide ones (count tracks, tracks with a tag best first, the tag, rule and feature pages)
are the same few texts every time, and the catalog pages vary their page number with the track. One run per
`--cache-mb` (the server's kept answers; 0: none), side by side; with `--baseline DIR` (a folder whose `whytag`
package is another checkout, e.g. today's main) each run is made against that one's server too, and the ratio of their
latencies printed. Prints per request kind: count, errors, p50 and p99 latency; and the overall throughput. Then, for
the kinds asking a page or query again, its first asks (sent before any answer to the same text had come back: each
drew the page or awaited its draw) apart from the later ones, with their latencies. The clients start once the server
has answered the catalog's first page and then used no CPU for a second (what it reads and draws at its start done).
Goals (issues #15, #28): queries p99 < 100 ms, every kind of page < 150 ms, zero errors.
With `--alone N`, instead of the clients: one client asks each kind of request N times, one at a time (each query
for N tracks, N track pages, the tag, rule, feature and deep catalog pages first asked and then again, kept; a
server drawing first pages at its start has drawn the rule and feature pages' and the tag's first page already), and
the server's own CPU per request is printed by kind (its process's CPU clock, read from /proc before and after):
what each costs the server, the machinery around a page or a query included; three rounds, beside --baseline's in
turn, the least of each kept (the machine's other work only adds to it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import httpx
import numpy as np
import pandas as pd

QUERIES = {
    "count tracks": "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }",
    "a track's tags": "SELECT ?notation ?score WHERE {{ ?a wt:track <{track}> ; wt:tag/skos:notation ?notation ; "
                      "wt:score ?score }}",
    "why tagged": "SELECT ?contribution ?feature ?value WHERE {{ ?a wt:track <{track}> ; wt:tag/skos:notation "
                  "\"energetic\" ; wt:justifiedBy ?j . ?j wt:contribution ?contribution . "
                  "OPTIONAL {{ ?j wt:effect ?e . "
                  "?e wt:onFeature ?f . OPTIONAL {{ ?f rdfs:label ?feature }} OPTIONAL {{ <{track}> ?f ?value }} }} }} "
                  "ORDER BY DESC(ABS(?contribution))",  # kg/queries/why-tagged.rq's shape
    "tagged best first": "SELECT ?t ?score WHERE { ?a wt:tag/skos:notation \"calm\" ; wt:track ?t ; wt:score ?score ; "
                         "wt:predicted true } ORDER BY DESC(?score) LIMIT 20",
    "a track's features": "SELECT ?label ?value WHERE {{ <{track}> ?f ?value . ?f a wt:Feature ; rdfs:label ?label }}",
}

ACCEPT = "application/sparql-results+json, text/html"
ALONE_ROUNDS = 3  # --alone: each server started this many times, in turn; the least CPU of a kind is kept (what
# else the machine runs only adds to it)
CATALOG = {  # the catalog pages asked, by kind: {n} is the client's count of tracks so far (varies the page)
    "catalog first page": "/",
    "catalog deep page": "/?page={deep}",
    "catalog sorted": "/?sort=title&order=desc&page={near}",
    "catalog faceted": "/?tag=calm&level=TempoFast&page={near}",
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


class Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a client can be: httpx spent a whole core here
    sending 130 requests/s, so the clients, not the server, set the pace."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> int:
        """GET a path with its query string; read the whole answer; return its status."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\nAccept: {ACCEPT}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        if "content-length" not in headers:
            raise ValueError(f"{target}: an answer without Content-Length")
        await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            self.close()
        return int(lines[0].split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def client(host: str, port: int, requests: list[tuple[str, str]], until: float,
                 times: dict[str, list[float]], errors: dict[str, int],
                 sent: list[tuple[str, str, float, float]]) -> None:
    """Send the requests in turn until the time is up or the list runs out (asked again, they would be
    answered as kept), recording each one's latency or error, and each answered one's (kind, target, start, end)."""
    connection = Connection(host, port)
    for kind, target in requests:
        if time.monotonic() >= until:
            break
        started = time.perf_counter()
        try:
            ok = await asyncio.wait_for(connection.get(target), timeout=30) == 200
        except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError):
            connection.close()
            ok = False
        if ok:
            times[kind].append(time.perf_counter() - started)
            sent.append((kind, target, started, time.perf_counter()))
        else:
            errors[kind] += 1
    connection.close()


async def load(port: int, tracks: list[str], pages: dict[str, list[str]], clients: int, seconds: float,
               mix: str) -> dict[str, list[float]]:
    """Run the clients; print and return each request kind's latencies."""
    def requests(share: list[str]) -> list[tuple[str, str]]:
        asked = []
        for n, track in enumerate(share):
            if mix == "all":
                for kind, query in QUERIES.items():
                    asked.append((kind, "/sparql?" + urlencode({"query": query.format(track=track) if "{track}" in query
                                                                 else query})))
                asked.append(("track page", "/resource?" + urlencode({"iri": track})))
                kind = list(pages)[n % len(pages)]  # each kind in turn, each IRI of a kind in turn
                iris = pages[kind]
                asked.append((kind, "/resource?" + urlencode({"iri": iris[n // len(pages) % len(iris)]})))
            kinds = list(CATALOG.items()) if mix == "catalog" else [list(CATALOG.items())[n % len(CATALOG)]]
            asked += [(kind, target.format(deep=100 + n % 100, near=1 + n % 10)) for kind, target in kinds]
        return asked

    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    sent: list[tuple[str, str, float, float]] = []
    started = time.monotonic()
    await asyncio.gather(*(client("127.0.0.1", port, requests(tracks[c::clients]), started + seconds,
                                             times, errors, sent) for c in range(clients)))
    elapsed = time.monotonic() - started
    total = sum(len(t) for t in times.values())
    early = f" (of {seconds:g}: the clients were through the {len(tracks)} tracks; more --tracks for longer)"
    print(f"{clients} clients, {elapsed:.0f} s{early if elapsed < seconds - 1 else ''}: {total / elapsed:.0f} "
          f"requests/s, {sum(errors.values())} errors")
    print(f"{'request':<20} {'count':>7} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for kind in sorted(set(times) | set(errors)):
        p50, p99 = percentiles(times[kind])
        print(f"{kind:<20} {len(times[kind]):>7} {errors[kind]:>6} {p50:>7.1f} {p99:>7.1f}")
    first_asks(sent)
    return times


def first_asks(sent: list[tuple[str, str, float, float]]) -> None:
    """Print, for the kinds asking the same few pages again and again, which requests were first asks (sent before
    any answer to the same target had come back: each drew the page or waited on its drawing) and the latencies of
    those and of the rest (answered, in all likelihood, from what the server kept)."""
    answered: dict[str, float] = {}  # a target's first answer's end
    for _, target, _, ended in sent:
        answered[target] = min(ended, answered.get(target, ended))
    kinds = defaultdict(lambda: ([], []))
    for kind, target, begun, ended in sent:
        kinds[kind][begun >= answered[target]].append(ended - begun)
    print(f"{'request':<20} {'first asks':>10} {'p50 ms':>7} {'max ms':>7} {'later':>7} {'p50 ms':>7} {'p99 ms':>7}")
    for kind, (first, later) in sorted(kinds.items()):
        if later:  # asked again (a kind asked once a track has no later asks)
            (f50, _), (l50, l99) = percentiles(first), percentiles(later)
            print(f"{kind:<20} {len(first):>10} {f50:>7.1f} {max(first, default=float('nan')) * 1000:>7.1f} "
                  f"{len(later):>7} {l50:>7.1f} {l99:>7.1f}")


async def alone(port: int, pid: int, tracks: list[str], pages: dict[str, list[str]], n: int) -> dict[str, float]:
    """Each kind of request n times, one at a time (a page kind's first visits, then the same pages again): print and
    return the server's CPU ms per request, by kind."""
    def resource(iri: str, page: int = 1) -> str:
        return "/resource?" + urlencode({"iri": iri} | ({"page": page} if page > 1 else {}))

    asked = {kind: ["/sparql?" + urlencode({"query": query.format(track=t) if "{track}" in query else query})
                    for t in tracks[:n]] for kind, query in QUERIES.items()}
    asked["track page"] = [resource(t) for t in tracks[:n]]
    firsts = {"tag page": [resource(pages["tag page"][0], k) for k in range(1, min(n, 20) + 1)],  # its list's pages
              "rule page": [resource(r) for r in pages["rule page"][:n]],
              "feature page": [resource(f) for f in pages["feature page"][:n]],
              "catalog deep page": [CATALOG["catalog deep page"].format(deep=100 + k) for k in range(min(n, 100))]}
    for kind, targets in firsts.items():
        asked[f"{kind} (first)"], asked[f"{kind} (again)"] = targets, targets
    connection, cpu = Connection("127.0.0.1", port), {}
    print(f"{'request':<26} {'count':>5} {'errors':>6} {'CPU ms':>7}")
    for kind, targets in asked.items():
        before = _cpu_seconds(pid)
        errors = sum([await connection.get(target) != 200 for target in targets])
        cpu[kind] = (_cpu_seconds(pid) - before) * 1000 / len(targets)
        print(f"{kind:<26} {len(targets):>5} {errors:>6} {cpu[kind]:>7.2f}")
    connection.close()
    return cpu


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system, all its threads', gone ones too), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _await_idle(pid: int) -> None:
    """Return once the process has used no CPU for a second."""
    before = None
    while before != (now := _cpu_seconds(pid)):
        before = now
        time.sleep(1)


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in ms (NaN for none)."""
    lat = sorted(latencies) or [float("nan")]
    return statistics.median(lat) * 1000, lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--store", type=Path, help="Reuse (or build once into) this store directory.")
    parser.add_argument("--cache-mb", type=float, nargs="+", default=[0, 64],
                        help="Run once per value of the server's --cache-mb.")
    parser.add_argument("--mix", choices=["all", "catalog"], default="all",
                        help="Every kind of request in turn, or only catalog pages.")
    parser.add_argument("--baseline", type=Path,
                        help="A folder whose whytag package (another checkout) serves each run too, for the ratio.")
    parser.add_argument("--alone", type=int, metavar="N",
                        help="No load: the server's CPU ms a request of each kind, N of each, one at a time.")
    args = parser.parse_args()
    location = args.store or Path(tempfile.mkdtemp(prefix="whytag-bench-serve-")) / "graph"
    if not location.exists():
        build(location, args.tracks)
    from whytag.kg.store import open_store

    with open_store(location, create=False) as store:
        tracks = [str(r[0]) for r in store.select("SELECT ?t WHERE { ?t a wt:Track }").rows]
        tag = str(store.select("SELECT DISTINCT ?tag WHERE { ?a wt:tag ?tag . ?tag skos:notation 'calm' }")
                  .rows[0][0])
        pages = {"tag page": [tag],
                 "rule page": [str(r[0]) for r in store.select(
                     f"SELECT ?rule WHERE {{ ?rule a wt:Rule ; wt:forTag <{tag}> }} ORDER BY ?rule").rows],
                 "feature page": [str(r[0]) for r in store.select(
                     "SELECT DISTINCT ?f WHERE { ?f a wt:Feature . ?t ?f ?v } ORDER BY ?f").rows]}
    for cache_mb in args.cache_mb:
        runs: dict[str, dict] = {}
        for _ in range(ALONE_ROUNDS if args.alone else 1):
            for name, package in ([("baseline", args.baseline)] if args.baseline else []) + [("this", None)]:
                print(f"\n--cache-mb {cache_mb:g}, {name}{f' ({package})' if package else ''}")
                run = serve_and_load(location, cache_mb, tracks, pages, args, package)
                runs[name] = {kind: min(run[kind], runs.get(name, run)[kind]) for kind in run} if args.alone else run
        if args.baseline and args.alone:
            print(f"\n--cache-mb {cache_mb:g}: the server's CPU ms per request, the least of {ALONE_ROUNDS} rounds, "
                  f"baseline / this")
            for kind in runs["this"]:
                before, now = runs["baseline"][kind], runs["this"][kind]
                print(f"{kind:<26} {before:>7.2f} {now:>7.2f} {f'{before / now:5.1f}×' if now else '':>6}")
        elif args.baseline:
            print(f"\n--cache-mb {cache_mb:g}: baseline / this")
            print(f"{'request':<20} {'p50 ratio':>9} {'p99 ratio':>9}")
            for kind in sorted(runs["this"]):
                (b50, b99), (t50, t99) = percentiles(runs["baseline"].get(kind, [])), percentiles(runs["this"][kind])
                print(f"{kind:<20} {b50 / t50:>9.1f} {b99 / t99:>9.1f}")


def serve_and_load(location: Path, cache_mb: float, tracks: list[str], pages: dict[str, list[str]],
                   args: argparse.Namespace, package: Path | None) -> dict:
    """Start `whytag serve` on the store (from the `whytag` package in folder `package`, if given), wait until it
    answers and has read the catalog (its first page), run the clients, stop it; each request kind's latencies
    (with --alone: its CPU ms a request)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(package)} if package else None
    server = subprocess.Popen([sys.executable, "-m", "whytag", "--store", str(location), "serve", "--port", str(port),
                               "--query-timeout", "30", "--cache-mb", str(cache_mb)], env=env)
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
        started = time.perf_counter()
        httpx.get(f"{url}/", timeout=120)  # the catalog read once, before the clients (a visitor after the start)
        print(f"first catalog page: {time.perf_counter() - started:.2f} s")
        _await_idle(server.pid)  # the reads and draws at its start (the feature ranges, the first pages) done
        print(f"idle after its start: {time.perf_counter() - started:.2f} s")
        if args.alone:
            return asyncio.run(alone(port, server.pid, tracks, pages, args.alone))
        return asyncio.run(load(port, tracks, pages, args.clients, args.seconds, args.mix))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
