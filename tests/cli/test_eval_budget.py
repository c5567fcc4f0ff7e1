"""`whytag eval`'s progress and time budget on a small slice of the real Jamendo table (../shared/data)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from cli_run import whytag
from whytag_testing import shared_table

from whytag.evaluation import evaluate
from whytag.reasoning.learners import registry

ROWS, TAGS = 300, 3


@pytest.fixture(scope="module")
def jamendo_slice() -> tuple[pd.DataFrame, list[str]]:
    """The first 300 Jamendo tracks with their features and their 3 commonest tags."""
    table = pd.read_csv(shared_table("jamendo_moodtheme_dev.csv")).iloc[:ROWS]
    tags = [c for c in table.columns if c not in ("Track", "Vocal-Instrumental") and set(table[c]) <= {0, 1}]
    kept = list(table[tags].sum().nlargest(TAGS).index)
    return table.drop(columns=[t for t in tags if t not in kept]), kept


@pytest.fixture
def table_file(tmp_path, jamendo_slice) -> tuple[str, str]:
    table, tags = jamendo_slice
    path = tmp_path / "jamendo.csv"
    table.to_csv(path, index=False)
    return str(path), ",".join(tags)


def progress_lines(stderr: str) -> dict[str, str]:
    """learner → what its progress line says after the `…` (a fit time, or why it was skipped)."""
    found = re.findall(r"^fitting (.+) \((\d+)/(\d+)\) … (.*)$", stderr, re.MULTILINE)
    return {name: rest for name, _, _, rest in found}


def test_progress_names_every_learner_with_its_time_and_named_learners_ignore_the_budget(table_file):
    path, tags = table_file
    result = whytag("eval", "--features", path, "--label-columns", tags, "--learners", "boosted,ripper,dl",
                    "--time-budget", "0.001")
    lines = progress_lines(result.stderr)
    assert list(lines) == ["boosted", "ripper", "dl", "xgboost (paper)", "logistic-regression"]
    assert all(re.fullmatch(r"\d+\.\d s", rest) for rest in lines.values()), lines
    assert "(2/5)" in result.stderr and "skipped" not in result.stderr + result.stdout


def test_learners_estimated_over_the_budget_are_skipped_and_named(table_file, tmp_path):
    path, tags = table_file
    metrics = tmp_path / "metrics.json"
    result = whytag("eval", "--features", path, "--label-columns", tags, "--time-budget", "0.001",
                    "--metrics-json", str(metrics))
    lines = progress_lines(result.stderr)
    default, *slow = registry()  # the default learner always runs; the tiny budget skips every other one
    assert list(lines) == [default, *slow, "xgboost (paper)", "logistic-regression"]
    for name in slow:
        assert lines[name].startswith("skipped, estimated over 0.001 s: 3 tags, and one alone took over")
        assert lines[name].endswith(f"run it with --learners {name}, or --time-budget 0")
    for name in [default, "xgboost (paper)", "logistic-regression"]:  # the baselines always run too
        assert re.fullmatch(r"\d+\.\d s", lines[name])
    rows = {line.split("  ")[0]: line for line in result.stdout.splitlines()}
    assert rows["ebm"].split()[-1] == "skipped" and rows[default].split()[-1] != "skipped"
    scores = json.loads(metrics.read_text())
    assert scores["ebm"] == {"skipped": lines["ebm"].removeprefix("skipped, ").split(";")[0]}
    assert scores[default]["roc_auc"] > 0.5 and "estimated_seconds" not in scores[default]


def test_a_learner_within_its_budget_runs_and_one_far_over_it_is_stopped_early(jamendo_slice, monkeypatch):
    table, tags = jamendo_slice
    X, Y = table.drop(columns=["Track", *tags]), table[tags]
    learners = {"boosted": registry()["boosted"](), "ebm": registry()["ebm"]()}
    ebm_class, ended = type(learners["ebm"]), []
    fit = ebm_class.fit

    def fit_to_its_end(self, *args, **kwargs):
        fitted = fit(self, *args, **kwargs)
        ended.append(self)
        return fitted
    monkeypatch.setattr(ebm_class, "fit", fit_to_its_end)
    seen = []
    boosted, ebm = evaluate(learners, X.iloc[:240], Y.iloc[:240], X.iloc[240:], Y.iloc[240:],
                            progress=lambda name, i, n, result: seen.append((name, i, n, result)),
                            budgets={"boosted": 600.0, "ebm": 1.0})
    assert ended == []  # one EBM tag alone takes longer than 1/3 s: its probe was stopped there, never ended
    assert boosted.skipped is None and boosted.metrics["roc_auc"] > 0.5 and 0 < boosted.estimated_seconds < 600
    assert ebm.skipped.startswith("estimated over 1 s") and ebm.metrics == {}
    assert not hasattr(learners["ebm"], "models_")  # the probe fitted a copy
    assert [(name, i, n, result is None) for name, i, n, result in seen] == [
        ("boosted", 1, 2, True), ("boosted", 1, 2, False), ("ebm", 2, 2, True), ("ebm", 2, 2, False)]
