"""Rule learners: scikit-learn estimators, one module per family, that all compile to the one model shape of
`reasoning.model` (per tag an intercept, weighted rules and linear terms) and predict only through it.

`registry()` names them as the command line does.
"""

import ast

from whytag.reasoning.learners.additive import AdditiveLearner
from whytag.reasoning.learners.base import OneVsRestRuleLearner
from whytag.reasoning.learners.boosted import (
    BoostedLinearLearner,
    BoostedRulesLearner,
    ConciseLearner,
    SparseBoostedLinearLearner,
)
from whytag.reasoning.learners.dl import DLConceptLearner
from whytag.reasoning.learners.ebm import EBMLearner
from whytag.reasoning.learners.ripper import RipperLearner
from whytag.reasoning.learners.rulefit import RuleFitLearner

DEFAULT_LEARNER = "additive"
"""The learner `whytag learn` uses unless told otherwise (and the shipped model sets are built with)."""

__all__ = ["DEFAULT_LEARNER", "AdditiveLearner", "BoostedLinearLearner", "BoostedRulesLearner", "ConciseLearner",
           "DLConceptLearner", "EBMLearner", "OneVsRestRuleLearner", "RipperLearner", "RuleFitLearner",
           "SparseBoostedLinearLearner", "changed_parameters", "registry"]


def registry() -> dict[str, type[OneVsRestRuleLearner]]:
    """The learners by the names the CLI uses, the default (`DEFAULT_LEARNER`) first: `additive` (`concise`'s
    features, a single-label model refitted as a penalised additive one), `concise` (at most 10 features a tag,
    fewer where a predicted tag's 5 largest reasons would hold under 80% of its weight), `boosted-linear` (every
    feature: the most accurate, its reasons diffuse), `sparse` (8 features a tag)."""
    return {"additive": AdditiveLearner, "concise": ConciseLearner, "boosted-linear": BoostedLinearLearner,
            "sparse": SparseBoostedLinearLearner, "boosted": BoostedRulesLearner, "ebm": EBMLearner,
            "rulefit": RuleFitLearner, "ripper": RipperLearner, "dl": DLConceptLearner}


def changed_parameters(text: str) -> tuple[str, list[str]] | None:
    """A model card's learner text ("NAME: Class(k=v, …)", every parameter) as its name and the `k=v` that differ
    from that learner's defaults, so a listing shows what was chosen; None for a text that is not one."""
    name, _, call = text.partition(": ")
    try:
        parsed = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if name not in registry() or not isinstance(parsed, ast.Call):
        return None
    defaults = registry()[name]().get_params()
    changed = []
    for keyword in parsed.keywords:
        try:
            same = keyword.arg in defaults and ast.literal_eval(keyword.value) == defaults[keyword.arg]
        except (ValueError, TypeError):  # not a literal (an estimator's repr): shown as written
            same = False
        if not same:
            changed.append(f"{keyword.arg}={ast.get_source_segment(call, keyword.value)}")
    return name, changed
