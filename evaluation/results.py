"""Results as the command line shows them (an aligned table) and as `--metrics-json` writes them."""

from __future__ import annotations

from whytag.evaluation.metrics import Result


def results_json(results: list[Result]) -> dict[str, dict[str, float]]:
    """learner → metric → value, the shape `--metrics-json` writes."""
    out = {}
    for r in results:
        if r.skipped:
            out[r.learner] = {"skipped": r.skipped}
            continue
        entry = dict(r.metrics)
        entry["fit_seconds"] = round(r.fit_seconds, 3)
        if r.rules_per_tag is not None:
            entry["rules_per_tag"] = r.rules_per_tag
            entry["max_conditions_per_tag"] = r.max_conditions_per_tag
            entry["linear_terms_per_tag"] = r.linear_terms_per_tag
            entry.update(r.coverage)
        if r.estimated_seconds is not None:
            entry["estimated_seconds"] = round(r.estimated_seconds, 3)
        out[r.learner] = entry
    return out


SIZE_HEADER = ["rules/tag", "max cond/tag", "linear/tag", "features/tag", "top-5 coverage (median, p10)"]


def size_cells(r: Result, blank: str) -> list[str]:
    """Rules per tag, the most conditions any tag uses, linear terms and features per tag, and how much
    of a predicted tag's explanation its 5 largest reasons hold, as table cells."""
    if r.rules_per_tag is None:
        return [blank] * len(SIZE_HEADER)
    return [f"{r.rules_per_tag:.1f}", str(r.max_conditions_per_tag), f"{r.linear_terms_per_tag:.1f}",
            f"{r.coverage['features_per_tag']:.1f}",
            f"{r.coverage['top5_coverage_median']:.2f}, {r.coverage['top5_coverage_p10']:.2f}"]


def results_table(results: list[Result]) -> str:
    """Aligned text table of the results, learners as rows."""
    metrics = list(dict.fromkeys(k for r in results for k in r.metrics if not k.startswith("tags_")))
    header = ["learner"] + metrics + SIZE_HEADER + ["fit s"]
    rows = [[r.learner] + [f"{r.metrics[m]:.3f}" if m in r.metrics else "-" for m in metrics] + size_cells(r, "-")
            + ["skipped" if r.skipped else f"{r.fit_seconds:.1f}"] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)
