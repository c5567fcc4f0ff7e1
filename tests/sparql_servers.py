"""Real SPARQL servers on loopback for the tests and benches: `oxigraph serve` and Virtuoso 7.

Each starts in its own folder on free ports, answers before the context manager yields its store URL
(`query|update`, credentials in the URL), and is stopped at the end. Where the server is not installed,
`ServerMissing` says which package provides it (tests skip with that reason).

Run as a script to keep one running for a bench or by hand:
`python tests/sparql_servers.py virtuoso|oxigraph FOLDER [MAX_ROWS]` prints the URL and serves until
interrupted (MAX_ROWS: Virtuoso's answer cap, to raise for a bench).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# a bound for a server that will never answer, not a pace: Virtuoso creates its database and checkpoints several times
# on a first start (~10 s here, many times that on a loaded machine)
START_SECONDS = 300
VIRTUOSO_USER, VIRTUOSO_PASSWORD = "whytag", "whytag-test"


class ServerMissing(Exception):
    """The server's binary is not installed; the message names the package that provides it."""


def binaries(kind: str) -> list[str]:
    """The server's programs ('oxigraph': its one binary; 'virtuoso': the server and its SQL client)."""
    if kind == "oxigraph":
        binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
        if not Path(binary).exists():
            raise ServerMissing("the oxigraph server (pip package `oxigraph`, in the test extra) is not installed")
        return [binary]
    found = [shutil.which("virtuoso-t"), shutil.which("isql-vt")]
    if None in found:
        raise ServerMissing("Virtuoso is not installed (Debian package virtuoso-opensource; tests/system-deps.sh)")
    return found


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def oxigraph_server(folder: Path, union_default_graph: bool = True) -> Iterator[str]:
    """`oxigraph serve` on a store in `folder`: yields 'QUERY_URL|UPDATE_URL'."""
    [binary] = binaries("oxigraph")
    port = free_port()
    command = [binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
    url = f"http://127.0.0.1:{port}"
    with _running(command + (["--union-default-graph"] if union_default_graph else []), folder / "server.log",
                  f"{url}/query"):
        yield f"{url}/query|{url}/update"


@contextmanager
def virtuoso_server(folder: Path, max_rows: int = 10_000) -> Iterator[str]:
    """Virtuoso 7 (Debian's virtuoso-opensource) with its database in `folder`: yields the store URL.

    Queries go to /sparql (anonymous), updates to /sparql-auth as a user made here with the SPARQL_UPDATE
    role (HTTP digest auth; whytag answers whichever challenge the server sends). `max_rows` is the
    [SPARQL] ResultSetMaxRows cap; Virtuoso's default of 10,000 is kept so that the tests meet it.
    """
    binary, isql = binaries("virtuoso")
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=folder, sql_port=sql_port, http_port=http_port, max_rows=max_rows))
    url = f"http://127.0.0.1:{http_port}"
    with _running([binary, "+configfile", str(ini), "+foreground"], folder / "server.log", f"{url}/sparql"):
        grant = (f"DB.DBA.USER_CREATE('{VIRTUOSO_USER}', '{VIRTUOSO_PASSWORD}'); "
                 f"GRANT SPARQL_SELECT TO \"{VIRTUOSO_USER}\"; GRANT SPARQL_UPDATE TO \"{VIRTUOSO_USER}\";")
        subprocess.run([isql, str(sql_port), "dba", "dba", f"exec={grant}"], check=True, capture_output=True,
                       timeout=60)
        yield f"{url}/sparql|http://{VIRTUOSO_USER}:{VIRTUOSO_PASSWORD}@127.0.0.1:{http_port}/sparql-auth"


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
; 8 KB pages: 170,000 buffers are ~1.3 GB, Virtuoso's advice for 2 GB of memory per instance
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
DirsAllowed = {db}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 10
MaxClientConnections = 10
[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 600
"""
"""The smallest virtuoso.ini that serves SPARQL on loopback from one folder (Debian's has the rest)."""


@contextmanager
def _running(command: list[str], log: Path, probe: str) -> Iterator[None]:
    """Run a server process until the block ends; wait for `probe` to answer an ASK before entering it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if httpx.post(probe, data={"query": "ASK {}"}, timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start: {log.read_text(errors='replace')[-800:]}")
            time.sleep(0.2)
        yield
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    kind, where = sys.argv[1], Path(sys.argv[2]).resolve()
    options = {"max_rows": int(sys.argv[3])} if kind == "virtuoso" and len(sys.argv) > 3 else {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill PID` stops the server too
    with (virtuoso_server if kind == "virtuoso" else oxigraph_server)(where, **options) as served:
        print(served, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
