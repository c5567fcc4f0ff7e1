"""The `whytag` command: ingest audio, query, validate and export the graph, and run the demo."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import click
from rdflib import Graph, Literal, URIRef

from whytag import WhytagError, __version__
from whytag.errors import first_line
from whytag.extractors.cluster import SCHEDULER_TIMEOUT
from whytag.kg.iris import checked_iri, looks_like_iri
from whytag.kg.namespaces import DEFAULT_BASE, PREFIXES
from whytag.kg.store import DEFAULT_LOCATION, GraphStore, QueryTable, open_store, serving_note

STORE_HELP = "Store: a directory (embedded Oxigraph) or a SPARQL 1.1 endpoint URL. Env: WHYTAG_STORE."
SCHEDULER_HELP = ("Extract on this Dask cluster's workers instead of local processes (pip install 'whytag[cluster]'). "
                  "They read the audio at the paths the store records, so they must see the same files (shared "
                  "storage); they only compute, and this process writes the graph.")
INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE: a bug in whytag, not in what the user gave it


class InternalError(click.ClickException):
    """An exception whytag did not expect, reported in one line (WHYTAG_DEBUG=1 shows the traceback)."""

    exit_code = INTERNAL_ERROR_EXIT


class WhytagGroup(click.Group):
    """The command group: errors in the user's input become one line, never a traceback."""

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


def _store(ctx: click.Context, write: bool = False, create: bool = False) -> GraphStore:
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


@click.group(cls=WhytagGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="WHYTAG_STORE", default=DEFAULT_LOCATION, show_default=True, help=STORE_HELP)
@click.option("--create", is_flag=True, help="Create the store if it is not there (ingest and learn always may).")
@click.option("--wait", default=30.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds a writing command waits while another one writes to the store.")
@click.option("--store-token", envvar="WHYTAG_STORE_TOKEN",
              help="Bearer token for an endpoint store (basic auth: user:password@ in the URL). Env: WHYTAG_STORE_TOKEN.")
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


def cluster_options(command: Callable) -> Callable:
    """--scheduler and --scheduler-timeout, the same on `ingest --extract` and `extract`."""
    command = click.option("--scheduler-timeout", default=SCHEDULER_TIMEOUT, show_default=True, metavar="SECONDS",
                           type=click.FloatRange(min=0, min_open=True),
                           help="Seconds to reach the scheduler, and again for its first worker.")(command)
    return click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP)(command)


def _check_cluster(scheduler: str | None, workers: int | None, timeout: float) -> None:
    """Refuse --workers beside --scheduler, and stop before anything is written if the cluster cannot be used."""
    if scheduler is None:
        return
    if workers is not None:
        raise click.UsageError("--workers and --scheduler exclude each other: the Dask cluster's workers extract")
    from whytag.extractors.cluster import check_scheduler

    check_scheduler(scheduler, timeout)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--base", default=DEFAULT_BASE, show_default=True, help="IRI prefix for instance data.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--extract", "then_extract", is_flag=True, help="Also extract features from the ingested files.")
@click.option("--groups", default="signal,symbolic", show_default=True, help="Extractor groups for --extract.")
@click.option("--workers", type=int, help="Extraction processes (default: one per core).")
@cluster_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], base: str, quiet: bool, then_extract: bool, groups: str,
           workers: int | None, scheduler: str | None, scheduler_timeout: float) -> None:
    """Record audio files (wav, flac, ogg, mp3, au; folders are walked) as tracks in the graph."""
    from whytag.kg.ingest import ingest as run_ingest

    checked_iri(base, "--base")
    if scheduler is not None and not then_extract:
        raise click.UsageError("--scheduler runs the extraction: give --extract too")
    _check_cluster(scheduler, workers, scheduler_timeout)
    with _store(ctx, write=True, create=True) as store:
        report = run_ingest(store, paths, base=base, progress=not quiet)
        click.echo(f"ingested {len(report.tracks)} file(s) as {len({t for t, _ in report.tracks})} track(s); "
                   f"{len(report.failures)} failed")
        for line in report.changed:
            click.echo(f"  note: {line}", err=True)
        failures = list(report.failures)
        if then_extract and report.tracks:
            failures += _run_extract(store, groups, [t for t, _ in report.tracks], workers, quiet,
                                     scheduler=scheduler, scheduler_timeout=scheduler_timeout)
    for failure in failures:
        click.echo(f"  failed: {failure}", err=True)
    if failures:
        ctx.exit(1)


def _run_extract(store: GraphStore, groups: str, tracks: list[URIRef] | None, workers: int | None,
                 quiet: bool, scheduler: str | None = None, scheduler_timeout: float = SCHEDULER_TIMEOUT) -> list[str]:
    """Extract (here, or on the Dask cluster at `scheduler`) and report; returns the failure lines."""
    from whytag.kg.extraction import extract_tracks

    chosen = tuple(g.strip() for g in groups.split(",") if g.strip())
    try:
        report = extract_tracks(store, chosen, tracks, workers=workers, progress=not quiet, scheduler=scheduler,
                                scheduler_timeout=scheduler_timeout)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    values = sum(report.done.values())
    click.echo(f"extracted {values} feature values ({', '.join(chosen)}) from {len(report.done)} track(s); "
               f"{len(report.failures)} failed")
    return report.failures


@main.command()
@click.option("--groups", default="signal,symbolic", show_default=True,
              help="Comma-separated extractor groups: signal, symbolic, dnn.")
@click.option("--workers", type=int, help="Processes (default: one per core).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@cluster_options
@click.pass_context
def extract(ctx: click.Context, groups: str, workers: int | None, quiet: bool, scheduler: str | None,
            scheduler_timeout: float) -> None:
    """Extract features from every ingested track's audio into the graph (re-running replaces them)."""
    _check_cluster(scheduler, workers, scheduler_timeout)
    with _store(ctx, write=True) as store:
        failures = _run_extract(store, groups, None, workers, quiet, scheduler=scheduler,
                                scheduler_timeout=scheduler_timeout)
    for failure in failures:
        click.echo(f"  failed: {failure}", err=True)
    if failures:
        ctx.exit(1)


@main.command()
@click.argument("sparql", required=False)
@click.option("--file", "-f", "query_file", type=click.File("r"), help="Read the query from a file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--allow-service", is_flag=True, help="Let SERVICE clauses contact the endpoints they name.")
@click.pass_context
def query(ctx: click.Context, sparql: str | None, query_file, fmt: str, allow_service: bool) -> None:
    """Run a SPARQL query over all graphs (whytag's prefixes are predeclared; the store is only read)."""
    from whytag.kg.federation import uses_service

    if (sparql is None) == (query_file is None):
        raise click.UsageError("give the query either as an argument or with --file, not both")
    try:
        text = sparql if sparql is not None else query_file.read()
    except UnicodeDecodeError as err:
        raise click.ClickException(f"{query_file.name}: not UTF-8 text ({err.reason})") from None
    if uses_service(text) and not allow_service:
        raise click.ClickException("the query has a SERVICE clause, which would contact another endpoint; "
                                   "pass --allow-service to allow it")
    with _store(ctx) as store:
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
    if isinstance(value, URIRef):
        for prefix, namespace in PREFIXES.items():
            if str(value).startswith(str(namespace)):
                return f"{prefix}:{str(value)[len(str(namespace)):]}"
    return str(value)


def _json_value(value):
    if isinstance(value, Literal):
        python = value.toPython()
        return python if isinstance(python, (int, float, bool, str)) else str(value)
    return None if value is None else str(value)


@main.command()
@click.option("--sample", type=click.IntRange(min=1),
              help="Check the shapes on this many random tracks (and the models) instead of the whole graph.")
@click.option("--rederive", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also re-derive this many random predicted tags inside the store (SPARQL) and compare scores.")
@click.pass_context
def validate(ctx: click.Context, sample: int | None, rederive: int) -> None:
    """Check the graph against whytag's SHACL shapes; exit 1 and list violations if it does not conform."""
    from whytag.kg.validate import validate_store
    from whytag.reasoning.rederive import TOLERANCE, rederive as run_rederive

    with _store(ctx) as store:
        violations = [str(v) for v in validate_store(store, sample)]
        checked = run_rederive(store, rederive) if rederive else []
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


@main.command()
@click.option("--format", "fmt", type=click.Choice(["turtle", "jsonld", "ntriples", "nquads", "trig"]),
              default="turtle", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--graph", help="Export only this named graph (e.g. a track IRI).")
@click.option("--include-schema", is_flag=True, help="Also export the ontology and vocabularies.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: str | None, graph: str | None, include_schema: bool) -> None:
    """Export the graph as linked data."""
    from whytag.kg.export import export_to as run_export

    named = checked_iri(graph, "--graph") if graph else None
    with _store(ctx) as store:
        if named is not None and not store.select(f"ASK {{ GRAPH <{named}> {{ ?s ?p ?o }} }}").rows[0][0]:
            raise click.ClickException(f"--graph {graph}: no such graph in {store.location}")
        if output:
            partial = Path(output).with_name(f".{Path(output).name}.partial")
            try:
                with partial.open("wb") as out:
                    run_export(store, out, fmt, named, include_schema)
                partial.replace(output)  # never a half-written file under the name asked for
            finally:
                partial.unlink(missing_ok=True)
            click.echo(f"wrote {Path(output).stat().st_size} bytes of {fmt} to {output}", err=True)
        else:
            run_export(store, sys.stdout.buffer, fmt, named, include_schema)


@main.command()
@click.option("--labels", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV/TSV of labels: an id column (audio path, track IRI, or table row id) and tags.")
@click.option("--id-column", help="Column identifying tracks (default: the first column).")
@click.option("--label-columns", help="Comma-separated label columns (0/1 each, or one column of names or "
              "';'-separated tags). Default: every column but the id (and features when --features is the same file).")
@click.option("--features", "features_file", type=click.Path(exists=True, dir_okay=False),
              help="Import this feature table (one row per track) instead of using extracted observations.")
@click.option("--learner", default="boosted-linear", show_default=True,
              help="Rule learner: boosted-linear, sparse (8 features a tag), boosted, ebm, rulefit, ripper, dl.")
@click.option("--name", default="default", show_default=True, help="Name of the model set to store.")
@click.option("--vocabulary", help="Tag vocabulary name (default: the labels file's stem).")
@click.option("--seed", default=0, show_default=True)
@click.option("--strict", is_flag=True, help="Stop if any label row names no track in the store (default: warn).")
@click.pass_context
def learn(ctx, labels, id_column, label_columns, features_file, learner, name, vocabulary, seed, strict) -> None:
    """Learn rules per tag from labelled tracks and store them (with their levels) in the graph."""
    from whytag.kg.tables import import_features, labels_from, numeric_features, read_table, unknown_rows
    from whytag.reasoning.training import learn as run_learn, resolve_tracks

    try:
        label_table = read_table(labels, id_column)
        columns = label_columns.split(",") if label_columns else None
        source = None
        with _store(ctx, write=True, create=bool(features_file)) as store:
            if features_file:
                feature_source = read_table(features_file, id_column)
                source = Path(features_file).stem
                if columns is None and Path(features_file).resolve() == Path(labels).resolve():
                    raise click.UsageError("--features and --labels are the same file: name its --label-columns")
                columns = columns or [c for c in label_table.columns if c not in feature_source.columns]
                X = numeric_features(feature_source, exclude=columns)
                import_features(store, X, source)
                click.echo(f"imported {len(X)} tracks × {X.shape[1]} features from {features_file}")
            Y = labels_from(label_table, columns or list(label_table.columns))
            ids = resolve_tracks(store, label_table.index, Path(labels).resolve().parent, source)
            stored = {row[0] for row in store.select("SELECT DISTINCT ?t WHERE { GRAPH ?g { ?t a wt:Track } }").rows}
            unknown = unknown_rows(label_table, {i: t for i, t in ids.items() if t in stored})
            if unknown and strict:
                raise click.ClickException(f"{unknown} (--strict)")
            if unknown:
                click.echo(f"warning: {unknown}; learning from the rest (--strict stops instead)", err=True)
            summary = run_learn(store, Y, ids, learner, name, vocabulary or Path(labels).stem,
                                str(Path(labels).name), seed)
    except (ValueError, LookupError) as err:
        raise click.ClickException(str(err)) from None
    kind = "single-label" if summary.info.single_label else "multi-label"
    click.echo(f"learned model set '{name}' ({learner}, {kind}) from {summary.tracks} tracks: "
               f"{summary.rules} rules, at most {summary.max_conditions_per_tag} conditions per tag, "
               f"{summary.linear_terms} linear terms; "
               f"training {'accuracy' if summary.info.single_label else 'label agreement'} {summary.training_score:.3f}")
    for skipped in summary.skipped:
        click.echo(f"  skipped (no features in the store): {skipped}", err=True)


@main.command()
@click.option("--model", "name", default="default", show_default=True, help="Model set to apply.")
@click.option("--every-score", is_flag=True, help="Store every tag's score with its reasons, not only predicted tags.")
@click.option("--batch", "batch_size", type=click.IntRange(min=1),
              help="Tracks read, scored and written per transaction (default 1000; memory grows with it, "
                   "not with the catalog).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def tag(ctx, name: str, every_score: bool, batch_size: int | None, quiet: bool) -> None:
    """Apply a learned model set to every track with features: tags with justifications in the graph."""
    from tqdm import tqdm

    from whytag.reasoning.reasoner import BATCH, tag_batches

    batch_size = batch_size or BATCH
    predicted: Counter = Counter()
    scored = tracks = 0
    with _store(ctx, write=True) as store, tqdm(unit="track", desc="tag", disable=quiet, leave=False) as bar:
        try:
            for batch in tag_batches(store, name, every_score=every_score, batch_size=batch_size,
                                     on_start=lambda n: bar.reset(total=n)):
                predicted.update(a.notation for a in batch if a.predicted)
                scored += len(batch)
                tracks += len({a.track for a in batch})
                bar.update(min(batch_size, bar.total - bar.n))
        except LookupError as err:
            raise click.ClickException(str(err)) from None
    click.echo(f"tagged {tracks} tracks with model set '{name}': {scored} scored assignments, "
               f"{sum(predicted.values())} predicted")
    for notation, n in sorted(predicted.items(), key=lambda kv: -kv[1]):
        click.echo(f"  {notation}: {n}")


@main.command()
@click.argument("track")
@click.option("--tag", "tag_name", help="Explain only this tag.")
@click.option("--model", help="Only assignments from this model set.")
@click.option("--top", default=5, show_default=True, help="Feature reasons to list per tag (the rest are summed).")
@click.option("--detail", is_flag=True, help="Also show the rules that fired and the linear term inside each reason.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--all-tags", is_flag=True, help="Also explain tags that were not predicted (after `tag --every-score`).")
@click.pass_context
def explain(ctx, track: str, tag_name: str | None, model: str | None, top: int, detail: bool, fmt: str,
            all_tags: bool) -> None:
    """Say in plain words why TRACK (an audio path, a track IRI or a table row id) has its tags."""
    from whytag.reasoning.explain import explain as run_explain

    with _store(ctx) as store:
        iri = resolve_track(store, track)
        explanations = run_explain(store, iri, tag_name, model, detail=detail or fmt == "json")
    if not explanations:
        raise click.ClickException(f"{track}: no tag assignments (run `whytag tag` first"
                                   f"{', or check the tag name' if tag_name else ''})")
    shown = [e for e in explanations if all_tags or tag_name or e.predicted] or explanations[:1]
    if fmt == "json":
        click.echo(json.dumps({"track": str(iri), "explanations": [e.as_dict(top) for e in shown]}, indent=2))
        return
    click.echo(f"{iri}")
    for explanation in shown:
        click.echo(explanation.text(top, detail))


def resolve_track(store: GraphStore, text: str) -> URIRef:
    """A track in the store from its IRI, an audio file (by content hash), or a table row id (rdfs:label)."""
    from whytag.extractors.audio import sha256_of

    if looks_like_iri(text):
        iri = checked_iri(text, "track")
        if not store.select(f"ASK {{ GRAPH ?g {{ <{iri}> a wt:Track }} }}").rows[0][0]:
            raise click.ClickException(f"{text}: no track with that IRI in {store.location}")
        return iri
    if _is_file(text):
        try:
            digest = Literal(sha256_of(text))
        except OSError as err:
            raise click.ClickException(f"{text}: cannot read the file ({err.strerror or err})") from None
        rows = store.select(f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?t mo:available_as ?f . "
                            f"?f wt:sha256 {digest.n3()} }} }}").rows
        if not rows:
            raise click.ClickException(f"{text}: this audio was never ingested (run `whytag ingest {text}` first)")
        return URIRef(rows[0][0])
    rows = store.select(f"SELECT DISTINCT ?t WHERE {{ GRAPH ?g {{ ?t a wt:Track ; rdfs:label ?l }} "
                        f"FILTER(STR(?l) = {Literal(text).n3()}) }}").rows
    if len(rows) != 1:
        raise click.ClickException(f"{text}: {'no track' if not rows else 'several tracks'} with that path, IRI or id")
    return URIRef(rows[0][0])


def _is_file(text: str) -> bool:
    """Whether `text` names an existing file (False for text no file can be named, e.g. with a NUL)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--base", default=DEFAULT_BASE, show_default=True,
              help="IRI base whose IRIs are served by path (<BASE>track/… at /track/…); others at /resource?iri=.")
@click.option("--query-timeout", default=10.0, show_default=True, help="Seconds one query may run (0: no limit).")
@click.option("--max-results", default=100_000, show_default=True, help="Rows or triples one query may return.")
@click.option("--cache-mb", default=64.0, show_default=True,
              help="Memory for query answers kept until the next update (0: answer every query afresh).")
@click.option("--update-token", envvar="WHYTAG_UPDATE_TOKEN",
              help="Allow SPARQL Update to clients sending this bearer token (default: read-only). "
                   "Env: WHYTAG_UPDATE_TOKEN.")
@click.pass_context
def serve(ctx, host: str, port: int, base: str, query_timeout: float, max_results: int, cache_mb: float,
          update_token: str | None) -> None:
    """Serve the store over HTTP: a SPARQL 1.1 endpoint at /sparql and a page for every track, tag and rule."""
    try:
        import uvicorn

        from whytag.serve.app import Settings, create_app
        from whytag.serve.sparql import Limits
    except ImportError as err:
        raise click.ClickException(f"whytag serve needs the 'serve' extra (pip install 'whytag[serve]'): {err}") from None
    with _store(ctx, write=True) as store:  # held for writing, so updates sent with the token can go in
        try:
            app = create_app(store, Settings(Limits(query_timeout, max_results), update_token or None, base, cache_mb))
        except ValueError as err:
            raise click.ClickException(str(err)) from None
        url = f"http://{host}:{port}/"
        click.echo(f"serving {store.location} at {url} (SPARQL at /sparql; "
                   f"{'updates with the bearer token' if update_token else 'read-only'})")
        note = serving_note(store.location)
        note.write_text(url + "\n", encoding="utf-8")
        # uvicorn re-raises SIGTERM after its graceful shutdown; exit through `finally` so the note goes too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning")
        finally:
            note.unlink(missing_ok=True)


@main.command(name="eval")
@click.argument("dataset", required=False)
@click.option("--root", type=click.Path(exists=True), help="The dataset's folder (with DATASET).")
@click.option("--dataset-option", "dataset_options", multiple=True, metavar="KEY=VALUE",
              help="Loader option, e.g. split=filtered (GTZAN) or subset=top50tags (Jamendo).")
@click.option("--features", "features_file", type=click.Path(exists=True, dir_okay=False),
              help="Feature table (one row per track). With DATASET and no table, the audio is extracted.")
@click.option("--test", "test_file", type=click.Path(exists=True, dir_okay=False), help="Separate test table.")
@click.option("--split", default=0.8, show_default=True, help="Training fraction when no --test is given.")
@click.option("--seed", default=4, show_default=True, help="Split seed (4 is the paper's GTZAN split).")
@click.option("--label-columns", help="Comma-separated label columns of the table (without DATASET).")
@click.option("--id-column", help="Id column (default: the first column).")
@click.option("--learners", "learner_names", help="Comma-separated subset of learners (default: all).")
@click.option("--time-budget", default=120.0, show_default=True, metavar="SECONDS",
              help="Without --learners, skip each learner but the default whose fit, estimated by first fitting "
              "one tag, would take longer (0: no limit). Learners named in --learners always run.")
@click.option("--metrics-json", type=click.Path(dir_okay=False), help="Write learner → metric → value here.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False),
              help="Write a Markdown report with plots here (default with DATASET: whytag-report-DATASET).")
@click.pass_context
def evaluate_command(ctx, dataset, root, dataset_options, features_file, test_file, split, seed, label_columns,
                     id_column, learner_names, time_budget, metrics_json, report_dir):
    """Fit every learner and the black-box baselines on one split; print and save their scores.

    Either a feature table with --label-columns (split at random, or with --test), or a DATASET
    (gtzan, mtat, jamendo, csv) with --root, scored on its official split. Each learner's fit time is
    written to stderr as it finishes; learners too slow for the data are skipped unless named.
    """
    from whytag.evaluate import results_json, results_table
    from whytag.reasoning.learners import registry

    known = registry()
    names = learner_names.split(",") if learner_names else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.ClickException(f"unknown learner(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    learners = {n: known[n]() for n in names}
    budgets = {n: time_budget for n in names[1:]} if not learner_names and time_budget > 0 else {}

    def progress(name: str, i: int, n: int, result) -> None:
        """One stderr line per learner: its name as it starts, then its fit time or why it was skipped."""
        if result is None:
            click.echo(f"fitting {name} ({i}/{n}) … ", nl=False, err=True)
        elif result.skipped:
            click.echo(f"skipped, {result.skipped}; run it with --learners {name}, or --time-budget 0", err=True)
        else:
            estimate = "" if result.estimated_seconds is None else f" (estimated {result.estimated_seconds:.0f} s)"
            click.echo(f"{result.fit_seconds:.1f} s{estimate}", err=True)

    if dataset:
        results = _evaluate_dataset(ctx, dataset, root, dataset_options, features_file, id_column, learners,
                                    report_dir or f"whytag-report-{dataset}", progress, budgets)
    else:
        if not features_file or not label_columns:
            raise click.UsageError("give a DATASET with --root, or --features with --label-columns")
        results = _evaluate_table(features_file, test_file, split, seed, label_columns.split(","), id_column,
                                  learners, report_dir, progress, budgets)
    click.echo(results_table(results))
    if metrics_json:
        import json

        Path(metrics_json).write_text(json.dumps(results_json(results), indent=2) + "\n")
        click.echo(f"wrote {metrics_json}", err=True)


def _evaluate_table(features_file, test_file, split, seed, columns, id_column, learners, report_dir, progress,
                    budgets):
    """Scores of the learners and baselines on a feature table's random (or given) split."""
    from sklearn.model_selection import train_test_split

    from whytag.evaluate import baselines, evaluate
    from whytag.kg.tables import TableError, labels_from, numeric_features, read_table

    try:
        train = read_table(features_file, id_column)
        X, Y = numeric_features(train, exclude=columns), labels_from(train, columns)
        if test_file:
            test = read_table(test_file, id_column)
            X_train, Y_train = X, Y
            X_test, Y_test = numeric_features(test, exclude=columns)[X.columns], labels_from(test, columns)
        else:
            X_train, X_test, Y_train, Y_test = train_test_split(X, Y, train_size=split, random_state=seed)
    except (TableError, KeyError) as err:
        raise click.ClickException(f"{features_file}: {err}") from None
    single = Y.ndim == 1
    kind = "single-label" if single else f"multi-label, {Y.shape[1]} tags"
    click.echo(f"{len(X_train)} training and {len(X_test)} test tracks, {X.shape[1]} features, {kind}", err=True)
    results = evaluate(learners | baselines(single), X_train, Y_train, X_test, Y_test, progress, budgets)
    if report_dir:
        from whytag.reasoning.report import write_report

        first = next(iter(learners), "")
        path = write_report(report_dir, results, learners.get(first), X_test, Y_test, Path(features_file).stem,
                            model_name=first)
        click.echo(f"report: {path}", err=True)
    return results


def _evaluate_dataset(ctx, name, root, options, features_file, id_column, learners, report_dir, progress,
                      budgets):
    """Scores on a dataset's official split: features from a table, or extracted from its audio into the store."""
    from whytag.datasets import DatasetError, open_dataset
    from whytag.kg.tables import TableError, numeric_features, read_table
    from whytag.reasoning.report import evaluate_dataset

    if not root:
        raise click.UsageError("DATASET needs --root (the folder holding it)")
    try:
        dataset = open_dataset(name, root, **dict(o.split("=", 1) for o in options))
        tracks = {}
        if features_file:
            table = read_table(features_file, id_column)
            X = numeric_features(table, exclude=[c for c in table.columns if c in set(dataset.vocabulary)])
        else:
            X, tracks = _dataset_features(ctx, dataset)
        results, report = evaluate_dataset(dataset, X, learners, report_dir, progress=progress, budgets=budgets)
    except (DatasetError, TableError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"report: {report}", err=True)
    if tracks:  # the audio is in the store: tag its test part there too, so `whytag explain` works on it
        _tag_test_part(ctx, dataset, learners, tracks)
    return results


def _tag_test_part(ctx, dataset, learners, tracks) -> None:
    """Store the first learner's rules as model set eval-DATASET and tag the test tracks with it."""
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.rules import ModelInfo, write_models

    name, learner = next(iter(learners.items()))
    info = ModelInfo(f"eval-{dataset.name}", dataset.name, name, f"{dataset.name} train part", dataset.single_label)
    test = [tracks[i] for i in dataset.split("test") if i in tracks]
    with _store(ctx, write=True, create=True) as store:
        write_models(store, info, learner.models_.values())
        assignments = apply_model(store, info.name, tracks=test)
    click.echo(f"tagged the {len(test)} test tracks in the store with model set '{info.name}' "
               f"({sum(a.predicted for a in assignments)} tags); try `whytag explain PATH`", err=True)


def _dataset_features(ctx, dataset):
    """Ingest and extract the dataset's audio into the store; features by track id, and id → track IRI."""
    from whytag.kg.extraction import extract_tracks
    from whytag.kg.ingest import ingest as run_ingest
    from whytag.kg.mapping import feature_table

    ids = sorted({i for part in dataset.parts for i in dataset.split(part)})
    paths = {str(dataset.audio_path(i).resolve()): i for i in ids}
    with _store(ctx, write=True, create=True) as store:
        report = run_ingest(store, list(paths), progress=True)
        tracks = {str(t): paths[info.path] for t, info in report.tracks if info.path in paths}
        extracted = extract_tracks(store, tracks=[URIRef(t) for t in tracks])
        table = feature_table(store)
    for failure in report.failures + extracted.failures:
        click.echo(f"  failed: {failure}", err=True)
    table = table.loc[[t for t in table.index if t in tracks]]
    return table.rename(index=tracks).dropna(axis=1, how="any"), {i: URIRef(t) for t, i in tracks.items()}


@main.group()
def train() -> None:
    """Train whytag's own networks (needs the [dnn] extra: torch)."""


@train.command(name="midlevel")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Weights file (default: the one the extractor loads).")
@click.option("--epochs", default=30, show_default=True, help="Most epochs (training stops early).")
def train_midlevel_command(dataset_dir: str, out: str | None, epochs: int) -> None:
    """Train the mid-level perceptual network on the Aljanaki & Soleymani dataset in its published layout."""
    try:
        from whytag.extractors.midlevel import DEFAULT_WEIGHTS, DatasetError, train_midlevel
    except ImportError as err:
        raise click.ClickException(f"training needs torch: pip install 'whytag[dnn]' ({err})") from None
    try:
        train_midlevel(dataset_dir, out_path=out or DEFAULT_WEIGHTS, epochs=epochs)
    except DatasetError as err:
        raise click.ClickException(str(err)) from None


@main.command()
@click.option("--out", default="whytag-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated audio, the demo's store and its export.")
@click.option("--clips", default=16, show_default=True, help="How many clips to generate (at least 8).")
@click.option("--learner", default="boosted-linear", show_default=True, help="Rule learner to use.")
def demo(out: str, clips: int, learner: str) -> None:
    """Generate demo audio and run the whole pipeline on it, offline: ingest, extract, learn, tag, explain."""
    from whytag.datasets.demo import write_demo
    from whytag.kg.export import export as run_export
    from whytag.kg.extraction import extract_tracks
    from whytag.kg.ingest import ingest as run_ingest
    from whytag.kg.tables import labels_from, read_table
    from whytag.kg.validate import validate_store
    from whytag.reasoning.explain import explain as run_explain
    from whytag.reasoning.reasoner import apply_model
    from whytag.reasoning.training import learn as run_learn, resolve_tracks

    if clips < 8:
        raise click.UsageError("--clips must be at least 8 (the learner needs examples of every tag)")
    folder = Path(out)
    labels = write_demo(folder, n=clips)
    click.echo(f"1. generated {clips} clips in {folder / 'audio'} (labels: {labels})")
    with open_store(folder / "graph") as store:
        report = run_ingest(store, [folder / "audio"], progress=False)
        count = store.select("SELECT (COUNT(?t) AS ?n) WHERE { ?t a wt:Track }").rows[0][0]
        click.echo(f"2. ingested {len(report.tracks)} tracks; SPARQL: SELECT (COUNT(?t) AS ?n) WHERE {{ ?t a wt:Track }} → {count}")
        extracted = extract_tracks(store, ("signal", "symbolic"), progress=False)
        click.echo(f"3. extracted {sum(extracted.done.values())} feature values (signal + symbolic)")
        failures = report.failures + extracted.failures
        if failures:
            raise click.ClickException("demo failed: " + "; ".join(failures))
        table = read_table(labels)
        Y = labels_from(table, ["tags"])
        ids = resolve_tracks(store, table.index, labels.resolve().parent, None)
        summary = run_learn(store, Y, ids, learner, "demo", "demo-moods", labels.name)
        click.echo(f"4. learned {summary.rules} rules and {summary.linear_terms} linear terms ({learner}) for "
                   f"{', '.join(Y.columns)}; "
                   f"training label agreement {summary.training_score:.2f}")
        assignments = apply_model(store, "demo")
        truth = {(ids[i], tag) for i, row in Y.iterrows() for tag in Y.columns if row[tag]}
        agree = sum(a.predicted == ((a.track, a.notation) in truth) for a in assignments) / len(assignments)
        click.echo(f"5. tagged {len({a.track for a in assignments})} tracks inside the store; "
                   f"{agree:.0%} of {len(assignments)} tag decisions match the labels")
        first = sorted(ids)[0]
        click.echo(f"6. whytag explain {folder / first}")
        for explanation in run_explain(store, ids[first]):
            if explanation.predicted:
                click.echo("   " + explanation.text(top=3).replace("\n", "\n   "))
        violations = validate_store(store)
        click.echo(f"7. SHACL validation: {'conforms' if not violations else f'{len(violations)} violation(s)'}")
        (folder / "graph.ttl").write_bytes(run_export(store, "turtle"))
        click.echo(f"8. exported the graph to {folder / 'graph.ttl'}")
    click.echo(f"Try: whytag --store {folder / 'graph'} explain {folder / first}")
    if violations:
        raise click.ClickException("the demo graph does not conform to the shapes")
