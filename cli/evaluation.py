"""`whytag eval`: every learner beside the black-box baselines on one split, scores printed and a report written."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import click

from whytag.cli.group import command_store
from whytag.evaluation import Result, evaluate_on_dataset, evaluate_table, results_json, results_table
from whytag.reasoning.learners import registry


def progress(name: str, i: int, n: int, result: Result | None) -> None:
    """One stderr line per learner: its name as it starts, then its fit time or why it was skipped."""
    if result is None:
        click.echo(f"fitting {name} ({i}/{n}) … ", nl=False, err=True)
    elif result.skipped:
        click.echo(f"skipped, {result.skipped}; run it with --learners {name}, or --time-budget 0", err=True)
    else:
        estimate = "" if result.estimated_seconds is None else f" (estimated {result.estimated_seconds:.0f} s)"
        click.echo(f"{result.fit_seconds:.1f} s{estimate}", err=True)


def note(line: str) -> None:
    """A line for people, on stderr so that stdout holds only the scores."""
    click.echo(line, err=True)


def writable_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The option's file path, refused before any fitting when its folder is missing or read-only (it was an
    internal error after every learner had run)."""
    folder = Path(value).parent if value else None
    if folder is not None and not (folder.is_dir() and os.access(folder, os.W_OK)):
        raise click.BadParameter(f"{value}: cannot write there ({folder} is "
                                 f"{'not a folder' if not folder.is_dir() else 'read-only'})", ctx, param)
    return value


def loader_options(options: tuple[str, ...]) -> dict[str, str]:
    """--dataset-option KEY=VALUE pairs as a dict."""
    try:
        return dict(o.split("=", 1) for o in options)
    except ValueError as err:  # an option without '='
        raise click.ClickException(str(err)) from None


@click.command(name="eval")
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
@click.option("--metrics-json", type=click.Path(dir_okay=False), callback=writable_file,
              help="Write learner → metric → value here.")
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
    known = registry()
    names = learner_names.split(",") if learner_names else list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.ClickException(f"unknown learner(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    learners = {n: known[n]() for n in names}
    budgets = {n: time_budget for n in names[1:]} if not learner_names and time_budget > 0 else {}
    if dataset:
        if not root:
            raise click.UsageError("DATASET needs --root (the folder holding it)")
        results = evaluate_on_dataset(dataset, root, loader_options(dataset_options), features_file, id_column,
                                      learners, report_dir or f"whytag-report-{dataset}", progress, budgets,
                                      partial(command_store, ctx, write=True, create=True), note)
    else:
        if not features_file or not label_columns:
            raise click.UsageError("give a DATASET with --root, or --features with --label-columns")
        results = evaluate_table(features_file, test_file, split, seed, label_columns.split(","), id_column,
                                 learners, report_dir, progress, budgets, note)
    click.echo(results_table(results))
    if metrics_json:
        Path(metrics_json).write_text(json.dumps(results_json(results), indent=2) + "\n")
        click.echo(f"wrote {metrics_json}", err=True)
