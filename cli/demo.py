"""`whytag demo`: the whole pipeline on generated audio, offline."""

from __future__ import annotations

from pathlib import Path

import click

from whytag.pipeline import MIN_CLIPS
from whytag.pipeline import demo as run_demo
from whytag.reasoning.learners import DEFAULT_LEARNER


@click.command()
@click.option("--out", default="whytag-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the generated audio, the demo's store and its export.")
@click.option("--clips", default=16, show_default=True, help="How many clips to generate (at least 8).")
@click.option("--learner", default=DEFAULT_LEARNER, show_default=True, help="Rule learner to use.")
def demo(out: str, clips: int, learner: str) -> None:
    """Generate demo audio and run the whole pipeline on it, offline: ingest, extract, learn, tag, explain."""
    if clips < MIN_CLIPS:
        raise click.UsageError("--clips must be at least 8 (the learner needs examples of every tag)")
    for line in run_demo(Path(out), clips, learner):
        click.echo(line)
