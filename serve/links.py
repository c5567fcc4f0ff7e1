"""Where the server answers for an IRI: its page, and a track's audio. The one place these URLs are made, so
every page (track, tag, catalog rows) links alike."""

from __future__ import annotations

import re
from urllib.parse import quote

AUDIO = "/audio/"  # a track's audio: this prefix, then its page's path (IRIs under the base only)
_PAGE = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits only (str.isdigit takes '²', which int() refuses)


def page_number(given: str) -> int | None:
    """A `?page=` value as a page number counted from 1; None for anything else (0, '²', a 5,000-digit number)."""
    return int(given) if _PAGE.fullmatch(given) else None


def page_url(iri: str, base: str) -> str:
    """Where an IRI's page is: a path under the server for IRIs under the base, else /resource?iri=."""
    if base and iri.startswith(base) and len(iri) > len(base):
        return "/" + quote(iri[len(base):], safe="/-_.~")
    return "/resource?iri=" + quote(iri, safe="")


def audio_url(track: str, base: str) -> str | None:
    """Where a track's audio is served (None for a track outside the base, which has no path here)."""
    return page_audio_url(page_url(track, base))


def page_audio_url(page: str) -> str | None:
    """Where the audio of the track whose page is at `page` (a page_url) is served: AUDIO + the page's path."""
    return None if page.startswith("/resource") else AUDIO + page[1:]


def shape_anchor(model_set: str, feature: str) -> str:
    """The id of a feature's chart on a tag page (one per model set), which the feature's page links to."""
    name = feature.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return "shape-" + re.sub(r"[^A-Za-z0-9_-]+", "_", f"{model_set}-{name}")
