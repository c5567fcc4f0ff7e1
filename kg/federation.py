"""Which other endpoints a SPARQL text would make the store contact: its SERVICE clauses and an update's LOADs.

Oxigraph follows SERVICE to any http(s) IRI and LOADs any URL, so a text from a user or a client is checked
before it runs: `whytag query` refuses SERVICE unless --allow-service, `whytag serve` unless the IRI's host
is on the allow-list it was started with (none by default). A text without the letters of either keyword
passes at once (Oxigraph reads no escapes in keywords). The others are read by rdflib's SPARQL parser, a
grammar rather than a scan: Oxigraph matches keywords without a word boundary (`SERVICEex:d { }` is a
SERVICE clause; so is `?o.SERVICE`), which a scan of tokens can miss. A text that parser cannot read is
refused as unknowable, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from whytag.errors import WhytagError
from whytag.kg.namespaces import PREFIXES

KEYWORDS = {False: re.compile("service", re.I), True: re.compile("service|load", re.I)}  # by `update`
# an endpoint whose host Python and Oxigraph's HTTP client read alike: no user info, no escapes, no backslash
ENDPOINT = re.compile(r"https?://(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?(?:[/?#].*)?", re.S | re.I)


class FederationError(WhytagError):
    """A SERVICE or LOAD naming an endpoint the caller did not allow, or one that cannot be known before it runs."""


def remote_calls(text: str, update: bool = False) -> list[str | None]:
    """The IRIs of the endpoints the text's SERVICE clauses (and an update's LOADs) name, each prefix reading
    it may have; None for one that cannot be known before the text runs (a variable, a prefix never declared)
    and a lone None for a text that mentions a keyword but does not parse."""
    if not KEYWORDS[update].search(text):
        return []
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate  # ~1 s to import: only for such texts

    try:
        tree = (parseUpdate if update else parseQuery)(text)
    except Exception:  # noqa: BLE001 - pyparsing raises its own types; any failure means "cannot tell"
        return [None]
    declared: dict[str, set[str]] = {}
    targets = []
    for node in _nodes(tree):
        if node.name == "PrefixDecl":
            declared.setdefault(node.get("prefix") or "", set()).add(str(node["iri"]))
        elif node.name in ("ServiceGraphPattern", "Load"):
            targets.append(node["term" if node.name == "ServiceGraphPattern" else "iri"])
    return [iri for target in targets for iri in _readings(target, declared)]


def uses_service(text: str) -> bool:
    """Whether the query may contact another endpoint (a SERVICE clause, or text that cannot be told apart)."""
    return bool(remote_calls(text))


def endpoint_host(iri: str | None) -> str | None:
    """The host an endpoint IRI names, lower-cased; None unless it is an absolute http(s) IRI read unambiguously."""
    match = ENDPOINT.fullmatch(iri or "")
    return match["host"].lower().strip("[]") if match else None


def check_remote_calls(text: str, hosts: Collection[str], update: bool = False) -> None:
    """Raise FederationError unless every endpoint the text names is on one of `hosts` (host names as the IRIs
    spell them; none by default, so nothing is contacted)."""
    allowed = {host.lower().strip("[]") for host in hosts}
    for iri in remote_calls(text, update):
        host = endpoint_host(iri)
        if host in allowed:
            continue
        hint = ("start whytag serve with --allow-service HOST to allow one" if not allowed else
                f"it allows {', '.join(sorted(allowed))}")
        if iri is None:
            raise FederationError("the text names an endpoint that cannot be known before it runs (SERVICE with a "
                                  "variable or an undeclared prefix, or text the checking parser cannot read); "
                                  f"this server follows SERVICE only to hosts it allows ({hint})")
        what = f"{iri} (host {host})" if host else f"{iri} (not an absolute http(s) IRI with a plain host)"
        raise FederationError(f"SERVICE or LOAD to {what} is not allowed by this server ({hint})")


def _nodes(tree) -> Iterator:
    """Every parsed element (rdflib's CompValue, a named dict) in a parse tree, depth first."""
    if hasattr(tree, "name") and isinstance(tree, dict):
        yield tree
        children = tree.values()
    elif isinstance(tree, (list, tuple)) or type(tree).__name__ == "ParseResults":
        children = tree
    else:
        return
    for child in children:
        yield from _nodes(child)


def _readings(target, declared: dict[str, set[str]]) -> list[str | None]:
    """The IRIs a SERVICE or LOAD target may stand for: itself, or a prefixed name under every namespace its
    prefix was given (the text's declarations and whytag's own); [None] for a variable or an unknown prefix."""
    if getattr(target, "name", None) == "pname":
        prefix, local = target.get("prefix") or "", target.get("localname") or ""
        namespaces = declared.get(prefix, set()) | ({str(PREFIXES[prefix])} if prefix in PREFIXES else set())
        return [namespace + local for namespace in sorted(namespaces)] or [None]
    kind = type(target).__name__
    return [str(target)] if kind == "URIRef" else [None]
