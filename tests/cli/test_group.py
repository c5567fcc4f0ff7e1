"""The command group: every command answers --help."""

from __future__ import annotations

from cli_run import whytag


def test_every_command_has_help():
    for command in ["ingest", "extract", "query", "validate", "export", "learn", "tag", "explain", "eval", "demo",
                    "train midlevel"]:
        out = whytag(*command.split(), "--help").stdout
        assert "Usage:" in out and "--help" in out
