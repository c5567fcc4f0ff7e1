"""SIGKILL `whytag ingest --extract --workers 2` at random points: no half track, no orphaned worker,
and re-running the same command gives the graph of an uninterrupted run.

Each trial kills the command at a random moment of its usual run time, then checks the store as
the kill left it: every track graph is absent, exactly as ingest writes it, or exactly as a full
extraction writes it (timestamps aside). Even trials start from no store, odd ones re-run the
command on what the previous kill left; every tenth trial then re-runs it to its end and compares
the whole graph with a reference run's.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import PROV
from whytag_cli import run_whytag, whytag_command

from whytag.kg.iris import EXTRACTORS_GRAPH, SCHEMA_GRAPH
from whytag.kg.store import StoreError, open_store

TRIALS = 20
CHECK_EVERY = 10
TIMESTAMPS = {str(PROV.startedAtTime), str(PROV.endedAtTime)}
Graphs = dict[str, frozenset[tuple[str, str, str]]]


def graphs(store_path: Path) -> Graphs:
    """Every named graph of a store as a set of triples, timestamps left out (they differ from run to run) and
    blank nodes canonically relabelled (each load of the schema names them afresh)."""
    if not store_path.exists():
        return {}
    with open_store(store_path, read_only=True) as store:
        rows = store.select("SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    out: dict[str, Graph] = {}
    for g, s, p, o in rows:
        if str(p) not in TIMESTAMPS:
            out.setdefault(str(g), Graph()).add((s, p, o))
    return {g: frozenset((s.n3(), p.n3(), o.n3()) for s, p, o in to_canonical_graph(graph))
            for g, graph in out.items()}


def session_members(session: int) -> list[int]:
    """Live (non-zombie) processes of a session: the command and anything it started."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry))
    return members


def survivors_after(session: int, grace: float = 10.0) -> list[int]:
    """Processes of the session still alive `grace` seconds after its leader was killed."""
    deadline = time.monotonic() + grace
    while (left := session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_sigkill_at_random_points_leaves_whole_tracks_and_no_workers(tmp_path, clips, capsys):
    command = ["ingest", "--quiet", "--extract", "--workers", "2", str(clips)]
    started = time.monotonic()
    assert run_whytag(*command, store=tmp_path / "reference").returncode == 0
    full_run = time.monotonic() - started
    reference = graphs(tmp_path / "reference")
    assert run_whytag("ingest", "--quiet", str(clips), store=tmp_path / "ingested").returncode == 0
    ingested = graphs(tmp_path / "ingested")
    tracks = [g for g in reference if g not in (str(SCHEMA_GRAPH), str(EXTRACTORS_GRAPH))]
    assert len(tracks) == 3 and all(reference[t] != ingested[t] for t in tracks)

    store = tmp_path / "crashed"
    rng = random.Random(14)
    states: dict[str, int] = {}
    killed = 0
    for trial in range(TRIALS):
        if trial % 2 == 0:
            shutil.rmtree(store, ignore_errors=True)
        process = subprocess.Popen(whytag_command(*command, store=store), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.2, 1.25 * full_run))  # past the end too: runs slow down under load
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        assert survivors_after(process.pid) == [], f"trial {trial}: orphaned processes"
        try:
            now = graphs(store)
        except StoreError as err:  # killed while RocksDB created the store: no data yet; a writer completes it
            assert "the store is incomplete" in str(err)
            states["unfinished store"] = states.get("unfinished store", 0) + 1
            assert run_whytag(*command, store=store).returncode == 0
            assert graphs(store) == reference, f"trial {trial}: the re-run differs from an uninterrupted run"
            continue
        assert set(now) <= set(reference), f"trial {trial}: unexpected graphs {set(now) - set(reference)}"
        if str(SCHEMA_GRAPH) in now:
            assert now[str(SCHEMA_GRAPH)] == reference[str(SCHEMA_GRAPH)], f"trial {trial}: partial schema"
        if str(EXTRACTORS_GRAPH) in now:  # each track's write first declares what its extractors measured
            assert now[str(EXTRACTORS_GRAPH)] <= reference[str(EXTRACTORS_GRAPH)], f"trial {trial}: extractors"
        for track in tracks:
            state = ("absent" if track not in now else "ingested" if now[track] == ingested[track]
                     else "extracted" if now[track] == reference[track] else "PARTIAL")
            assert state != "PARTIAL", f"trial {trial}: {track} is partly written"
            states[state] = states.get(state, 0) + 1
        if trial % CHECK_EVERY == CHECK_EVERY - 1:
            assert run_whytag(*command, store=store).returncode == 0
            assert graphs(store) == reference, f"trial {trial}: the re-run differs from an uninterrupted run"
    validate = run_whytag("validate", store=store)
    assert validate.returncode == 0, validate.stdout
    with capsys.disabled():
        print(f"\n{TRIALS} trials, {killed} killed mid-run (full run {full_run:.1f} s); "
              f"track states seen after the kills: {states}")
    assert killed >= TRIALS // 2  # the kills did land while the command ran


def test_validate_flags_a_partial_extraction(tmp_path, clips):
    store = tmp_path / "graph"
    assert run_whytag("ingest", "--quiet", "--extract", "--groups", "signal", "--workers", "1",
                      str(clips / "clip0.wav"), store=store).returncode == 0
    with open_store(store) as opened:  # what an interrupted multi-request write would leave
        opened.update("DELETE { GRAPH ?g { ?t wt:bpm ?v } } WHERE { GRAPH ?g { ?t wt:bpm ?v } }")
        track = URIRef(opened.select("SELECT ?t WHERE { ?t a wt:Track }").rows[0][0])
    result = run_whytag("validate", store=store)
    assert result.returncode == 1
    assert f"{track}/extraction/" in result.stdout and "partial extraction" in result.stdout
