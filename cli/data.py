"""Commands that bring audio into the graph: `ingest` (files → tracks) and `extract` (audio → feature values)."""

from __future__ import annotations

from collections.abc import Callable

import click
from rdflib import URIRef

from whytag.cli.group import command_store, echo_failures
from whytag.extractors.cluster import SCHEDULER_TIMEOUT, check_scheduler
from whytag.kg.ingest import ingest as ingest_files
from whytag.kg.iris import DEFAULT_BASE, checked_iri
from whytag.kg.store import GraphStore
from whytag.kg.tables import names

SCHEDULER_HELP = ("Extract on this Dask cluster's workers instead of local processes (pip install 'whytag[cluster]'). "
                  "They read the audio at the paths the store records, so they must see the same files (shared "
                  "storage); they only compute, and this process writes the graph.")


def cluster_options(command: Callable) -> Callable:
    """--scheduler and --scheduler-timeout, the same on `ingest --extract` and `extract`."""
    command = click.option("--scheduler-timeout", default=SCHEDULER_TIMEOUT, show_default=True, metavar="SECONDS",
                           type=click.FloatRange(min=0, min_open=True),
                           help="Seconds to reach the scheduler, and again for its first worker.")(command)
    return click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP)(command)


def check_cluster(scheduler: str | None, workers: int | None, timeout: float) -> None:
    """Refuse --workers beside --scheduler, and stop before anything is written if the cluster cannot be used."""
    if scheduler is None:
        return
    if workers is not None:
        raise click.UsageError("--workers and --scheduler exclude each other: the Dask cluster's workers extract")
    check_scheduler(scheduler, timeout)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--features", "features_path", type=click.Path(exists=True), metavar="PATH",
              help="Record tracks without audio from feature values: a CSV/TSV table (an id column, then the "
                   "paper's feature columns), an Essentia MusicExtractor / AcousticBrainz JSON file, or a folder "
                   "of them.")
@click.option("--metadata", "metadata_path", type=click.Path(exists=True, dir_okay=False), metavar="TABLE",
              help="Set recorded tracks' catalog metadata from a CSV/TSV table, for files without tags: a track "
                   "column (track, path, file or iri: an IRI, an audio path, a file name or a row id), then any of "
                   "title, artist, album, albumartist, tracknumber, date, genre, isrc, musicbrainz_recordingid, "
                   "musicbrainz_releaseid, musicbrainz_artistid (several artists: 'A; B'). Empty cells change nothing.")
@click.option("--base", default=DEFAULT_BASE, show_default=True, help="IRI prefix for instance data.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--extract", "then_extract", is_flag=True, help="Also extract features from the ingested files.")
@click.option("--groups", default="signal,symbolic", show_default=True, help="Extractor groups for --extract.")
@click.option("--workers", type=int, help="Extraction processes (default: one per core).")
@cluster_options
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], features_path: str | None, metadata_path: str | None,
           base: str, quiet: bool, then_extract: bool, groups: str, workers: int | None, scheduler: str | None,
           scheduler_timeout: float) -> None:
    """Record audio files (wav, flac, ogg, mp3, au; folders are walked) as tracks in the graph, with the title,
    artists, album and MusicBrainz ids their own tags give."""
    checked_iri(base, "--base")
    if metadata_path is not None:
        if paths or then_extract or features_path is not None:
            raise click.UsageError("--metadata sets recorded tracks' names: give no PATHS, --features or --extract")
        ingest_metadata(ctx, metadata_path, base)
        return
    if features_path is not None:
        if paths or then_extract:
            raise click.UsageError("--features records tracks from feature values: give no audio PATHS or --extract")
        ingest_feature_values(ctx, features_path, base)
        return
    if not paths:
        raise click.UsageError("give audio PATHS, or --features PATH")
    if scheduler is not None and not then_extract:
        raise click.UsageError("--scheduler runs the extraction: give --extract too")
    check_cluster(scheduler, workers, scheduler_timeout)
    with command_store(ctx, write=True, create=True) as store:
        report = ingest_files(store, paths, base=base, progress=not quiet)
        click.echo(f"ingested {len(report.tracks)} file(s) as {len({t for t, _ in report.tracks})} track(s); "
                   f"{len(report.failures)} failed")
        for line in report.changed + report.notes:
            click.echo(f"  note: {line}", err=True)
        failures = list(report.failures)
        if then_extract and report.tracks:
            failures += extract_and_report(store, groups, [t for t, _ in report.tracks], workers, quiet,
                                           scheduler=scheduler, scheduler_timeout=scheduler_timeout)
    echo_failures(ctx, failures)


def ingest_feature_values(ctx: click.Context, path: str, base: str) -> None:
    """`ingest --features`: record the tracks, name the table columns left out and the files that failed."""
    with command_store(ctx, write=True, create=True) as store:
        from whytag.kg.feature_files import ingest_features  # Essentia's descriptor names: see extract_and_report

        report = ingest_features(store, path, base=base)
    click.echo(f"recorded {len(report.tracks)} track(s) from {path}; {len(report.failures)} file(s) failed")
    echo_unknown_columns(path, report.unknown)
    echo_failures(ctx, report.failures)


def ingest_metadata(ctx: click.Context, path: str, base: str) -> None:
    """`ingest --metadata`: write the rows' metadata, name the columns left out and the rows that failed."""
    from whytag.kg.metadata_table import import_metadata

    with command_store(ctx, write=True) as store:
        report = import_metadata(store, path, base=base)
    click.echo(f"set the metadata of {report.written} track(s) from {path}; {len(report.failures)} problem(s)")
    echo_unknown_columns(path, report.unknown)
    echo_failures(ctx, report.failures)


def echo_unknown_columns(path: str, unknown: list[str]) -> None:
    """Name a table's columns whytag does not know (left out, not an error: the rest of the table is recorded)."""
    if unknown:
        click.echo(f"  note: {path}: {len(unknown)} unknown column(s) not recorded: {names(unknown)}", err=True)


def extract_and_report(store: GraphStore, groups: str, tracks: list[URIRef] | None, workers: int | None,
                       quiet: bool, scheduler: str | None = None,
                       scheduler_timeout: float = SCHEDULER_TIMEOUT) -> list[str]:
    """Extract (here, or on the Dask cluster at `scheduler`) and say how it went; returns the failure lines."""
    chosen = tuple(g.strip() for g in groups.split(",") if g.strip())
    # Imported here: the extractors load Essentia and SciPy's signal module (~3 s), which a plain `ingest` (or
    # one waiting for another command's lock) never uses.
    from whytag.kg.extraction import extract_tracks

    report = extract_tracks(store, chosen, tracks, workers=workers, progress=not quiet, scheduler=scheduler,
                            scheduler_timeout=scheduler_timeout)
    values = sum(report.done.values())
    click.echo(f"extracted {values} feature values ({', '.join(chosen)}) from {len(report.done)} track(s); "
               f"{len(report.failures)} failed")
    return report.failures


@click.command()
@click.option("--groups", default="signal,symbolic", show_default=True,
              help="Comma-separated extractor groups: signal, symbolic, dnn.")
@click.option("--workers", type=int, help="Processes (default: one per core).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@cluster_options
@click.pass_context
def extract(ctx: click.Context, groups: str, workers: int | None, quiet: bool, scheduler: str | None,
            scheduler_timeout: float) -> None:
    """Extract features from every ingested track's audio into the graph (re-running replaces them)."""
    check_cluster(scheduler, workers, scheduler_timeout)
    with command_store(ctx, write=True) as store:
        failures = extract_and_report(store, groups, None, workers, quiet, scheduler=scheduler,
                                      scheduler_timeout=scheduler_timeout)
    echo_failures(ctx, failures)
