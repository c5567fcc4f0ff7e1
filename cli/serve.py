"""`whytag serve`: the store over HTTP (needs the [serve] extra)."""

from __future__ import annotations

import gc
import signal
import sys

import click

from whytag.cli.group import command_store
from whytag.kg.iris import DEFAULT_BASE
from whytag.kg.store import serving_note


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--base", default=DEFAULT_BASE, show_default=True,
              help="IRI base whose IRIs are served by path (<BASE>track/… at /track/…); others at /resource?iri=.")
@click.option("--query-timeout", default=10.0, show_default=True,
              help="CPU seconds one query may use (0: no limit); time queued or sharing the cores with other "
                   "queries does not count.")
@click.option("--max-results", default=100_000, show_default=True, help="Rows or triples one query may return.")
@click.option("--cache-mb", default=64.0, show_default=True,
              help="Memory for query answers kept until the next update (0: answer every query afresh).")
@click.option("--allow-service", "service_hosts", multiple=True, metavar="HOST",
              help="Let queries' SERVICE clauses (and updates' LOADs) contact this host, as their IRIs spell it "
                   "(repeat for more). Default: none, so no client can make the server send a request anywhere.")
@click.option("--update-token", envvar="WHYTAG_UPDATE_TOKEN",
              help="Allow SPARQL Update to clients sending this bearer token (default: read-only). "
                   "Env: WHYTAG_UPDATE_TOKEN.")
@click.pass_context
def serve(ctx, host: str, port: int, base: str, query_timeout: float, max_results: int, cache_mb: float,
          service_hosts: tuple[str, ...], update_token: str | None) -> None:
    """Serve the store over HTTP: a SPARQL 1.1 endpoint at /sparql and a page for every track, tag and rule."""
    try:  # the web stack is the optional [serve] extra, so it is imported only here
        import uvicorn

        from whytag.serve.app import Settings, create_app
        from whytag.serve.sparql import Limits
    except ImportError as err:
        raise click.ClickException(
            f"whytag serve needs the 'serve' extra (pip install 'whytag[serve]'): {err}") from None
    with command_store(ctx, write=True) as store:  # held for writing, so updates sent with the token can go in
        limits = Limits(query_timeout, max_results, frozenset(service_hosts))
        # each time the catalog is read (at the start, and after an update), what was read (the index, the ontology,
        # the models: ~120,000 objects at 10,000 tracks) is left out of the cyclic GC's scans: a full collection walked
        # it for 180-280 ms with the GIL held, every request in flight waiting, six times in 30 s of bench/serve.py
        # (only here, in the server's own process: frozen objects are never collected, which a test session creating
        # many apps would pile up)
        app = create_app(store, Settings(limits, update_token or None, base, cache_mb),
                         report=lambda line: click.echo(line, err=True), settled=gc.freeze)
        url = f"http://{host}:{port}/"
        reaches = f"SERVICE to {', '.join(service_hosts)}" if service_hosts else "no SERVICE"
        click.echo(f"serving {store.location} at {url} (SPARQL at /sparql; "
                   f"{'updates with the bearer token' if update_token else 'read-only'}; {reaches})")
        note = serving_note(store.location)
        note.write_text(url + "\n", encoding="utf-8")
        # uvicorn re-raises SIGTERM after its graceful shutdown; exit through `finally` so the note goes too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            note.unlink(missing_ok=True)
