"""`whytag serve` under a burst: N clients at once, each sending one query of about half a second of CPU.

Usage: python bench/serve_queue.py [--before DIR] [--clients 200] [--query-seconds 0.5]
The query counts a cross product of two VALUES blocks (no stored data), sized here so that one run of it
alone takes about --query-seconds; each client's copy differs by a comment, and the server keeps no
answers (--cache-mb 0), so every one runs. The server is `whytag serve` with its default --query-timeout
(10 s) on an empty store, as its own process; with --before DIR (a checkout of an older whytag) that
one's server gets the same burst after. Prints per server the answers by HTTP status and the seconds
the burst took. Issue #29: 195 of 200 got 503 when time queued for a query thread counted toward the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx


def cross_product(side: int, tag: int) -> str:
    """A query counting side² rows made by two VALUES blocks; `tag` makes its text unique."""
    numbers = " ".join(map(str, range(side)))
    return f"# {tag}\nSELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {numbers} }} VALUES ?b {{ {numbers} }} }}"


def calibrate(store: Path, seconds: float) -> int:
    """The VALUES size whose query takes about `seconds` here, timed in this process on the store."""
    from whytag.kg.store import open_store

    with open_store(store, read_only=True) as graph:
        side = 100
        while True:
            start = time.perf_counter()
            graph.rows(cross_product(side, 0))
            took = time.perf_counter() - start
            if took >= seconds / 4:
                return int(side * math.sqrt(seconds / took))
            side *= 2


def serve(store: Path, code: Path | None, port: int, shim: Path) -> subprocess.Popen:
    """`whytag serve` on `port` with `code` (a checkout) as the whytag package, or this one."""
    env = dict(os.environ)
    if code is not None:
        (shim / "whytag").symlink_to(code.resolve())
        env["PYTHONPATH"] = str(shim)
    return subprocess.Popen([sys.executable, "-m", "whytag", "--store", str(store), "serve", "--port", str(port),
                             "--cache-mb", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def burst(url: str, side: int, clients: int) -> tuple[Counter, float]:
    """Send `clients` queries at once; their answers' statuses and the seconds until the last came back."""
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        start = time.perf_counter()
        answers = await asyncio.gather(*(client.post(url, data={"query": cross_product(side, i)})
                                         for i in range(1, clients + 1)))
        return Counter(a.status_code for a in answers), time.perf_counter() - start


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.post(url, data={"query": "ASK {}"}, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit("whytag serve did not come up within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="checkout of an older whytag, served second")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--query-seconds", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "graph"
        subprocess.run([sys.executable, "-m", "whytag", "--store", str(store), "--create", "query", "ASK {}"],
                       check=True, capture_output=True)
        side = calibrate(store, args.query_seconds)
        print(f"{args.clients} clients at once, each a {side}² cross product (~{args.query_seconds} s alone)")
        for name, code in [("this checkout", None)] + ([("before", args.before)] if args.before else []):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            shim = Path(folder) / f"shim-{port}"
            shim.mkdir()
            process = serve(store, code, port, shim)
            try:
                url = f"http://127.0.0.1:{port}/sparql"
                wait_until_up(url, process)
                statuses, took = asyncio.run(burst(url, side, args.clients))
            finally:
                process.terminate()
                process.wait(timeout=60)
            print(f"{name}: {dict(sorted(statuses.items()))} in {took:.1f} s", flush=True)


if __name__ == "__main__":
    main()
