"""Connecting to a Dask distributed cluster, whose workers measure files for `extract_many(scheduler=...)`.

The workers only compute; the whytag process gets the results and writes the graph. dask and distributed
(the `cluster` extra) are imported only when a scheduler is given, so the core install stays lean; this
module itself imports neither, so the command line can name its defaults without loading them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from whytag.errors import WhytagError, first_line

if TYPE_CHECKING:
    from distributed import Client

SCHEDULER_TIMEOUT = 10.0  # seconds to reach a Dask scheduler, and again for its first worker


class ClusterError(WhytagError):
    """The Dask cluster cannot be used (unreachable, no workers, dask missing); the message says which."""


def check_scheduler(scheduler: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Raise ClusterError unless the scheduler answers and has a worker: lets a command fail before it writes."""
    connect(scheduler, timeout).close()


def connect(scheduler: str, timeout: float = SCHEDULER_TIMEOUT) -> Client:
    """A client of the scheduler once a worker has joined; within `timeout` seconds each, else ClusterError."""
    distributed = _distributed()
    try:
        # Checked first: a Client refused for a malformed address prints a traceback when collected at exit.
        distributed.comm.get_address_host_port(scheduler)
    except ValueError as err:
        raise ClusterError(f"{scheduler}: not a Dask scheduler address, e.g. tcp://HOST:8786 ({err})") from None
    try:
        client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, ValueError) as err:
        raise ClusterError(f"{scheduler}: cannot reach the Dask scheduler ({first_line(err)})") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        raise ClusterError(f"{scheduler}: no Dask worker joined the scheduler within {timeout:g} s "
                           f"(start some with `dask worker {scheduler}`)") from None
    return client


def _distributed():
    """The distributed module, or a ClusterError saying which extra installs it."""
    try:
        import distributed
    except ImportError as err:
        raise ClusterError(f"--scheduler needs dask and distributed: pip install 'whytag[cluster]' ({err})") from None
    return distributed
