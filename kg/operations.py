"""Which SPARQL operation a text is, from its first keyword after the prologue: a query, or an update."""

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
