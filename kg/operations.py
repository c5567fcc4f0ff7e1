"""Which SPARQL operation a text is, from its first keyword after the prologue: a query, or an update."""

from __future__ import annotations

import re

# a comment is read whole (*+): matched in part, "# … tagged with …" read as the keyword WITH
UPDATE = re.compile(r"(?:\s|#[^\n]*+\n?|BASE\s*<[^>]*>|PREFIX\s*[^\s:]*:\s*<[^>]*>)*"
                    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)


def update_keyword(text: str) -> str | None:
    """The keyword an update starts with (INSERT, DELETE, LOAD …), upper-cased; None for anything else."""
    match = UPDATE.match(text)
    return match[1].upper() if match else None
