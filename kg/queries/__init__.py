"""Every SPARQL text whytag runs, one named `.rq` file each in this folder, and the one binder that puts
values into them.

A query names what it takes as SPARQL variables written `$name` (`$track` and `?track` are the same
variable), so each file is a valid query as it stands — run unbound, it answers for every track, tag or
graph. `query(name, track=…)` replaces `$track` with a checked term: an IRI through `checked_iri`
(Oxigraph's own parser), any other value as an RDF literal (rdflib's `Literal(...).n3()`, which escapes
quotes and newlines). A list of IRIs fills a `VALUES $name { UNDEF }` block (one unbound row: "all")
with one row per IRI. Nothing is ever pasted into query text elsewhere, so a value cannot change a
query's meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef

from whytag.errors import WhytagError
from whytag.kg.federation import NOT_KEYWORDS
from whytag.kg.iris import checked_iri

FOLDER = Path(__file__).resolve().parent
# The questions docs/ documents and the query page offers as examples; the other files are whytag's own.
DOCUMENTED = ("why-tagged", "why-tagged-rules", "what-would-change", "tagged-because-of-feature",
              "value-provenance", "tag-counts", "tracks-by-artist")
VALUES_SLOT = re.compile(r"VALUES\s+\$(\w+)\s*\{\s*UNDEF\s*\}", re.I)


class QueryError(WhytagError, ValueError):
    """A named query that does not exist, or a value that cannot be bound into it; the message says which."""


def query(name: str, *, limit: int | None = None, **bindings: object) -> str:
    """The text of the named query with each `$name` bound to its value (and a LIMIT appended, if given).

    Every `$name` in the text must be given (a list slot may be given None: all rows; its
    IRIs may be plain strings, as a list slot holds IRIs only), and every value
    given must have its `$name` in the text, so a misspelt binding fails here rather than matching nothing.
    """
    text = _text(name)
    slots, lists = _slots(text)
    unknown = sorted(bindings.keys() - slots)
    if unknown:
        raise QueryError(f"query {name}: no ${unknown[0]} in {FOLDER / (name + '.rq')}")
    missing = sorted(slots - bindings.keys())
    if missing:
        raise QueryError(f"query {name}: ${missing[0]} is not bound")
    for slot in sorted(lists):
        text = _fill_values(text, name, slot, bindings.pop(slot))
    if bindings:
        text = NOT_KEYWORDS.sub(lambda m: _bound(m.group(), name, bindings), text)
    if limit is not None:
        if type(limit) is not int or limit < 0:
            raise QueryError(f"query {name}: LIMIT {limit!r} is not a whole number ≥ 0")
        text = f"{text.rstrip()}\nLIMIT {limit}"
    return text


def documented() -> dict[str, str]:
    """The documented questions' names and texts (unbound), in the order the docs list them."""
    return {name: _text(name) for name in DOCUMENTED}


@cache  # read once per process: the same few files, on every call
def _text(name: str) -> str:
    """The named file's text; QueryError for a name with no file."""
    path = FOLDER / f"{name}.rq"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or not path.is_file():
        raise QueryError(f"no query named {name!r} in {FOLDER}")
    return path.read_text(encoding="utf-8")


@cache
def _slots(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The `$name` variables of a text (outside strings, IRIs and comments), and those of them that are
    VALUES slots (lists)."""
    names = {m.group()[1:] for m in NOT_KEYWORDS.finditer(text) if m.group().startswith("$")}
    return frozenset(names), frozenset(m.group(1) for m in VALUES_SLOT.finditer(text) if m.group(1) in names)


def _fill_values(text: str, name: str, slot: str, iris: object) -> str:
    """The text with `VALUES $slot { UNDEF }` holding one row per IRI (kept as is for None: all rows)."""
    if iris is None:
        return text
    if isinstance(iris, str | bytes) or not isinstance(iris, Iterable):
        raise QueryError(f"query {name}: ${slot} takes a list of IRIs, not {type(iris).__name__} {iris!r}")
    rows = " ".join(_iri(URIRef(iri) if isinstance(iri, str) else iri, name, slot) for iri in iris)
    return VALUES_SLOT.sub(lambda m: f"VALUES ?{slot} {{ {rows} }}" if m.group(1) == slot else m.group(), text)


def _bound(token: str, name: str, bindings: dict[str, object]) -> str:
    """A token of the text: a bound `$name` becomes its value's term; anything else stays as it is."""
    if not token.startswith("$") or token[1:] not in bindings:
        return token
    value = bindings[token[1:]]
    if isinstance(value, URIRef):
        return _iri(value, name, token[1:])
    if isinstance(value, Literal):
        return value.n3()
    if isinstance(value, int | float | bool):
        return Literal(value).n3()
    # a plain str could be meant as either, and the wrong guess matches nothing: say URIRef or Literal
    raise QueryError(f"query {name}: {token} takes a URIRef, a Literal or a number, not {type(value).__name__} "
                     f"{value!r}")


def _iri(value: object, name: str, slot: str) -> str:
    """`<iri>` for a URIRef that passes checked_iri; QueryError naming the query and slot otherwise."""
    if not isinstance(value, URIRef):
        raise QueryError(f"query {name}: ${slot} takes IRIs (URIRef), not {type(value).__name__} {value!r}")
    try:
        return f"<{checked_iri(str(value), f'${slot}')}>"
    except WhytagError as err:
        raise QueryError(f"query {name}: {err}") from None
