"""The `whytag` command: ingest audio, query, validate and export the graph, and run the demo."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click
from rdflib import Graph, Literal, URIRef

from whytag import __version__
from whytag.kg.namespaces import DEFAULT_BASE, PREFIXES
from whytag.kg.store import DEFAULT_LOCATION, GraphStore, QueryTable, StoreError, open_store

STORE_HELP = "Store: a directory (embedded Oxigraph) or a SPARQL 1.1 endpoint URL. Env: WHYTAG_STORE."


def _store(ctx: click.Context) -> GraphStore:
    try:
        return open_store(ctx.obj["store"])
    except StoreError as err:
        raise click.ClickException(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="WHYTAG_STORE", default=DEFAULT_LOCATION, show_default=True, help=STORE_HELP)
@click.version_option(__version__, prog_name="whytag")
@click.pass_context
def main(ctx: click.Context, store: str) -> None:
    """whytag: interpretable music auto-tagging on a knowledge graph — tags that say why."""
    ctx.ensure_object(dict)
    ctx.obj["store"] = store


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--base", default=DEFAULT_BASE, show_default=True, help="IRI prefix for instance data.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], base: str, quiet: bool) -> None:
    """Record audio files (wav, flac, ogg, mp3, au; folders are walked) as tracks in the graph."""
    from whytag.kg.ingest import ingest as run_ingest

    with _store(ctx) as store:
        report = run_ingest(store, paths, base=base, progress=not quiet)
    click.echo(f"ingested {len(report.tracks)} file(s) as {len({t for t, _ in report.tracks})} track(s); "
               f"{len(report.failures)} failed")
    for failure in report.failures:
        click.echo(f"  failed: {failure}", err=True)
    if report.failures:
        ctx.exit(1)


@main.command()
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r"), help="Read the query from a file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file, fmt: str) -> None:
    """Run a SPARQL query over all graphs (whytag's prefixes are predeclared)."""
    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file, not both")
    text = sparql if sparql is not None else query_file.read()
    with _store(ctx) as store:
        try:
            result = store.query(text)
        except StoreError as err:
            raise click.ClickException(str(err)) from None
    if isinstance(result, Graph):
        click.echo(result.serialize(format="json-ld" if fmt == "json" else "turtle"))
    else:
        click.echo(render_table(result, fmt), nl=False)


def render_table(table: QueryTable, fmt: str) -> str:
    """A SELECT result as an aligned text table, CSV, or JSON (a list of objects)."""
    if fmt == "json":
        return json.dumps([{c: _json_value(v) for c, v in zip(table.columns, row)} for row in table.rows],
                          indent=2) + "\n"
    cells = [[_text(v) for v in row] for row in table.rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(table.columns)
        writer.writerows(cells)
        return out.getvalue()
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(table.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, URIRef):
        for prefix, namespace in PREFIXES.items():
            if str(value).startswith(str(namespace)):
                return f"{prefix}:{str(value)[len(namespace):]}"
    return str(value)


def _json_value(value):
    if isinstance(value, Literal):
        python = value.toPython()
        return python if isinstance(python, (int, float, bool, str)) else str(value)
    return None if value is None else str(value)


@main.command()
@click.pass_context
def validate(ctx: click.Context) -> None:
    """Check the graph against whytag's SHACL shapes; exit 1 and list violations if it does not conform."""
    from whytag.kg.validate import validate_store

    with _store(ctx) as store:
        violations = validate_store(store)
    if not violations:
        click.echo("conforms: no SHACL violations")
        return
    for violation in violations:
        click.echo(str(violation))
    click.echo(f"{len(violations)} violation(s)", err=True)
    ctx.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["turtle", "jsonld", "ntriples", "nquads", "trig"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--graph", help="Export only this named graph (e.g. a track IRI).")
@click.option("--include-schema", is_flag=True, help="Also export the ontology and vocabularies.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None, graph: str | None, include_schema: bool) -> None:
    """Export the graph as linked data."""
    from whytag.kg.export import export as run_export

    with _store(ctx) as store:
        data = run_export(store, fmt, URIRef(graph) if graph else None, include_schema)
    if output:
        Path(output).write_bytes(data)
        click.echo(f"wrote {len(data)} bytes of {fmt} to {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


@main.command()
@click.option("--out", default="whytag-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated audio and the demo's store.")
@click.option("--clips", default=16, show_default=True, help="How many clips to generate.")
@click.pass_context
def demo(ctx: click.Context, out: str, clips: int) -> None:
    """Generate demo audio and run the whole pipeline on it, offline."""
    from whytag.datasets.demo import write_demo
    from whytag.kg.ingest import ingest as run_ingest

    folder = Path(out)
    labels = write_demo(folder, n=clips)
    click.echo(f"1. generated {clips} clips in {folder / 'audio'} (labels: {labels})")
    with open_store(folder / "graph") as store:
        report = run_ingest(store, [folder / "audio"], progress=False)
        click.echo(f"2. ingested {len(report.tracks)} tracks into {folder / 'graph'}")
        count = store.select("SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }").rows[0][0]
        click.echo(f"3. SPARQL: SELECT (COUNT(?t) AS ?n) WHERE {{ ?t a wt:Track }} → {count}")
    if report.failures:
        raise click.ClickException("demo ingest failed: " + "; ".join(report.failures))
