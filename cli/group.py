"""The `whytag` command group: its global options, the store every command opens, and errors as one line."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import click

from whytag import WhytagError, __version__
from whytag.errors import first_line
from whytag.kg.store import DEFAULT_LOCATION, GraphStore, open_store

STORE_HELP = "Store: a directory (embedded Oxigraph) or a SPARQL 1.1 endpoint URL. Env: WHYTAG_STORE."
INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE: a bug in whytag, not in what the user gave it


class InternalError(click.ClickException):
    """An exception whytag did not expect, reported in one line (WHYTAG_DEBUG=1 shows the traceback)."""

    exit_code = INTERNAL_ERROR_EXIT


class WhytagGroup(click.Group):
    """The command group: errors in the user's input become one line, never a traceback.

    A command's module is imported when that command is asked for (`lazy`: name → "module:attribute"): the
    rooms behind the commands import Essentia, SciPy and scikit-learn, ~4 s of start-up that a command which
    needs none of them (a `query`, an `ingest` waiting for a lock) should not pay.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WhytagError as err:
            raise click.ClickException(str(err)) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - the safety net under every command
            if os.environ.get("WHYTAG_DEBUG"):
                raise
            raise InternalError(f"internal error: {type(err).__name__}: {first_line(err)} "
                                "(a bug in whytag; WHYTAG_DEBUG=1 shows where)") from None


def command_store(ctx: click.Context, write: bool = False, create: bool = False) -> GraphStore:
    """Open the chosen store, read-only unless the command writes; only `create` or --create make a new one."""
    location, wait, endpoint = ctx.obj["store"], ctx.obj["wait"], ctx.obj["endpoint"]
    tell = lambda line: click.echo(line, err=True)  # noqa: E731
    if ctx.obj["create"] and not write and _absent(location):
        open_store(location, create=True, wait=wait, on_wait=tell).close()
    return open_store(location, create=create or ctx.obj["create"], read_only=not write, wait=wait, on_wait=tell,
                      **endpoint)


def _absent(location: str) -> bool:
    """A directory location with nothing there yet (so --create has something to do)."""
    return not location.startswith(("http://", "https://")) and not Path(location).exists()


def echo_failures(ctx: click.Context, failures: list[str]) -> None:
    """Name each failed file on stderr, and exit 1 if any failed (so scripts can tell)."""
    for failure in failures:
        click.echo(f"  failed: {failure}", err=True)
    if failures:
        ctx.exit(1)


@click.group(cls=WhytagGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="WHYTAG_STORE", default=DEFAULT_LOCATION, show_default=True, help=STORE_HELP)
@click.option("--create", is_flag=True, help="Create the store if it is not there (ingest and learn always may).")
@click.option("--wait", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a writing command waits while another one writes to the store.")
@click.option("--store-token", envvar="WHYTAG_STORE_TOKEN",
              help="Bearer token for an endpoint store (basic auth: user:password@ in the URL). "
                   "Env: WHYTAG_STORE_TOKEN.")
@click.option("--store-timeout", envvar="WHYTAG_STORE_TIMEOUT", default=600.0, show_default=True,
              help="Seconds per request to an endpoint store. Env: WHYTAG_STORE_TIMEOUT.")
@click.option("--store-retries", default=3, show_default=True,
              help="Retries when the connection to an endpoint store is lost or refused.")
@click.version_option(__version__, prog_name="whytag")
@click.pass_context
def main(ctx: click.Context, store: str, create: bool, wait: float, store_token: str | None, store_timeout: float,
         store_retries: int) -> None:
    """whytag: interpretable music auto-tagging on a knowledge graph — tags that say why."""
    ctx.ensure_object(dict)
    ctx.obj.update(store=store, create=create, wait=wait,
                   endpoint={"token": store_token, "timeout": store_timeout, "retries": store_retries})
