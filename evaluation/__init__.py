"""Evaluation: whytag's learners scored beside black-box baselines on one split, and a report people can read."""

from whytag.evaluation.baselines import OneVsRestBaseline, baselines
from whytag.evaluation.fitting import Progress, evaluate, timed_fit
from whytag.evaluation.metrics import (
                                       Result,
                                       coverage_shares,
                                       explanation_coverage,
                                       multi_label_metrics,
                                       score,
                                       single_label_metrics,
)
from whytag.evaluation.report import paper_numbers, write_report
from whytag.evaluation.results import results_json, results_table
from whytag.evaluation.runs import evaluate_dataset, evaluate_on_dataset, evaluate_table

__all__ = ["OneVsRestBaseline", "Progress", "Result", "baselines", "coverage_shares", "evaluate", "evaluate_dataset",
           "evaluate_on_dataset", "evaluate_table", "explanation_coverage", "multi_label_metrics", "paper_numbers",
           "results_json", "results_table", "score", "single_label_metrics", "timed_fit", "write_report"]
