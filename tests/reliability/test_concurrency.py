"""Readers beside a writer see whole transactions; a second writer waits (saying so) or stops with one line;
a store the user may only read can still be queried."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from whytag_cli import assert_one_clear_line, run_whytag

from whytag.kg.store import open_store

TRIPLES_PER_GRAPH = 20
GRAPHS = 10

WRITER = textwrap.dedent("""
    import sys, time
    from rdflib import Literal, URIRef
    from whytag.kg.store import open_store
    store_path, seconds, per_graph, graphs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open_store(store_path) as store:
        print("writing", flush=True)
        end, round_ = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            round_ += 1
            batch = {}
            for g in range(graphs):
                graph = URIRef(f"urn:test:g{g}")
                batch[graph] = [(graph, URIRef(f"urn:test:p{k}"), Literal(round_)) for k in range(per_graph)]
            store.replace_graphs(batch)  # one transaction: every graph moves to the next round at once
            time.sleep(0.2)  # a writer's pace: each read-only open replays what it wrote since
        print("rounds", round_, flush=True)
""")


def start_writer(store: Path, seconds: float) -> subprocess.Popen:
    """A process holding the store for writing and rewriting it in whole rounds for `seconds`."""
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(seconds), str(TRIPLES_PER_GRAPH),
                                str(GRAPHS)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    return process


def rounds_seen(store: Path) -> set[int]:
    """The rounds a read-only reader sees in the test graphs; asserts the snapshot is whole."""
    with open_store(store, read_only=True) as reader:
        rows = reader.select("SELECT ?g (COUNT(*) AS ?n) (MIN(?r) AS ?lo) (MAX(?r) AS ?hi) "
                             "WHERE { GRAPH ?g { ?s ?p ?r } FILTER(STRSTARTS(STR(?g), 'urn:test:')) } GROUP BY ?g").rows
    assert len(rows) in (0, GRAPHS), f"{len(rows)} of {GRAPHS} graphs visible"
    assert all(int(n) == TRIPLES_PER_GRAPH for _, n, _, _ in rows), "a graph is partly written"
    seen = {int(lo) for _, _, lo, _ in rows} | {int(hi) for _, _, _, hi in rows}
    assert len(seen) <= 1, f"graphs from different rounds in one snapshot: {seen}"
    return seen


def test_readers_see_whole_transactions_while_a_writer_runs(tmp_path):
    store = tmp_path / "graph"
    writer = start_writer(store, seconds=10)
    seen, readers = set(), 0
    cli = run_whytag("query", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                     "--format", "csv", store=store)
    assert cli.returncode == 0, cli.stderr  # the command line reads beside the writer too
    while writer.poll() is None:
        seen |= rounds_seen(store)
        readers += 1
    assert writer.returncode == 0
    total = int(writer.stdout.read().split()[-1])
    assert readers >= 3 and len(seen) >= 2, (readers, seen)  # they overlapped the writer and saw it progress
    assert rounds_seen(store) == {total}


def test_a_second_writer_waits_then_writes(tmp_path, clips):
    store = tmp_path / "graph"
    writer = start_writer(store, seconds=3)
    result = run_whytag("--wait", "60", "ingest", "--quiet", str(clips), store=store)
    writer.wait()
    assert result.returncode == 0, result.stderr
    assert "waiting up to 60 s for another whytag command" in result.stderr
    assert "ingested 3 file(s) as 3 track(s)" in result.stdout
    assert run_whytag("validate", store=store).returncode == 0


def test_a_writer_that_may_not_wait_stops_with_one_line(tmp_path, clips):
    store = tmp_path / "graph"
    writer = start_writer(store, seconds=4)
    started = time.monotonic()
    result = run_whytag("--wait", "0", "ingest", "--quiet", str(clips), store=store)
    assert time.monotonic() - started < 4
    writer.wait()
    assert_one_clear_line(result, "in use by another whytag command", "--wait")


def test_two_writing_commands_at_once_both_land(tmp_path, clips):
    store = tmp_path / "graph"
    assert run_whytag("ingest", "--quiet", str(clips / "clip0.wav"), store=store).returncode == 0
    commands = [subprocess.Popen([sys.executable, "-m", "whytag", "--store", str(store), "ingest", "--quiet",
                                  str(clips / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for name in ("clip1.wav", "clip2.wav")]
    for command in commands:
        out, err = command.communicate(timeout=300)
        assert command.returncode == 0, err
    count = run_whytag("query", "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }", "--format", "csv", store=store)
    assert count.stdout.split() == ["n", "3"]
    assert run_whytag("validate", store=store).returncode == 0


def test_a_store_the_user_may_only_read_can_be_queried(tmp_path, clips, not_root):
    store = tmp_path / "graph"
    assert run_whytag("ingest", "--quiet", str(clips), store=store).returncode == 0
    paths = [store, *store.rglob("*")]
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        count = run_whytag("query", "SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }", "--format", "csv",
                           store=store)
        assert count.returncode == 0 and count.stdout.split() == ["n", "3"], count.stderr
        assert_one_clear_line(run_whytag("ingest", str(clips), store=store), "cannot open the store for writing")
    finally:
        for path in paths:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_reading_commands_never_write_into_the_store(tmp_path, clips):
    """What lets a read-only folder be queried, checked where permissions cannot be withheld (as root)."""
    store = tmp_path / "graph"
    assert run_whytag("ingest", "--quiet", str(clips), store=store).returncode == 0

    def files() -> dict[str, tuple[int, int]]:
        return {str(p.relative_to(store)): (p.stat().st_size, p.stat().st_mtime_ns) for p in store.rglob("*")}

    before = files()
    for args in (["query", "ASK { ?s ?p ?o }"], ["export"], ["validate"], ["explain", str(clips / "clip0.wav")]):
        result = run_whytag(*args, store=store)
        assert "Traceback" not in result.stderr
    assert files() == before
