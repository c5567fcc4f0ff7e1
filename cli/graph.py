"""Commands that read the graph: `query` (SPARQL), `validate` (SHACL, re-derived tags) and `export` (linked data)."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable
from itertools import islice
from typing import TextIO

import click
from rdflib import Graph

from whytag.cli.group import command_store
from whytag.kg.answers import XSD_STRING, Answer, Term, stream
from whytag.kg.export import export_file, export_to
from whytag.kg.federation import uses_service
from whytag.kg.iris import checked_iri
from whytag.kg.namespaces import PREFIXES, prefixed_name
from whytag.kg.operations import update_keyword
from whytag.kg.queries import query as named_query
from whytag.kg.store import INTEGERS, QueryTable, StoreError, typed
from whytag.kg.validate import validate_store
from whytag.reasoning.rederive import TOLERANCE
from whytag.reasoning.rederive import rederive as rederive_tags

QUERY_FORMATS = ["table", "csv", "tsv", "json", "jsonl"]
TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


@click.command()
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r"), help="Read the query from a file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True,
              help="csv, tsv (SPARQL's, terms in N-Triples), json and jsonl (an object a line) print rows as they "
                   "come; a table is aligned once all rows are in. CONSTRUCT/DESCRIBE: Turtle for table, JSON-LD "
                   "for json, rows of subject, predicate, object for the others.")
@click.option("--max-results", default=100_000, show_default=True, type=click.IntRange(min=0),
              help="Rows or triples to print at most; past them the command stops with an error (0: no cap).")
@click.option("--allow-service", is_flag=True, help="Let SERVICE clauses contact the endpoints they name.")
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file, fmt: str, max_results: int,
          allow_service: bool) -> None:
    """Run a SPARQL query over all graphs (whytag's prefixes are predeclared; the store is only read)."""
    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file, not both")
    try:
        text = sparql if sparql is not None else query_file.read()
    except UnicodeDecodeError as err:
        raise click.ClickException(f"{query_file.name}: not UTF-8 text ({err.reason})") from None
    keyword = update_keyword(text)
    if keyword is not None:
        raise click.ClickException(f"this is a SPARQL Update ({keyword} …), and `whytag query` only reads; send it to "
                                   "`whytag serve --update-token T` as a POST to /sparql with 'Authorization: Bearer "
                                   "T' and 'Content-Type: application/sparql-update'")
    if uses_service(text) and not allow_service:
        raise click.ClickException("the query has a SERVICE clause, which would contact another endpoint; "
                                   "pass --allow-service to allow it")
    with command_store(ctx) as store:
        try:
            more = write_answer(stream(store, text), fmt, max_results, sys.stdout)
        except BrokenPipeError:  # the reader (`| head`, say) has all it wanted: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
    if more:
        raise click.ClickException(f"the result has more than {max_results} rows (--max-results); add a LIMIT, or "
                                   "pass --max-results 0 for no cap")


def write_answer(answer: Answer, fmt: str, cap: int, out: TextIO) -> bool:
    """Write an answer in `fmt`, at most `cap` rows (0: all); whether rows were left unwritten."""
    taken = islice(answer.rows, cap) if cap else answer.rows
    if answer.graph and fmt in ("table", "json"):
        graph = Graph()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for row in taken:
            graph.add(tuple(term.node() for term in row))
        out.write(graph.serialize(format="json-ld" if fmt == "json" else "turtle"))
    elif fmt == "table":
        out.write(render_table(QueryTable(answer.columns, list(taken))))
    else:
        write_rows(answer.columns, taken, fmt, out)
    return bool(cap) and next(answer.rows, None) is not None


def write_rows(columns: list[str], rows: Iterable[list], fmt: str, out: TextIO) -> None:
    """Write rows one by one as they come: CSV, SPARQL TSV, a JSON array, or JSON lines."""
    if fmt == "csv":  # full IRIs: CSV is read by programs
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v.value for v in row])
        return
    if fmt == "tsv":
        out.write("\t".join(f"?{c}" for c in columns) + "\n")
        for row in rows:
            out.write("\t".join(map(_tsv_term, row)) + "\n")
        return
    objects = (json.dumps({c: _json_value(v) for c, v in zip(columns, row)}) for row in rows)
    if fmt == "jsonl":
        for line in objects:
            out.write(line + "\n")
        return
    out.write("[")
    for position, line in enumerate(objects):
        out.write(("," if position else "") + "\n  " + line)
    out.write("\n]\n")


def _tsv_term(term: Term | None) -> str:
    """A term as SPARQL's TSV results write it: N-Triples syntax, with tabs and newlines escaped."""
    if term is None:
        return ""
    if term.kind == "iri":
        return f"<{term.value}>"
    if term.kind == "bnode":
        return f"_:{term.value}"
    if term.kind == "triple":
        return term.value
    text = '"' + term.value.translate(TSV_ESCAPES) + '"'
    return text + (f"@{term.language}" if term.language else "" if term.datatype == XSD_STRING
                   else f"^^<{term.datatype}>")


def render_table(table: QueryTable) -> str:
    """A SELECT result as an aligned text table."""
    cells = [[_text(v) for v in row] for row in table.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(table.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(table.columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _text(term: Term | None) -> str:
    """A term for the text table: IRIs in whytag's namespaces as prefixed names."""
    if term is None:
        return ""
    return prefixed_name(term.value) if term.kind == "iri" else term.value


def _json_value(term: Term | None) -> object:
    """A term for JSON: a literal as its number, boolean or string; an IRI or blank node as its text."""
    if term is None or term.kind != "literal":
        return None if term is None else term.value
    try:
        return int(term.value) if term.datatype in INTEGERS else typed(term.value, term.datatype)
    except (ValueError, StoreError):  # an ill-typed literal ("abc"^^xsd:double) keeps its text: query finds them
        return term.value


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
        if named is not None and not store.select(named_query("graph-exists", g=named)).rows[0][0]:
            raise click.ClickException(f"--graph {graph}: no such graph in {store.location}")
        if output:
            size = export_file(store, output, fmt, named, include_schema)
            click.echo(f"wrote {size} bytes of {fmt} to {output}", err=True)
        else:
            export_to(store, sys.stdout.buffer, fmt, named, include_schema)
