"""Whether a SPARQL text asks the store to contact another endpoint (SERVICE), read past strings and IRIs.

`whytag query` runs text the user typed; a SERVICE clause makes the store open a connection to any
host it names, so whytag refuses it unless the user allows it. The check strips comments, IRIs,
string literals and variables first, so `?service`, `<urn:service>` or "SERVICE" in a string do not
count.
"""

from __future__ import annotations

import re

NOT_KEYWORDS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'       # long strings
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'                 # short strings
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'          # IRIs
    r"|#[^\n]*"                             # comments
    r"|[?$]\w+",                            # variables
    re.S)
SERVICE = re.compile(r"(?<![\w:.-])SERVICE(?![\w:.-])", re.I)


def uses_service(sparql: str) -> bool:
    """Whether the query has a SERVICE clause (a federated call to another endpoint)."""
    return SERVICE.search(NOT_KEYWORDS.sub(" ", sparql)) is not None
