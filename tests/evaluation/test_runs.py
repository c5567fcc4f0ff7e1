"""Whole evaluations: their user errors are WhytagErrors that name the file or dataset at fault."""

from __future__ import annotations

import pandas as pd
import pytest

from whytag import WhytagError
from whytag.datasets import DatasetError
from whytag.evaluation import evaluate_on_dataset, evaluate_table
from whytag.kg.tables import TableError


def fail(*_) -> None:
    """A store opener or note that no failing run may reach."""
    raise AssertionError("reached")


def test_a_test_table_without_the_training_features_is_a_table_error_naming_the_file(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    pd.DataFrame({"id": ["a", "b"], "bpm": [90.0, 140.0], "fast": [0, 1]}).to_csv(train, index=False)
    pd.DataFrame({"id": ["c"], "loudness": [-9.0], "fast": [1]}).to_csv(test, index=False)
    with pytest.raises(TableError, match=r"train\.csv: its feature\(s\) BPM are not in .*test\.csv"):  # bpm → BPM
        evaluate_table(str(train), str(test), 0.8, 0, ["fast"], None, {}, None, fail, {}, fail)


def test_an_unknown_dataset_is_a_dataset_error_and_a_user_error(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset 'nope'") as caught:
        evaluate_on_dataset("nope", str(tmp_path), {}, None, None, {}, str(tmp_path / "report"), fail, {}, fail, fail)
    assert isinstance(caught.value, WhytagError) and isinstance(caught.value, ValueError)
