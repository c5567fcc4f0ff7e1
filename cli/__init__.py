"""The `whytag` command: thin commands (parse, call the room that does the work, print), grouped by theme.

Each command's module is imported only when the command runs (see `WhytagGroup`), so start-up stays short.
"""

from whytag.cli.group import main

main.lazy.update({
    "ingest": "whytag.cli.data:ingest",
    "extract": "whytag.cli.data:extract",
    "query": "whytag.cli.graph:query",
    "validate": "whytag.cli.graph:validate",
    "export": "whytag.cli.graph:export",
    "learn": "whytag.cli.models:learn",
    "tag": "whytag.cli.models:tag",
    "explain": "whytag.cli.models:explain",
    "models": "whytag.cli.models:models",
    "train": "whytag.cli.models:train",
    "serve": "whytag.cli.serve:serve",
    "eval": "whytag.cli.evaluation:evaluate_command",
    "demo": "whytag.cli.demo:demo",
})

__all__ = ["main"]
