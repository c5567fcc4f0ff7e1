"""Readers beside a writer see whole transactions; a second writer waits (saying so) or stops with one line;
a store the user may only read can still be queried.

The writer holds the store and writes each round when the test asks, so what a reader or a second writer
meets is set by the test's steps, not by timing: a loaded machine slows the test, never changes its outcome.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from whytag_cli import assert_one_clear_line, run_whytag, whytag_command

from whytag.kg.store import open_store

TRIPLES_PER_GRAPH = 20
GRAPHS = 10

WRITER = textwrap.dedent("""
    import sys
    from rdflib import Literal, URIRef
    from whytag.kg.store import open_store
    store_path, per_graph, graphs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open_store(store_path) as store:
        print("writing", flush=True)
        round_ = 0
        while sys.stdin.readline():  # a round per line; the store (and its lock) is held until stdin closes
            round_ += 1
            batch = {}
            for g in range(graphs):
                graph = URIRef(f"urn:test:g{g}")
                batch[graph] = [(graph, URIRef(f"urn:test:p{k}"), Literal(round_)) for k in range(per_graph)]
            store.replace_graphs(batch)  # one transaction: every graph moves to the next round at once
            print("wrote", round_, flush=True)
""")
ROUNDS = 6


class Writer:
    """A process holding the store for writing until `release`, rewriting it in whole rounds when asked: the
    test, not the clock, decides what happens while it holds the store."""

    def __init__(self, store: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(TRIPLES_PER_GRAPH),
                                         str(GRAPHS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "writing"

    def start_round(self) -> None:
        """Ask for the next round; it is being written when this returns."""
        self.process.stdin.write("round\n")
        self.process.stdin.flush()

    def round_written(self) -> int:
        """Wait until the round asked for is committed; its number."""
        return int(self.process.stdout.readline().split()[1])

    def release(self) -> None:
        """Close the store and end the process."""
        self.process.stdin.close()
        assert self.process.wait() == 0


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
    writer = Writer(store)
    try:
        cli = run_whytag("query", "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                         "--format", "csv", store=store)
        assert cli.returncode == 0, cli.stderr  # the command line reads beside the writer too
        for expected in range(1, ROUNDS + 1):
            writer.start_round()
            during = rounds_seen(store)  # opened while round `expected` is written: the one before or it, whole
            assert during <= {expected - 1, expected} and (during or expected == 1), (expected, during)
            assert writer.round_written() == expected
            assert rounds_seen(store) == {expected}  # committed before this reader opened: seen whole
    finally:
        writer.release()


def test_a_second_writer_waits_then_writes(tmp_path, clips):
    store = tmp_path / "graph"
    writer = Writer(store)
    second = subprocess.Popen(whytag_command("--wait", "600", "ingest", "--quiet", str(clips), store=store),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = next((line for line in iter(second.stderr.readline, "") if "waiting up to" in line), "")
        assert "waiting up to 600 s for another whytag command" in said, said
    finally:
        writer.release()  # only now can the second writer take the store
    out, err = second.communicate(timeout=900)
    assert second.returncode == 0, err
    assert "ingested 3 file(s) as 3 track(s)" in out
    assert run_whytag("validate", store=store).returncode == 0


def test_a_writer_that_may_not_wait_stops_with_one_line(tmp_path, clips):
    store = tmp_path / "graph"
    writer = Writer(store)
    try:
        result = run_whytag("--wait", "0", "ingest", "--quiet", str(clips), store=store)
    finally:
        writer.release()
    assert_one_clear_line(result, "in use by another whytag command", "--wait")
    assert "waiting" not in result.stderr


def test_two_writing_commands_at_once_both_land(tmp_path, clips):
    store = tmp_path / "graph"
    assert run_whytag("ingest", "--quiet", str(clips / "clip0.wav"), store=store).returncode == 0
    commands = [subprocess.Popen(whytag_command("--wait", "600", "ingest", "--quiet", str(clips / name), store=store),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for name in ("clip1.wav", "clip2.wav")]  # the second waits as long as the first may take
    for command in commands:
        out, err = command.communicate(timeout=900)
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
