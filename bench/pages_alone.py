"""What each kind of page costs drawn alone (no other client), in the server's own process: the track page, a
tag, rule and feature page the first time and again, the catalog's pages, and the catalog's first read.

Usage: python bench/pages_alone.py STORE [--tracks 20]
Opens the store as `whytag serve` does (the app over it, no kept pages: `--cache-mb 0`, so "again" draws the page
again from the reader's kept lists) and asks each page in turn through Starlette's test client, one at a time,
after the catalog's index and the feature ranges are read (their read is timed apart). Run it once per checkout
(PYTHONPATH choosing which) for a before/after beside bench/serve.py's numbers under load: a page's cost alone
is what 32 clients queue behind.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from urllib.parse import urlencode


def timed(client, target: str) -> float:
    """One GET's milliseconds; fails loudly on anything but 200 (a cost of an error page measures nothing)."""
    started = time.perf_counter()
    response = client.get(target, headers={"Accept": "text/html"})
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{target}: {response.status_code} {response.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--tracks", type=int, default=20, help="Track pages drawn (each a different track).")
    args = parser.parse_args()
    from starlette.testclient import TestClient

    from whytag.kg.store import open_store
    from whytag.serve.app import Settings, create_app

    with open_store(args.store, create=False) as store:
        tracks = [str(r[0]) for r in store.select("SELECT ?t WHERE { ?t a wt:Track } ORDER BY ?t").rows]
        tag = str(store.select("SELECT DISTINCT ?tag WHERE { ?a wt:tag ?tag . ?tag skos:notation 'calm' }").rows[0][0])
        rules = [str(r[0]) for r in store.select(
            f"SELECT ?rule WHERE {{ ?rule a wt:Rule ; wt:forTag <{tag}> }} ORDER BY ?rule LIMIT 3").rows]
        features = [str(r[0]) for r in store.select(
            "SELECT DISTINCT ?f WHERE { ?f a wt:Feature . ?t ?f ?v } ORDER BY ?f LIMIT 3").rows]
        started = time.perf_counter()
        app = create_app(store, Settings(cache_mb=0))
        with TestClient(app) as client:
            catalog = timed(client, "/")  # waits for the index the app began reading at its start
            print(f"app made and the catalog's first page: {(time.perf_counter() - started) * 1000:.0f} ms "
                  f"(the page itself {catalog:.0f} ms)")
            reader = getattr(app.state, "reader", None)
            while reader is not None and not reader.ranged():
                time.sleep(0.05)
            if reader is None:  # an older checkout's app does not say: give the background read its time
                time.sleep(10)
            print(f"feature ranges read: {(time.perf_counter() - started) * 1000:.0f} ms after the start")
            page = {"track page": [timed(client, "/resource?" + urlencode({"iri": t}))
                                   for t in tracks[1:1 + args.tracks]]}
            for kind, iris in (("tag page", [tag]), ("rule page", rules), ("feature page", features)):
                page[kind + " (first)"] = [timed(client, "/resource?" + urlencode({"iri": iri})) for iri in iris]
                page[kind + " (again)"] = [timed(client, "/resource?" + urlencode({"iri": iri})) for iri in iris]
            page["catalog deep page"] = [timed(client, f"/?page={n}") for n in range(100, 110)]
            page["catalog sorted"] = [timed(client, f"/?sort=title&order=desc&page={n}") for n in range(1, 11)]
            page["catalog faceted"] = [timed(client, f"/?tag=calm&level=TempoFast&page={n}") for n in range(1, 4)]
    print(f"{'page':<34} {'count':>5} {'median ms':>9} {'max ms':>7}")
    for kind, times in page.items():
        print(f"{kind:<34} {len(times):>5} {statistics.median(times):>9.1f} {max(times):>7.1f}")


if __name__ == "__main__":
    main()
