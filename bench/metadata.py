"""Catalog metadata: what names cost at ingest, in the store and on the pages, and how fast a name finds a track.

Usage: python bench/metadata.py [--tracks 10000] [--files 200] [--baseline DIR]
1. Ingest: `--files` real FLAC files (0.5 s each, libsndfile) with a full set of tags (title, artist with a
   MusicBrainz id, album, number, date, genre, ISRC, recording id) beside the same audio without tags:
   files/s of each (the faster of two runs in turn) and their ratio, and the quads a track's names add.
2. A catalog of `--tracks` feature-table tracks, then `ingest --metadata`'s import of a table naming them all
   (500 artists, 1,000 albums): tracks/s and quads per track.
3. The catalog page (first page; a search by row id; a search by name) and a track page's heading, before and
   after the names, median of 5 with the kept answers forgotten each time; with `--baseline DIR` (a folder whose
   `whytag` package is the code to compare, e.g. a worktree of main) the same pages by that code, in the same run.
4. `find_track` by "Artist - Title", by title alone, and by a name typed in other case (the scan of every title).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPEATS = 5


def timed(work, repeats: int = REPEATS) -> float:
    """Median wall seconds of `work()`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quads(store) -> int:
    return int(store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows[0][0])


def write_files(folder: Path, n: int, tagged: bool) -> None:
    """n FLAC files of distinct tones; with `tagged`, the tags a MusicBrainz Picard user's files carry."""
    import soundfile as sf
    from mutagen.flac import FLAC

    folder.mkdir(parents=True)
    t = np.arange(11025) / 22050
    for i in range(n):
        path = folder / f"{i:05d}.flac"
        sf.write(path, (0.3 * np.sin(2 * np.pi * (200 + i) * t)).astype(np.float32), 22050)
        if tagged:
            audio = FLAC(path)
            audio.update({"title": f"Song {i}", "artist": f"Artist {i % 50}", "album": f"Album {i % 100}",
                          "tracknumber": str(i % 12 + 1), "date": "1999-05-01", "genre": "Jazz",
                          "isrc": f"USABC99{i:05d}", "musicbrainz_trackid": f"00000000-0000-4000-8000-{i:012d}",
                          "musicbrainz_artistid": f"00000000-0000-4000-9000-{i % 50:012d}"})
            audio.save()


def ingest_phase(folder: Path, n: int) -> None:
    from whytag.kg.ingest import ingest
    from whytag.kg.store import open_store

    results: dict[bool, tuple[float, float]] = {}
    write_files(folder / "warm-up", 5, True)  # imports, the first store's creation: not in either timing
    with open_store(folder / "graph-warm-up") as store:
        ingest(store, [folder / "warm-up"], progress=False)
    for tagged in (False, True):
        write_files(folder / ("tagged" if tagged else "plain"), n, tagged)
    for run in range(2):  # each twice, in turn, the faster kept: the machine is shared
        for tagged in (False, True):
            with open_store(folder / f"graph-{tagged}-{run}") as store:
                before = quads(store)
                start = time.perf_counter()
                report = ingest(store, [folder / ("tagged" if tagged else "plain")], progress=False)
                seconds = time.perf_counter() - start
                assert len(report.tracks) == n and not report.failures and not report.notes
                rate = (n / seconds, (quads(store) - before) / n)
                results[tagged] = max(results.get(tagged, rate), rate)
    print(f"ingest {n} FLAC files: without tags {results[False][0]:.0f} files/s, {results[False][1]:.1f} quads "
          f"a track; with tags {results[True][0]:.0f} files/s, {results[True][1]:.1f} quads a track "
          f"(ratio {results[True][0] / results[False][0]:.2f})")


def build_catalog(location: Path, n: int) -> list[str]:
    """n feature-table tracks (tempo, brightness, loudness); their IRIs."""
    from whytag.kg.store import open_store
    from whytag.kg.tables import import_features

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"BPM": rng.uniform(60, 180, n), "Spectral-Centroid": rng.uniform(500, 4000, n),
                          "Loudness": rng.uniform(0, 1, n)}, index=[f"r{i}" for i in range(n)])
    with open_store(location) as store:
        return [str(t) for t in import_features(store, frame, "bench")]


def name_catalog(location: Path, folder: Path, n: int) -> None:
    from whytag.kg.metadata_table import import_metadata
    from whytag.kg.store import open_store

    table = folder / "names.csv"
    pd.DataFrame({"track": [f"r{i}" for i in range(n)], "title": [f"Song {i}" for i in range(n)],
                  "artist": [f"Artist {i % 500}" for i in range(n)], "album": [f"Album {i % 1000}" for i in range(n)],
                  "tracknumber": [i % 12 + 1 for i in range(n)], "date": ["1999"] * n}).to_csv(table, index=False)
    with open_store(location) as store:
        before = quads(store)
        start = time.perf_counter()
        report = import_metadata(store, table)
        seconds = time.perf_counter() - start
        assert report.written == n and not report.failures
        print(f"ingest --metadata of {n} rows: {n / seconds:.0f} tracks/s ({seconds:.1f} s), "
              f"{(quads(store) - before) / n:.1f} quads a track (artists and albums included)")


def pages_phase(location: str, track: str, name: str) -> None:
    """Page timings with the `whytag` importable here, as one JSON line (run once per code version). The catalog
    of serve/catalog.py (2026-12-07) pages from an index read once, timed apart ("catalog read"), with its searches'
    matches forgotten each time; an earlier one (a baseline) reads each page through `Reader.catalog`."""
    from whytag.kg.store import open_store
    from whytag.serve.pages import Reader

    with open_store(location, read_only=True) as store:
        reader = Reader(store, "urn:whytag:")

        def fresh(work):
            def run():
                reader.changed()
                work()
            return timed(run)

        try:
            from whytag.serve.catalog import Catalog, View, read_index
        except ImportError:  # a baseline from before serve/catalog.py
            def listing(text: str) -> list[str]:
                return [str(r["label"]) for r in reader.catalog("", text, 0)["tracks"].rows]
            read = {}
        else:
            catalog = Catalog(store, reader.href)
            read = {"catalog read": timed(lambda: read_index(store), 1)}
            catalog.index()

            def listing(text: str) -> list[str]:
                catalog.texts.clear()
                return [r["title"] for r in catalog.page(View(text=text))["rows"]]

        print(json.dumps({
            **read,
            "catalog page": fresh(lambda: listing("")),
            "search a row id": fresh(lambda: listing(track.rsplit("/", 1)[-1])),
            "search a name": fresh(lambda: listing(name.lower())),
            "track heading": fresh(lambda: reader.heading(track)),
            "first rows": listing("")[:2],
        }))


def pages(location: Path, track: str, name: str, baseline: str | None, when: str) -> None:
    """pages_phase by this code and, with a baseline, by that code, side by side."""
    runs = {"this code": os.environ.get("PYTHONPATH")}
    if baseline:
        runs["baseline"] = baseline
    for name, path in runs.items():
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | ({"PYTHONPATH": path} if path else {})
        out = subprocess.run([sys.executable, __file__, "--pages", str(location), track, name], env=env, check=True,
                             capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        times = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in result.items() if k != "first rows")
        print(f"pages {when}, {name}: {times}; first rows {result['first rows']}")


def find_phase(location: Path, name: str) -> None:
    from whytag.kg.store import open_store
    from whytag.kg.tracks import find_track

    with open_store(location, read_only=True) as store:
        for text in (name, name.split(" - ")[1], name.lower()):
            seconds = timed(lambda text=text: find_track(store, text))
            print(f"find_track({text!r}): {seconds * 1000:.1f} ms → {find_track(store, text)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--baseline", help="a folder whose `whytag` package is the code to compare the pages with")
    parser.add_argument("--pages", nargs=3, metavar=("STORE", "TRACK", "NAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages:
        pages_phase(*args.pages)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ingest_phase(folder / "files", args.files)
        location = folder / "catalog"
        tracks = build_catalog(location, args.tracks)
        k = min(1207, args.tracks - 1)  # a track in the middle of the catalog
        name = f"Artist {k % 500} - Song {k}"
        pages(location, tracks[k], name, args.baseline, "before names")
        name_catalog(location, folder, args.tracks)
        pages(location, tracks[k], name, args.baseline, "after names")
        find_phase(location, name)


if __name__ == "__main__":
    main()
