"""Every SPARQL text whytag runs, one named file each in this folder — `.rq` a query, `.ru` an update — and the
one binder that puts values into them.

A query names what it takes as SPARQL variables written `$name` (`$track` and `?track` are the same
variable), so each file is a valid query as it stands — run unbound, it answers for every track, tag or
graph. `query(name, track=…)` replaces `$track` with a checked term: an IRI through `checked_iri`'s
test (Oxigraph's own parser), any other value as an RDF literal (rdflib's `Literal(...).n3()`, which escapes
quotes and newlines). A list of IRIs fills a `VALUES $name { UNDEF }` block (one unbound row: "all")
with one row per IRI; a list of tuples fills `VALUES ($name $other …) { (UNDEF UNDEF …) }`, bound by
its first variable's name (a one-column `VALUES ($name) { (UNDEF) }` takes 1-tuples: literals, say); given
None, the block is left out. A value bound this way cannot change a query's meaning. `update(name, …)` binds an
update the same way; a `Named` is a query or update with its values, handed to whoever runs it
(GraphStore.write_graph's `clear`). The texts that are built rather than written — data of many triples, a
graph's DROP, a rule's compiled test, a batch's values — are built in `build.py`, the one place; no other module
holds SPARQL text (tests/kg/test_queries.py checks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef

from whytag.errors import WhytagError
from whytag.kg.iris import iri_problem

FOLDER = Path(__file__).resolve().parent
# The questions docs/ documents and the query page offers as examples; the other files are whytag's own.
DOCUMENTED = ("why-tagged", "why-tagged-rules", "what-would-change", "tagged-because-of-feature",
              "value-provenance", "tag-counts", "tracks-by-artist")
# One pass over a text reads, left to right: a VALUES slot — `VALUES $x { UNDEF }` or `VALUES ($x $y)
# { (UNDEF UNDEF) }`, one unbound row that a list binding of $x fills — or a string, an IRI or a comment (a
# `$` inside them is no variable), or a variable. What the binder puts in is never read again.
TOKENS = re.compile(
    r"(?P<slot>VALUES\s*(?:\$(?P<one>\w+)\s*\{\s*UNDEF\s*\}"
    r"|\((?P<vars>(?:\s*\$\w+)+)\s*\)\s*\{\s*\((?:\s*UNDEF)+\s*\)\s*\}))"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'       # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                 # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'          # IRIs
    r"|#[^\n]*"                             # comments
    r"|[?$]\w+",                            # variables
    re.S | re.I)


class QueryError(WhytagError, ValueError):
    """A named query that does not exist, or a value that cannot be bound into it; the message says which."""


@dataclass(frozen=True)
class Named:
    """A named update (or query) and the values to bind into it, for a caller that binds more and runs it."""

    name: str
    bindings: Mapping[str, object] = field(default_factory=dict)

    def update(self, **more: object) -> str:
        """The update's text with its own values and `more` bound."""
        return update(self.name, **self.bindings, **more)


def query(name: str, /, *, limit: int | None = None, offset: int | None = None, **bindings: object) -> str:
    """The text of the named query with each `$name` bound to its value (and a LIMIT and OFFSET appended, if
    given: pages of an ordered answer).

    Every `$name` in the text must be given (a list slot may be given None: all rows; its IRIs may be
    plain strings, as a list slot holds IRIs only), and every value given must have its `$name` in the
    text, so a misspelt binding fails here rather than matching nothing.
    """
    return _limited(_bound_text(name + ".rq", bindings), name, limit, offset)


def update(name: str, /, **bindings: object) -> str:
    """The text of the named update (`NAME.ru`) with each `$name` bound to its value, as `query` binds them."""
    return _bound_text(name + ".ru", bindings)


def _bound_text(file: str, bindings: Mapping[str, object]) -> str:
    """The named file's text with its `$name`s bound (see `query`)."""
    name = file.rsplit(".", 1)[0]
    parts, slots, lists = _parsed(file)
    unknown = sorted(bindings.keys() - slots)
    if unknown:
        raise QueryError(f"query {name}: no ${unknown[0]} in {FOLDER / file}")
    missing = sorted(slots - bindings.keys())
    if missing:
        raise QueryError(f"query {name}: ${missing[0]} is not bound in {FOLDER / file}")
    unlisted = sorted(key for key in lists if bindings[key] is None)
    if unlisted and file.endswith(".ru"):  # None means every row: in an update, every track's triples
        raise QueryError(f"update {name}: ${unlisted[0]} is None, which would change every row; give the list")
    terms = {key: _term(value, name, key) for key, value in bindings.items() if key not in lists}  # once each
    return "".join(part if isinstance(part, str) else _bound(part, name, bindings, terms) for part in parts)


def _limited(text: str, name: str, limit: int | None, offset: int | None) -> str:
    """The query's text with a LIMIT and an OFFSET appended, where given."""
    for keyword, number in (("LIMIT", limit), ("OFFSET", offset)):
        if number is not None:
            if type(number) is not int or number < 0:
                raise QueryError(f"query {name}: {keyword} {number!r} is not a whole number ≥ 0")
            text = f"{text.rstrip()}\n{keyword} {number}"
    return text


def documented() -> dict[str, str]:
    """The documented questions' names and texts (unbound), in the order the docs list them."""
    return {name: _text(name + ".rq") for name in DOCUMENTED}


@cache  # read once per process: the same few files, on every call
def _text(file: str) -> str:
    """The named file's text (`NAME.rq` or `NAME.ru`); QueryError for a name with no file."""
    name, suffix = file.rsplit(".", 1)
    path = FOLDER / file
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) or not path.is_file():
        raise QueryError(f"no {'query' if suffix == 'rq' else 'update'} named {name!r} in {FOLDER}")
    return path.read_text(encoding="utf-8")


@cache  # a text is read once; binding it then joins its parts
def _parsed(file: str) -> tuple[tuple[str | tuple[str, ...], ...], frozenset[str], frozenset[str]]:
    """The named text as parts: verbatim text, or a tuple — ("$", name) for a variable written `$name`
    (outside strings, IRIs and comments), ("VALUES", first, other…) for a VALUES slot; and the names to
    bind, and those of them that name VALUES slots (lists; a slot's other variables are filled with its rows)."""
    text = _text(file)
    parts: list[str | tuple[str, ...]] = []
    names, lists, columns, start = set(), set(), set(), 0
    for match in TOKENS.finditer(text):
        if match["slot"]:
            variables = _slot_variables(match)
            lists.add(variables[0])
            columns.update(variables[1:])
            part: tuple[str, ...] = ("VALUES", *variables)
        elif match.group().startswith("$"):
            names.add(match.group()[1:])
            part = ("$", match.group()[1:])
        else:
            continue
        parts += [text[start:match.start()], part]
        start = match.end()
    parts.append(text[start:])
    return tuple(parts), frozenset((names | lists) - columns), frozenset(lists)


def _slot_variables(match: re.Match) -> list[str]:
    """The variables of a VALUES slot, without their `$`."""
    return [match["one"]] if match["one"] else [v.lstrip("$") for v in match["vars"].split()]


def _bound(part: tuple[str, ...], name: str, bindings: dict[str, object], terms: dict[str, str]) -> str:
    """A part of the text as bound: a `$name` given a value becomes its term, another the same variable
    written `?name` (what every engine reads: a slot's variable used elsewhere, a slot's column), a VALUES
    slot its rows."""
    kind, variable, *_ = part
    if kind == "VALUES":
        return _filled(list(part[1:]), name, bindings[variable])
    return terms.get(variable, "?" + variable)


def _filled(variables: list[str], name: str, rows: object) -> str:
    """A VALUES block of `variables` with one row per item of `rows`; none at all for None (all rows)."""
    slot = variables[0]
    if rows is None:
        return ""
    if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
        raise QueryError(f"query {name}: ${slot} takes a list, not {type(rows).__name__} {rows!r}")
    rows = list(rows)
    if len(variables) == 1 and not (rows and isinstance(rows[0], tuple)):  # IRIs, plain strings among them
        cells = " ".join([_iri(r, name, slot) for r in rows])
        return f"VALUES ?{slot} {{ {cells} }}"
    if not all(isinstance(r, tuple) and len(r) == len(variables) for r in rows):
        raise QueryError(f"query {name}: ${slot} takes tuples of {len(variables)} terms")
    terms: dict[tuple[type, object], str] = {}  # each distinct value checked once: rows repeat a track, a predicate

    def cell(value: object) -> str:
        key = (type(value), value)  # by type too: 1, 1.0 and True are equal keys
        term = terms.get(key)
        if term is None:
            term = terms[key] = _term(value, name, slot)
        return term

    cells = " ".join("(" + " ".join(map(cell, r)) + ")" for r in rows)
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {cells} }}"


def _term(value: object, name: str, slot: str) -> str:
    """A value as a SPARQL term: a checked IRI for a URIRef, an escaped literal for a Literal or a number."""
    if isinstance(value, URIRef):
        return _iri(value, name, slot)
    if isinstance(value, Literal):
        if value.datatype is not None and iri_problem(value.datatype):  # n3() writes the datatype as it is
            raise QueryError(f"query {name}: ${slot}'s datatype {str(value.datatype)!r} is not a valid IRI")
        return value.n3()
    if type(value) is int:  # an integer as SPARQL writes one (the same xsd:integer), fast for a batch's positions
        return str(value)
    if isinstance(value, int | float | bool):
        return Literal(value).n3()
    # a plain str could be meant as either, and the wrong guess matches nothing: say URIRef or Literal
    raise QueryError(f"query {name}: ${slot} takes a URIRef, a Literal or a number, not {type(value).__name__} "
                     f"{value!r}")


def _iri(value: object, name: str, slot: str) -> str:
    """`<iri>` for an IRI (a URIRef; in a list slot, a str too) that checked_iri would accept; QueryError
    naming the query, the slot and the problem otherwise."""
    if not isinstance(value, str) or isinstance(value, Literal):
        raise QueryError(f"query {name}: ${slot} takes IRIs (URIRef), not {type(value).__name__} {value!r}")
    problem = iri_problem(value)  # checked_iri's test, without building a URIRef per IRI of a long list
    if problem:
        raise QueryError(f"query {name}: ${slot} {str(value)!r} is not a valid IRI: {problem}")
    return f"<{value}>"
