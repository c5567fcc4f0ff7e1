"""Commands that read the graph: `query` (SPARQL), `validate` (SHACL, re-derived tags) and `export` (linked data)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click
from rdflib import Graph, Literal, URIRef

from whytag.cli.group import command_store
from whytag.kg.export import export_to
from whytag.kg.federation import uses_service
from whytag.kg.iris import checked_iri
from whytag.kg.namespaces import prefixed_name
from whytag.kg.store import QueryTable
from whytag.kg.validate import validate_store
from whytag.reasoning.rederive import TOLERANCE
from whytag.reasoning.rederive import rederive as rederive_tags


@click.command()
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r"), help="Read the query from a file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--allow-service", is_flag=True, help="Let SERVICE clauses contact the endpoints they name.")
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file, fmt: str, allow_service: bool) -> None:
    """Run a SPARQL query over all graphs (whytag's prefixes are predeclared; the store is only read)."""
    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file, not both")
    try:
        text = sparql if sparql is not None else query_file.read()
    except UnicodeDecodeError as err:
        raise click.ClickException(f"{query_file.name}: not UTF-8 text ({err.reason})") from None
    if uses_service(text) and not allow_service:
        raise click.ClickException("the query has a SERVICE clause, which would contact another endpoint; "
                                   "pass --allow-service to allow it")
    with command_store(ctx) as store:
        result = store.query(text)
    if isinstance(result, Graph):
        click.echo(result.serialize(format="json-ld" if fmt == "json" else "turtle"))
    else:
        click.echo(render_table(result, fmt), nl=False)


def render_table(table: QueryTable, fmt: str) -> str:
    """A SELECT result as an aligned text table, CSV, or JSON (a list of objects)."""
    if fmt == "json":
        return json.dumps([{c: _json_value(v) for c, v in zip(table.columns, row)} for row in table.rows],
                          indent=2) + "\n"
    if fmt == "csv":  # full IRIs: CSV is read by programs
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows([["" if v is None else str(v) for v in row] for row in table.rows])
        return out.getvalue()
    cells = [[_text(v) for v in row] for row in table.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(table.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _text(value) -> str:
    """A term for the text table: IRIs in whytag's namespaces as prefixed names."""
    if value is None:
        return ""
    return prefixed_name(str(value)) if isinstance(value, URIRef) else str(value)


def _json_value(value):
    """A term for JSON: a literal as its Python number, boolean or string; an IRI as its text."""
    if isinstance(value, Literal):
        python = value.toPython()
        return python if isinstance(python, (int, float, bool, str)) else str(value)
    return None if value is None else str(value)


@click.command()
@click.option("--sample", type=click.IntRange(min=1),
              help="Check the shapes on this many random tracks (and the models) instead of the whole graph.")
@click.option("--rederive", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also re-derive this many random predicted tags inside the store (SPARQL) and compare scores.")
@click.pass_context
def validate(ctx: click.Context, sample: int | None, rederive: int) -> None:
    """Check the graph against whytag's SHACL shapes; exit 1 and list violations if it does not conform."""
    with command_store(ctx) as store:
        violations = [str(v) for v in validate_store(store, sample)]
        checked = rederive_tags(store, rederive) if rederive else []
    disagree = [f"{r} (tags and graph disagree: run `whytag tag` again)" for r in checked if not r.agrees]
    scope = f"{sample} sampled track(s) and the models" if sample else "the whole graph"
    if checked:
        click.echo(f"re-derived {len(checked)} predicted tag(s) in the store: {len(checked) - len(disagree)} agree "
                   f"to {TOLERANCE:g}")
    if not violations and not disagree:
        click.echo(f"conforms: no SHACL violations in {scope}")
        return
    for line in violations + disagree:
        click.echo(line)
    click.echo(f"{len(violations) + len(disagree)} violation(s)", err=True)
    ctx.exit(1)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["turtle", "jsonld", "ntriples", "nquads", "trig"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--graph", help="Export only this named graph (e.g. a track IRI).")
@click.option("--include-schema", is_flag=True, help="Also export the ontology and vocabularies.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None, graph: str | None, include_schema: bool) -> None:
    """Export the graph as linked data."""
    named = checked_iri(graph, "--graph") if graph else None
    with command_store(ctx) as store:
        if named is not None and not store.select(f"ASK {{ GRAPH <{named}> {{ ?s ?p ?o }} }}").rows[0][0]:
            raise click.ClickException(f"--graph {graph}: no such graph in {store.location}")
        if output:
            partial = Path(output).with_name(f".{Path(output).name}.partial")
            try:
                with partial.open("wb") as out:
                    export_to(store, out, fmt, named, include_schema)
                partial.replace(output)  # never a half-written file under the name asked for
            finally:
                partial.unlink(missing_ok=True)
            click.echo(f"wrote {Path(output).stat().st_size} bytes of {fmt} to {output}", err=True)
        else:
            export_to(store, sys.stdout.buffer, fmt, named, include_schema)
