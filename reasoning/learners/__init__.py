"""Rule learners: scikit-learn estimators, one module per family, that all compile to the one model shape of
`reasoning.model` (per tag an intercept, weighted rules and linear terms) and predict only through it.

`registry()` names them as the command line does.
"""

from whytag.reasoning.learners.base import OneVsRestRuleLearner
from whytag.reasoning.learners.boosted import BoostedLinearLearner, BoostedRulesLearner, SparseBoostedLinearLearner
from whytag.reasoning.learners.dl import DLConceptLearner
from whytag.reasoning.learners.ebm import EBMLearner
from whytag.reasoning.learners.ripper import RipperLearner
from whytag.reasoning.learners.rulefit import RuleFitLearner

DEFAULT_LEARNER = "boosted-linear"
"""The learner `whytag learn` uses unless told otherwise (and the shipped model sets are built with)."""

__all__ = ["DEFAULT_LEARNER", "BoostedLinearLearner", "BoostedRulesLearner", "DLConceptLearner", "EBMLearner",
           "OneVsRestRuleLearner", "RipperLearner", "RuleFitLearner", "SparseBoostedLinearLearner", "registry"]


def registry() -> dict[str, type[OneVsRestRuleLearner]]:
    """The learners by the names the CLI uses; `boosted-linear` is the default (the most accurate), `sparse`
    the same with 8 features per tag (shorter explanations, a little less accurate)."""
    return {"boosted-linear": BoostedLinearLearner, "sparse": SparseBoostedLinearLearner,
            "boosted": BoostedRulesLearner, "ebm": EBMLearner, "rulefit": RuleFitLearner, "ripper": RipperLearner,
            "dl": DLConceptLearner}
