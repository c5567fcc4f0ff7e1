"""Rules ↔ the graph: every learned rule becomes a wt:Rule with its conditions, weight, support and
precision (and every linear term a wt:LinearTerm with its feature, coefficient and centre), plus two
executable forms — a SPARQL SELECT of the tracks it fires on (with the
values that satisfy it) and an OWL class whose members are exactly those tracks.

Models live in one named graph per model (`urn:whytag:graph/model/<name>`), replaced when relearned;
`read_models` rebuilds the TagModels from that graph alone, so tagging needs nothing but the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

from whytag.errors import WhytagError
from whytag.kg import iris
from whytag.kg.iris import scheme_iri, tag_iri
from whytag.kg.mapping import feature_node
from whytag.kg.namespaces import WT
from whytag.kg.queries import query
from whytag.kg.queries.build import rule_select
from whytag.kg.store import GraphStore
from whytag.reasoning.model import OPERATORS, Condition, Effect, LinearTerm, Rule, TagModel, rule_effect


@dataclass(frozen=True)
class ModelInfo:
    """Where a set of tag models lives and what it was trained for."""

    name: str
    vocabulary: str
    learner: str = ""
    training_set: str = ""
    single_label: bool = False

    @property
    def iri(self) -> URIRef:
        return iris.model_set_iri(self.name)

    @property
    def graph(self) -> URIRef:
        return iris.model_graph(self.name)

    def tag_model_iri(self, tag: str) -> URIRef:
        return iris.tag_model_iri(self.name, tag)

    def rule_iri(self, rule: Rule, index: int) -> URIRef:
        return iris.rule_iri(self.name, rule.tag, index)

    def linear_term_iri(self, tag: str, index: int) -> URIRef:
        return iris.linear_term_iri(self.name, tag, index)

    def effect_iri(self, tag: str, effect: Effect) -> URIRef:
        """The tag model's feature effect on these features, e.g. `…/metal/effect/bpm`."""
        return iris.effect_iri(self.name, tag, effect)

    def condition_iri(self, condition: Condition) -> URIRef:
        """One node per distinct test in the model set, shared by every rule that makes it: the store then
        tests each (feature, operator, threshold) once per track, however many tags' rules use it."""
        return iris.condition_iri(self.name, condition.feature, condition.op, condition.threshold)


def double(value: float) -> Literal:
    return Literal(float(value), datatype=XSD.double)


def rule_sparql(rule: Rule) -> str:
    """The rule as SPARQL: tracks it fires on, with the value satisfying each condition (kg.queries.build)."""
    return rule_select((feature_node(c.feature), OPERATORS[c.op].sparql, c.threshold) for c in rule.conditions)


def rule_body_class(graph: Graph, body: URIRef, rule: Rule) -> None:
    """Add `body ≡ wt:Track ⊓ ∃F.xsd:double[facet t] ⊓ …` to `graph` (OWL 2 DL datatype restrictions)."""
    members: list = [WT.Track]
    for condition in rule.conditions:
        value_range, facet_iri = BNode(), OPERATORS[condition.op].facet
        if facet_iri is None:  # "==": the one value
            graph.add((value_range, RDF.type, RDFS.Datatype))
            Collection(graph, one_of := BNode(), [double(condition.threshold)])
            graph.add((value_range, OWL.oneOf, one_of))
        else:
            facet, restrictions = BNode(), BNode()
            graph.add((facet, facet_iri, double(condition.threshold)))
            Collection(graph, restrictions, [facet])
            graph.add((value_range, RDF.type, RDFS.Datatype))
            graph.add((value_range, OWL.onDatatype, XSD.double))
            graph.add((value_range, OWL.withRestrictions, restrictions))
        members.append(_some(graph, feature_node(condition.feature), value_range))
    graph.add((body, RDF.type, OWL.Class))
    graph.add((body, RDFS.label, Literal(f"tracks where {rule.tag} rule fires")))
    graph.add((body, RDFS.comment, Literal(f"The tracks whose values satisfy: {_body_text(rule)}.")))
    graph.add((body, OWL.equivalentClass, _and(graph, members)))


def model_graph(info: ModelInfo, models: Iterable[TagModel]) -> Graph:
    """All triples describing the tag models: models, rules, conditions, tags and OWL rule bodies."""
    graph = Graph()
    add = graph.add
    scheme = scheme_iri(info.vocabulary)
    add((info.iri, RDF.type, WT.ModelSet))
    add((info.iri, RDFS.label, Literal(info.name)))
    add((info.iri, WT.learner, Literal(info.learner)))
    add((info.iri, WT.trainingSet, Literal(info.training_set)))
    add((info.iri, WT.vocabulary, scheme))
    add((info.iri, WT.singleLabel, Literal(info.single_label)))
    add((scheme, RDF.type, WT.TagScheme))
    add((scheme, RDFS.label, Literal(info.vocabulary)))
    for model in models:
        tag = tag_iri(info.vocabulary, model.tag)
        tm = info.tag_model_iri(model.tag)
        add((tag, RDF.type, SKOS.Concept))
        add((tag, SKOS.inScheme, scheme))
        add((tag, SKOS.notation, Literal(model.tag)))
        add((tag, RDFS.label, Literal(model.tag)))
        add((info.iri, WT.hasTagModel, tm))
        add((tm, RDF.type, WT.TagModel))
        add((tm, WT.forTag, tag))
        # A rule without conditions always fires: it is part of the base rate, not a reason.
        rules = [rule for rule in model.rules if rule.conditions]
        intercept = model.intercept + sum(rule.weight for rule in model.rules if not rule.conditions)
        add((tm, WT.intercept, double(intercept)))
        add((tm, WT.link, Literal(model.link)))
        add((tm, WT.decisionThreshold, double(model.threshold)))
        add((tm, WT.learner, Literal(info.learner)))
        add((tm, WT.trainingSet, Literal(info.training_set)))
        for effect in model.effects():
            add_effect(graph, info.effect_iri(model.tag, effect), tag, effect, model)
            add((tm, WT.hasEffect, info.effect_iri(model.tag, effect)))
        for index, rule in enumerate(rules):
            add_rule(graph, info, info.rule_iri(rule, index), tag, rule)
            add((tm, WT.hasRule, info.rule_iri(rule, index)))
            add((info.rule_iri(rule, index), WT.effect, info.effect_iri(model.tag, rule_effect(rule))))
        for index, term in enumerate(model.linear):
            add_linear_term(graph, info.linear_term_iri(model.tag, index), tag, term)
            add((tm, WT.hasLinearTerm, info.linear_term_iri(model.tag, index)))
            add((info.linear_term_iri(model.tag, index), WT.effect, info.effect_iri(model.tag, (term.feature,))))
    return graph


def add_effect(graph: Graph, iri: URIRef, tag: URIRef, effect: Effect, model: TagModel) -> None:
    """One feature effect: the features it reads, its offset, whether a missing value counts as the training
    average (TagModel.missing_average) and (for one feature) the training range."""
    graph.add((iri, RDF.type, WT.FeatureEffect))
    graph.add((iri, RDFS.label, Literal(f"{model.tag}: {' × '.join(effect)}")))
    graph.add((iri, WT.forTag, tag))
    for feature in effect:
        graph.add((iri, WT.onFeature, feature_node(feature)))
    graph.add((iri, WT.offset, double(model.offsets.get(effect, 0.0))))
    if effect in model.missing_average:
        graph.add((iri, WT.missingAsAverage, Literal(True)))
    if len(effect) == 1 and effect[0] in model.ranges:
        low, high = model.ranges[effect[0]]
        graph.add((iri, WT.trainingMinimum, double(low)))
        graph.add((iri, WT.trainingMaximum, double(high)))


def add_linear_term(graph: Graph, iri: URIRef, tag: URIRef, term: LinearTerm) -> None:
    """One linear term: coefficient × (feature value − centre) joins the tag's logit."""
    graph.add((iri, RDF.type, WT.LinearTerm))
    graph.add((iri, RDFS.label, Literal(str(term))))
    graph.add((iri, WT.forTag, tag))
    graph.add((iri, WT.feature, feature_node(term.feature)))
    graph.add((iri, WT.coefficient, double(term.weight)))
    graph.add((iri, WT["center"], double(term.center)))


def add_rule(graph: Graph, info: ModelInfo, iri: URIRef, tag: URIRef, rule: Rule) -> None:
    """One rule with its (shared) conditions, statistics, SPARQL form and OWL body class."""
    graph.add((iri, RDF.type, WT.Rule))
    graph.add((iri, RDFS.label, Literal(str(rule))))
    graph.add((iri, WT.forTag, tag))
    graph.add((iri, WT.weight, double(rule.weight)))
    graph.add((iri, WT.conditionCount, Literal(len(rule.conditions), datatype=XSD.integer)))
    graph.add((iri, WT.support, Literal(int(rule.support), datatype=XSD.integer)))
    if rule.precision == rule.precision:  # not NaN
        graph.add((iri, WT.precision, double(rule.precision)))
    graph.add((iri, WT.sparql, Literal(rule_sparql(rule))))
    for condition in rule.conditions:
        node = info.condition_iri(condition)
        graph.add((iri, WT.hasCondition, node))
        graph.add((node, RDF.type, WT.Condition))
        graph.add((node, RDFS.label, Literal(str(condition))))
        graph.add((node, WT.feature, feature_node(condition.feature)))
        graph.add((node, WT.operator, Literal(condition.op)))
        graph.add((node, WT.threshold, double(condition.threshold)))
    rule_body_class(graph, iris.rule_body_iri(iri), rule)
    graph.add((iri, WT.bodyClass, iris.rule_body_iri(iri)))


def write_models(store: GraphStore, info: ModelInfo, models: Iterable[TagModel]) -> None:
    """Replace the model's graph with these tag models, stamped with the time they were written, in one transaction."""
    graph = model_graph(info, models)
    learned = datetime.now(UTC).replace(microsecond=0)
    graph.add((info.iri, PROV.generatedAtTime, Literal(learned, datatype=XSD.dateTime)))
    store.write_graph(info.graph, graph)


class ModelNotFound(WhytagError, LookupError):
    """A model set name the store does not hold, or no model set at all."""


class ModelSetAmbiguous(WhytagError, LookupError):
    """No model set was named and the store holds several."""


@dataclass(frozen=True)
class ModelSetCard:
    """A model set as `whytag models` lists it; `source` says where it comes from: learned into the store, or
    shipped with whytag (then `version`, the table it was `derived_from` and its cross-validated `scores`)."""

    name: str
    vocabulary: str
    tags: int
    learner: str
    features: int  # that its rules read (a shipped set not yet in the store: that it was given)
    learned: str | None
    tagged_tracks: int
    source: str = "store"
    version: str | None = None
    derived_from: str | None = None
    protocol: str | None = None
    scores: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def model_sets(store: GraphStore) -> list[ModelSetCard]:
    """Every model set in the store, by name, with what it tags and how many tracks carry its predicted tags."""
    tagged = {str(model_set): int(n) for model_set, n in store.select(query("model-set-tagged-counts")).rows}
    rows = store.select(query("model-set-cards")).rows
    return [ModelSetCard(str(name), str(vocab), int(tags), str(learner), int(features),
                         str(learned) if learned is not None else None, tagged.get(str(model_set), 0),
                         "store" if version is None else "shipped", None if version is None else str(version))
            for model_set, name, vocab, learner, learned, version, tags, features in rows]


def model_set_names(store: GraphStore) -> list[str]:
    """The names of the model sets the store holds, sorted."""
    return sorted(str(label) for (label,) in store.select(query("model-set-names")).rows)


def choose_model_set(store: GraphStore, name: str | None) -> str:
    """The model set to apply: `name` when given, else the store's only one (several or none is an error)."""
    if name is not None:
        return name
    names = model_set_names(store)
    if not names:
        raise ModelNotFound("no model set in the store (run `whytag learn` first)")
    if len(names) > 1:
        raise ModelSetAmbiguous(f"the store holds {len(names)} model sets ({', '.join(names)}): name one with --model")
    return names[0]


def read_models(store: GraphStore, name: str) -> tuple[ModelInfo, list[TagModel]]:
    """Rebuild a model set from the graph (inverse of write_models). Its rows are read as plain values in one call
    each (GraphStore.rows): through rdflib's terms a model set of 94 rules took 55 ms at 10,000 tracks, its first
    tag page's largest part."""
    probe = ModelInfo(name, "")
    head = store.rows(query("model-set-head", graph=probe.graph, set=probe.iri))
    if not head:
        raise ModelNotFound(f"no model named {name!r} in the store (run `whytag learn` first)")
    label, vocab, learner, training, single = head[0]
    info = ModelInfo(str(label), str(vocab), str(learner), str(training), single is True)
    models: dict[str, TagModel] = {}
    for notation, intercept, link, threshold in store.rows(query("model-tag-models", graph=info.graph)):
        models[str(notation)] = TagModel(str(notation), float(intercept), [], str(link), float(threshold))
    rows = store.rows(query("model-rules", graph=info.graph))
    rules: dict[str, Rule] = {}
    for rule_iri, notation, weight, support, precision, name, op, threshold, _ in rows:
        rule = rules.get(str(rule_iri))
        if rule is None:
            rule = rules[str(rule_iri)] = Rule(str(notation), (), float(weight), int(support),
                                               float(precision) if precision is not None else float("nan"),
                                               str(rule_iri))
            models[str(notation)].rules.append(rule)
        rule.conditions = rule.conditions + (Condition(str(name), str(op), float(threshold)),)
    terms = store.rows(query("model-linear-terms", graph=info.graph))
    for notation, name, coefficient, center, _ in sorted(terms, key=lambda row: int(row[4].rsplit("/", 1)[-1])):
        models[str(notation)].linear.append(LinearTerm(str(name), float(coefficient), float(center)))  # IRI order
    _read_effects(store, info, models)
    for model in models.values():
        model.confine()  # the linear terms clipped to the training ranges just read
    return info, list(models.values())


def _read_effects(store: GraphStore, info: ModelInfo, models: dict[str, TagModel]) -> None:
    """Each tag model's effect offsets, which effects read a missing value as the training average, and its
    features' training ranges, from the model graph."""
    rows = store.rows(query("model-effects", graph=info.graph))
    effects: dict[tuple[str, str], list] = {}
    for notation, effect, offset, name, low, high, average in rows:
        entry = effects.setdefault((str(notation), str(effect)), [float(offset), [], average is True])
        entry[1].append(str(name))
        if low is not None:
            models[str(notation)].ranges[str(name)] = (float(low), float(high))
    for (notation, _), (offset, names, average) in effects.items():
        models[notation].offsets[tuple(sorted(names))] = offset
        if average:
            models[notation].missing_average.add(tuple(sorted(names)))


def _body_text(rule: Rule) -> str:
    return " and ".join(str(c) for c in rule.conditions)


def _and(graph: Graph, members: list) -> BNode:
    node, items = BNode(), BNode()
    Collection(graph, items, members)
    graph.add((node, RDF.type, OWL.Class))
    graph.add((node, OWL.intersectionOf, items))
    return node


def _some(graph: Graph, prop, filler) -> BNode:
    """An owl:Restriction: some value of `prop` is in `filler` (a class or a data range)."""
    node = BNode()
    graph.add((node, RDF.type, OWL.Restriction))
    graph.add((node, OWL.onProperty, prop))
    graph.add((node, OWL.someValuesFrom, filler))
    return node
