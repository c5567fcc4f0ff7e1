"""The model sets that ship with whytag (`ontology/models`: genres, moods): their cards, and loading one into a
store so that `whytag tag --model genres` tags a library that has no labels.

A shipped set is written into the store's model graph as it ships (card and rules), the first time it is
named or when the package holds another version; a set the user learned under the same name is never
replaced. `evaluation.shipped` builds the files.
"""

from __future__ import annotations

import lzma
from dataclasses import replace
from functools import cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, PROV, RDFS

from whytag.kg.iris import model_graph, model_set_iri
from whytag.kg.namespaces import WT
from whytag.kg.queries import query
from whytag.kg.store import GraphStore
from whytag.ontology import MODELS
from whytag.reasoning.rules import ModelNotFound, ModelSetCard, choose_model_set, model_set_names

CARD = ".card.ttl"


def card_path(name: str, folder: Path = MODELS) -> Path:
    """Where a shipped set's model card is (evaluation.shipped writes it)."""
    return folder / f"{name}{CARD}"


def rules_path(name: str, folder: Path = MODELS) -> Path:
    """Where a shipped set's rules are, as xz-compressed Turtle."""
    return folder / f"{name}.rules.ttl.xz"


def shipped_names() -> list[str]:
    """The names of the shipped model sets, e.g. ['genres', 'moods']."""
    return sorted(path.name.removesuffix(CARD) for path in MODELS.glob(f"*{CARD}"))


@cache
def shipped_card(name: str) -> Graph:
    """A shipped set's model card (its source table, features, learner, scores, version) as a graph."""
    return Graph().parse(card_path(name), format="turtle")


def shipped_version(name: str) -> str:
    return str(shipped_card(name).value(model_set_iri(name), OWL.versionInfo))


def store_version(store: GraphStore, name: str) -> tuple[bool, str | None]:
    """Whether the store holds a model set `name`, and the shipped version it is (None: one the user learned)."""
    rows = store.select(query("model-set-version", graph=model_graph(name), set=model_set_iri(name))).rows
    return bool(rows), (str(rows[0][0]) if rows and rows[0][0] is not None else None)


def install(store: GraphStore, name: str) -> None:
    """Write shipped set `name` (card and rules) into the store as its model graph, replacing an older version."""
    # Two Turtle documents one after the other are one Turtle document (prefixes may be declared again).
    store.load_turtle(model_graph(name), lzma.decompress(rules_path(name).read_bytes()) + card_path(name).read_bytes())


def model_set_to_apply(store: GraphStore, name: str | None) -> str:
    """The model set `tag` applies: `name`, loaded from the package first when it is a shipped set the store
    lacks (or holds in another version); with no name, the store's only set."""
    if name is None:
        try:
            return choose_model_set(store, None)
        except ModelNotFound:
            raise ModelNotFound(f"no model set in the store: run `whytag learn`, or tag with a shipped one "
                                f"({' or '.join(f'--model {n}' for n in shipped_names())})") from None
    if name in shipped_names():
        held, version = store_version(store, name)
        if not held or (version is not None and version != shipped_version(name)):
            install(store, name)
    elif name not in (names := model_set_names(store)):  # a typo: say what there is, before any progress bar
        raise ModelNotFound(f"no model set named {name!r}: the store holds {', '.join(names) or 'none'}, and "
                            f"whytag ships {', '.join(shipped_names())} (`whytag models` lists them)")
    return name


def listed_cards(in_store: list[ModelSetCard]) -> list[ModelSetCard]:
    """The store's cards, a shipped set's completed from its package card (source table, scores), then the
    shipped sets the store does not hold yet: what `whytag models` lists."""
    shipped = shipped_names()
    held = [replace(card, derived_from=full.derived_from, protocol=full.protocol, scores=full.scores)
            if card.source == "shipped" and card.name in shipped and (full := card_of(card.name)) else card
            for card in in_store]
    return held + [card_of(name) for name in shipped if name not in {card.name for card in in_store}]


def card_of(name: str) -> ModelSetCard:
    """A shipped set's card, read from its card file alone (the rules stay packed)."""
    card, model_set = shipped_card(name), model_set_iri(name)
    source = card.value(model_set, PROV.wasDerivedFrom)
    scores = {f"{card.value(e, WT.evaluatedLearner)} {card.value(e, WT.metric)}": float(card.value(e, WT.meanScore))
              for e in card.objects(model_set, WT.hasEvaluation)}
    derived = (f"{card.value(source, RDFS.label)} by {card.value(source, DCTERMS.creator)} "
               f"({card.value(source, DCTERMS.source)}, licence {card.value(source, DCTERMS.license)})")
    protocol = next((str(card.value(e, WT.protocol)) for e in card.objects(model_set, WT.hasEvaluation)), "")
    return ModelSetCard(name, str(card.value(model_set, WT.vocabulary)).rstrip("/").rsplit("/", 1)[-1],
                        len(list(card.objects(model_set, WT.hasTagModel))), str(card.value(model_set, WT.learner)),
                        len(list(card.objects(model_set, WT.inputFeature))), None, 0, "shipped",
                        shipped_version(name), derived, protocol, dict(sorted(scores.items())))
