"""The evaluation report on small synthetic problems with hand-made rule models."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from whytag.datasets import DatasetError, open_dataset
from whytag.evaluation import Result, evaluate_dataset, score, write_report
from whytag.reasoning.model import Condition, Rule, TagModel


class HandModel:
    """A fixed rule model with whytag's learner interface (fit does nothing)."""

    def __init__(self, models: dict[str, TagModel], single_label: bool):
        self.models_ = models
        self.single_label = single_label

    def fit(self, X, Y) -> HandModel:
        return self

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({tag: m.score(X) for tag, m in self.models_.items()}, index=X.index)

    def predict(self, X: pd.DataFrame):
        proba = self.predict_proba(X)
        return proba.idxmax(axis=1) if self.single_label else (proba >= 0.5).astype(int)


def genre_model() -> HandModel:
    bright = Condition("Spectral-Centroid", ">=", 2000.0)
    fast = Condition("BPM", ">=", 120.0)
    return HandModel({
        "metal": TagModel("metal", -2.0, [Rule("metal", (bright, fast), 4.0, support=30, precision=0.9)]),
        "jazz": TagModel("jazz", -1.0, [Rule("jazz", (Condition("Spectral-Centroid", "<", 2000.0),), 2.0,
                                             support=25, precision=0.7)]),
        "pop": TagModel("pop", 0.0, [Rule("pop", (fast,), 0.5, support=40, precision=0.5)]),
    }, single_label=True)


def synthetic(n: int = 40, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"Spectral-Centroid": rng.uniform(1000, 3000, n), "BPM": rng.uniform(60, 180, n)},
                     index=[f"t{i:02d}" for i in range(n)])
    y = np.where(X["Spectral-Centroid"] < 2000, "jazz", np.where(X["BPM"] >= 120, "metal", "pop"))
    flip = rng.random(n) < 0.2
    return X, pd.Series(np.where(flip, "pop", y), index=X.index)


def test_single_label_report_has_scores_confusion_rules_and_plots(tmp_path):
    X, y = synthetic()
    model = genre_model()
    results = [score("hand-rules", model, X, y, 0.01),
               Result("xgboost (paper)", {"accuracy": 0.5, "macro_f1": 0.4}, 1.5)]
    report = write_report(tmp_path / "report", results, model, X, y, "gtzan", model_name="hand-rules")
    text = report.read_text()
    for png in ("per_tag.png", "confusion.png", "features.png"):
        assert (report.parent / png).stat().st_size > 1000 and f"]({png})" in text
    assert f"{results[0].metrics['accuracy']:.3f}" in text and "| xgboost (paper) | 0.500 | 0.400 |" in text
    assert "| paper (Lyberatos et al., IEEE Access 2025), published | 0.790 |" in text
    confusion = text.split("## Confusion matrix")[1].split("##")[0]
    rows = [line for line in confusion.splitlines() if re.match(r"\| (jazz|metal|pop) \|", line)]
    counts = [[int(c) for c in line.strip("|").split("|")[1:]] for line in rows]
    assert len(counts) == 3 and sum(map(sum, counts)) == len(X)
    assert "IF Spectral-Centroid >= 2000 and BPM >= 120 THEN metal (+4.000)" in text
    assert "| Spectral-Centroid | 2 |" in text and "| BPM | 2 |" in text
    assert "### jazz" in text and "Intercept (base rate, as a logit): -1.000" in text


def test_multi_label_report_uses_roc_auc_and_the_jamendo_reference(tmp_path):
    X, y = synthetic(seed=1)
    Y = pd.DataFrame({"happy": (X["BPM"] >= 120).astype(int), "sad": (X["BPM"] < 90).astype(int)})
    fast, slow = Condition("BPM", ">=", 120.0), Condition("BPM", "<", 90.0)
    model = HandModel({"happy": TagModel("happy", -1.0, [Rule("happy", (fast,), 2.0)]),
                       "sad": TagModel("sad", -1.0, [Rule("sad", (slow,), 2.0)])}, single_label=False)
    report = write_report(tmp_path, [score("hand", model, X, Y, 0.0)], model, X, Y, "jamendo-moodtheme")
    text = report.read_text()
    assert "| paper (Lyberatos et al., IEEE Access 2025), published | 0.729 |" in text
    assert "| happy | 1.000 | 1.000 | " in text  # the rule is the truth: ROC-AUC and PR-AUC 1
    assert (tmp_path / "per_tag.png").exists() and not (tmp_path / "confusion.png").exists()
    assert "Confusion" not in text


def test_evaluate_dataset_fits_on_the_split_and_reports(tmp_path):
    X, y = synthetic(n=60)
    listing = tmp_path / "genres.csv"
    listing.write_text("path,tag\n" + "".join(f"{i}.wav,{label}\n" for i, label in y.items()))
    dataset = open_dataset("csv", listing)
    with pytest.raises(DatasetError, match="feature ids look like t00, t01, t02; track ids like t"):
        evaluate_dataset(dataset, X, {}, tmp_path / "out")
    features = X.rename(index=lambda i: f"{i}.wav").drop(index=["t00.wav", "t01.wav"])  # left out, and said so
    results, report = evaluate_dataset(dataset, features, {"hand-rules": genre_model()}, tmp_path / "out")
    assert [r.learner for r in results] == ["hand-rules", "xgboost (paper)", "logistic-regression"]
    text = report.read_text()
    assert "of the 48 train tracks have no features" in text or "of the 12 test tracks have no features" in text
    assert "## Rules per tag" in text and (tmp_path / "out" / "confusion.png").exists()


def test_paper_numbers_are_found_for_datasets_and_tables_named_after_them():
    from whytag.evaluation import paper_numbers

    assert paper_numbers("gtzan") == paper_numbers("gtzan_perceptual_features") == {"accuracy": 0.79}
    assert paper_numbers("jamendo_moodtheme_dev") == {"roc_auc": 0.729}
    assert paper_numbers("mtat") is None
