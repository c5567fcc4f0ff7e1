"""A report people can read: scores side by side with the baselines and the paper, per-tag scores,
the confusion matrix, the rules per tag and the features the rules lean on, as Markdown plus PNG plots.

Plots use matplotlib's object API (no pyplot, so no global backend; PNGs render with Agg); without
matplotlib the report is written without them and says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from whytag.evaluation.metrics import Result, is_single_label, multi_label_metrics
from whytag.evaluation.results import SIZE_HEADER, size_cells
from whytag.reasoning.model import TagModel

PAPER_SOURCE = "Lyberatos et al., IEEE Access 2025"
PAPER = {"gtzan": {"accuracy": 0.79}, "jamendo-moodtheme": {"roc_auc": 0.729}}


def paper_numbers(name: str) -> dict[str, float] | None:
    """The paper's published numbers for a dataset or a table named after one (gtzan_perceptual_features)."""
    normal = name.lower().replace("_", "-")
    return next((numbers for key, numbers in PAPER.items() if normal.startswith(key)), None)
MAX_RULES = 15  # rules listed per tag, strongest first; the rest are counted
MAX_FEATURES = 20  # features listed and plotted by how many conditions use them


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""
    def cell(value: object) -> str:
        if isinstance(value, float):
            return "–" if np.isnan(value) else f"{value:.3f}"
        return str(value).replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


def headline(single_label: bool) -> str:
    """The metric a task is judged by: accuracy (single-label) or macro ROC-AUC (multi-label)."""
    return "accuracy" if single_label else "roc_auc"


def comparison(results: list[Result], paper: dict[str, float] | None) -> str:
    """Every learner's metrics as rows, plus the paper's published numbers as the last row."""
    metrics = list(dict.fromkeys(k for r in results for k in r.metrics if not k.startswith("tags_")))
    rows = [[r.learner] + [r.metrics.get(m, "–") for m in metrics] + size_cells(r, "–")
            + [f"skipped ({r.skipped})" if r.skipped else f"{r.fit_seconds:.1f}"] for r in results]
    if paper:
        rows.append([f"paper ({PAPER_SOURCE}), published"] + [paper.get(m, "–") for m in metrics]
                    + ["–"] * (len(SIZE_HEADER) + 1))
    return markdown_table(["learner"] + metrics + SIZE_HEADER + ["fit s"], rows)


def per_tag_scores(model, X_test: pd.DataFrame, Y_test: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Per class precision/recall/F1 and support (single-label), or per tag ROC-AUC and PR-AUC (multi-label)."""
    if is_single_label(Y_test):
        classes = sorted(Y_test.unique())
        p, r, f, n = precision_recall_fscore_support(Y_test, model.predict(X_test), labels=classes, zero_division=0)
        return pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": n}, index=classes)
    _, per_tag = multi_label_metrics(Y_test, model.predict_proba(X_test))
    table = pd.DataFrame.from_dict(per_tag, orient="index")
    table["positives"] = Y_test[table.index].sum().astype(int)
    return table


def feature_use(models: dict[str, TagModel]) -> Counter:
    """How many rule conditions, over all tags, test each feature."""
    return Counter(c.feature for m in models.values() for rule in m.rules for c in rule.conditions)


def rules_section(models: dict[str, TagModel]) -> list[str]:
    """Markdown: per tag its base rate and its rules, strongest (largest |weight|) first."""
    lines = []
    for tag, model in sorted(models.items()):
        lines += [f"### {tag}", "", f"Intercept (base rate, as a logit): {model.intercept:+.3f}; link: {model.link}; "
                  f"{len(model.rules)} rule(s), {model.n_conditions} condition(s), "
                  f"{len(model.linear)} linear term(s).", ""]
        rules = sorted(model.rules, key=lambda rule: -abs(rule.weight))
        if rules:
            lines.append(markdown_table(["rule", "weight", "support", "precision"],
                                        [[str(r), r.weight, r.support, r.precision] for r in rules[:MAX_RULES]]))
        if len(rules) > MAX_RULES:
            lines += ["", f"… and {len(rules) - MAX_RULES} weaker rule(s)."]
        terms = sorted(model.linear, key=lambda term: -abs(term.weight))
        if terms:
            lines += ["", markdown_table(["linear term (logit += coefficient × (value − centre))", "coefficient",
                                          "centre"], [[str(t), t.weight, t.center] for t in terms[:MAX_RULES]])]
        if len(terms) > MAX_RULES:
            lines += ["", f"… and {len(terms) - MAX_RULES} smaller linear term(s)."]
        lines.append("")
    return lines


def figure_class():
    """matplotlib's Figure, or None when matplotlib is not installed (pip install 'whytag[report]')."""
    try:
        from matplotlib.figure import Figure  # optional (the [report] extra), so imported only here
    except ImportError:
        return None
    return Figure


def bar_chart(path: Path, names: list[str], values: list[float], xlabel: str, title: str) -> None:
    """A horizontal bar chart, first name at the top."""
    figure = figure_class()(figsize=(7, 1.2 + 0.28 * len(names)), layout="constrained")
    axes = figure.subplots()
    axes.barh(range(len(names)), values, color="#4878a8")
    axes.set_yticks(range(len(names)), names)
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    figure.savefig(path, dpi=120)


def confusion_png(path: Path, matrix: np.ndarray, classes: list[str], title: str) -> None:
    """The confusion matrix as a heat map with the counts written in each cell."""
    figure = figure_class()(figsize=(1.6 + 0.6 * len(classes), 1.2 + 0.6 * len(classes)), layout="constrained")
    axes = figure.subplots()
    axes.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        axes.text(j, i, str(count), ha="center", va="center",
                  color="white" if count > matrix.max() / 2 else "black", fontsize=8)
    axes.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    axes.set_yticks(range(len(classes)), classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    figure.savefig(path, dpi=120)


def write_report(folder: str | Path, results: list[Result], model, X_test: pd.DataFrame,
                 Y_test: pd.Series | pd.DataFrame, dataset_name: str, paper_reference: dict[str, float] | None = None,
                 model_name: str = "", notes: Sequence[str] = ()) -> Path:
    """Write `report.md` and its PNGs into `folder` for a fitted rule model and all learners' results.

    `model` is one fitted whytag learner (its `models_` maps tag → TagModel); `paper_reference` maps
    metric → the paper's published value (default: PAPER for known datasets). Returns the report path.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    single = is_single_label(Y_test)
    paper = paper_reference if paper_reference is not None else paper_numbers(dataset_name)
    plots = figure_class() is not None
    kind = "single-label" if single else f"multi-label, {Y_test.shape[1]} tags"
    lines = [f"# whytag evaluation: {dataset_name}", "",
             f"{len(X_test)} test tracks, {X_test.shape[1]} features, {kind}. Headline metric: "
             f"{headline(single)}.", ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    if not plots:
        lines += ["Plots skipped: matplotlib is not installed (pip install 'whytag[report]').", ""]
    lines += ["## Scores against the baselines and the paper", "", comparison(results, paper), ""]
    if paper:
        lines += [f"The last row is the paper's published number ({PAPER_SOURCE}), not a rerun.", ""]
    if model is None:
        return write_lines(folder, lines + ["No rule model was fitted, so there are no rules to show."])
    models: dict[str, TagModel] = getattr(model, "models_", None) or {}
    model_name = model_name or "the rule model"

    scores = per_tag_scores(model, X_test, Y_test)
    metric = "f1" if single else "roc_auc"
    lines += [f"## Per-tag scores of {model_name}", "",
              markdown_table(["tag"] + list(scores.columns), [list(row) for row in scores.itertuples(name=None)]), ""]
    if plots:
        ordered = scores[metric].sort_values(ascending=False)
        bar_chart(folder / "per_tag.png", list(ordered.index), list(ordered), metric, f"{model_name} per tag")
        lines += [f"![{metric} per tag](per_tag.png)", ""]

    if single:
        predicted = pd.Series(model.predict(X_test), index=X_test.index)
        classes = sorted(set(Y_test) | set(predicted))
        matrix = confusion_matrix(Y_test, predicted, labels=classes)
        lines += ["## Confusion matrix", "", "Rows: true class; columns: predicted class.", "",
                  markdown_table(["true \\ predicted"] + classes,
                                 [[c] + list(map(int, row)) for c, row in zip(classes, matrix)]), ""]
        if plots:
            confusion_png(folder / "confusion.png", matrix, classes, f"{model_name} on {dataset_name}")
            lines += ["![confusion matrix](confusion.png)", ""]

    used = feature_use(models).most_common(MAX_FEATURES)
    lines += ["## Features the rules use most", "", "Number of rule conditions, over all tags, that test each "
              "feature.", "", markdown_table(["feature", "conditions"], [list(u) for u in used]), ""]
    if plots and used:
        bar_chart(folder / "features.png", [f for f, _ in used], [n for _, n in used], "conditions",
                  "features used by the rules")
        lines += ["![features used by the rules](features.png)", ""]
    lines += ["## Rules per tag", ""] + rules_section(models)
    return write_lines(folder, lines)


def write_lines(folder: Path, lines: list[str]) -> Path:
    """Write the report's lines to `folder/report.md` and return its path."""
    path = folder / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path
