"""The command group: every command answers --help."""

from __future__ import annotations

from cli_run import whytag


def test_every_command_has_help():
    for command in ["ingest", "extract", "query", "validate", "export", "learn", "tag", "explain", "eval", "demo",
                    "models", "models build", "serve", "train midlevel"]:
        out = whytag(*command.split(), "--help").stdout
        assert "Usage:" in out and "--help" in out


def test_a_negative_count_is_refused_before_anything_runs(tmp_path):
    """`explain --top -1` printed every reason but the last under "(the -1 shown hold 99% …)"."""
    result = whytag("explain", "anything", "--top", "-1", store=tmp_path / "none", check=False)
    assert result.returncode == 2 and "Invalid value for '--top': -1 is not in the range x>=0" in result.stderr
