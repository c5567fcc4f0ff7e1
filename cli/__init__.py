"""The `whytag` command: thin commands (parse, call the room that does the work, print), grouped by theme."""

from whytag.cli.data import extract, ingest
from whytag.cli.demo import demo
from whytag.cli.evaluation import evaluate_command
from whytag.cli.graph import export, query, validate
from whytag.cli.group import main
from whytag.cli.models import explain, learn, models, tag, train
from whytag.cli.serve import serve

for command in (ingest, extract, query, validate, export, learn, tag, explain, models, serve, evaluate_command, train,
                demo):
    main.add_command(command)

__all__ = ["main"]

