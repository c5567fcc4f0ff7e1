"""Which SPARQL operation a text is, from its first keyword after the prologue (a query, or an update), and
whether a text the parser refused is one left unfinished."""

from __future__ import annotations

import re

UPDATE = re.compile(r"(?:\s|#[^\n]*(?:\n|\Z)|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*"
                    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)
# A comment runs to its line's end: with `\n?` the pattern could stop inside one and read a word of it
# ("which grows with the catalog") as the keyword.


def update_keyword(text: str) -> str | None:
    """The keyword an update starts with (INSERT, DELETE, LOAD …), upper-cased; None for anything else."""
    match = UPDATE.match(text)
    return match[1].upper() if match else None


POSITION = re.compile(r"error at (\d+):(\d+): ")
QUOTED = re.compile(r"<[^<>\"{}|^`\\\s]*>|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''"
                    r"|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")
# IRIs first: a '#' inside one is not a comment, and an IRI holds no bracket.
CLOSING = {"{": "}", "(": ")", "[": "]"}


def unfinished(text: str, error: str) -> str:
    """Oxigraph's syntax error, said plainly for a text that stops short: its brackets (outside strings, IRIs and
    comments) nest, and some are still open at its end. Its own words ("expected DISTINCT", "expected one of …")
    name what could come next, and are kept only where it stopped before the end (its positions are the farthest
    its look-ahead reached, so they do not prove what is wrong; the open brackets do)."""
    still_open: list[str] = []
    for bracket in re.findall(r"[{}()\[\]]", QUOTED.sub(" ", text)):
        if bracket in CLOSING:
            still_open.append(bracket)
        elif not still_open or CLOSING[still_open.pop()] != bracket:
            return error  # a bracket closed that was not open: not merely unfinished
    if not still_open:
        return error
    said = " and ".join(f"{still_open.count(b)} '{b}'" for b in CLOSING if b in still_open)
    position = POSITION.search(error)
    lines = text.rstrip().split("\n")
    if position and (int(position[1]), int(position[2])) >= (len(lines), len(lines[-1]) + 1):
        return f"the text ends with {said} not closed"
    return f"the text ends with {said} not closed; before that, {error}"
