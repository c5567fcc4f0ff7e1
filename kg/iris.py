"""IRIs typed by users (track IRIs, graph names, the instance base), checked where they are read.

whytag pastes IRIs into SPARQL as `<…>`; one that is not a valid absolute IRI would either break the
query with a parser error or, worse, change its meaning. Oxigraph's own IRI parser (RFC 3987) is the
judge, so whatever passes here is accepted by the store.
"""

from __future__ import annotations

import re

import pyoxigraph
from rdflib import URIRef

from whytag import WhytagError

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
FORBIDDEN = re.compile(r"[\x00-\x20<>\"{}|^`\\\x7f]")


class IriError(WhytagError, ValueError):
    """Text that is not a usable absolute IRI; the message quotes it and says why."""


def checked_iri(text: str, what: str = "IRI") -> URIRef:
    """`text` as a URIRef, or IriError naming `what`, the text and the first problem found."""
    reason = iri_problem(text)
    if reason:
        raise IriError(f"{what} {text!r} is not a valid IRI: {reason}")
    return URIRef(text)


def iri_problem(text: str) -> str | None:
    """Why `text` is not an absolute IRI Oxigraph accepts, in a few words; None if it is one."""
    if not SCHEME.match(text):
        return "it has no scheme (such as urn: or https:)"
    bad = FORBIDDEN.search(text)
    if bad:
        char = bad.group()
        return f"it contains {'a space' if char == ' ' else repr(char)}"
    try:
        pyoxigraph.NamedNode(text)
    except UnicodeEncodeError:
        return "it contains characters that are not valid Unicode"
    except ValueError as err:
        return str(err).strip().splitlines()[0] or "rejected by the IRI parser"
    return None


def looks_like_iri(text: str) -> bool:
    """Whether a user meant `text` as an IRI rather than a path or an id (it starts with a scheme whytag uses)."""
    return text.startswith(("urn:", "http://", "https://"))
