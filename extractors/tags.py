"""Catalog metadata, in one place: what a file's own tags (ID3, Vorbis comments, MP4) or a metadata table say.

Each tag family has its own names for the same fields; they are read into one set of names (Vorbis
comments' own, the names MusicBrainz Picard writes: title, artist, artists, album, albumartist,
tracknumber, date, genre, isrc, musicbrainz_trackid — the recording id —, musicbrainz_albumid — the
release id —, musicbrainz_artistid) and checked once by `metadata_from`, which a metadata table goes
through too. A bad value (an id that is not a UUID, a track number that is not a number) drops that field
and says why; it never stops a file from being ingested.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date

from whytag.errors import WhytagError


class TagError(WhytagError):
    """A file whose tag block cannot be read; the message names the file and the reason."""


@dataclass(frozen=True)
class Metadata:
    """A track's catalog metadata; None or () where the source is silent.

    `artists` are the individual artists (with `artist_ids`, MusicBrainz ids in the same order, when the
    source gives one per artist); `artist_credit` is the artist as the source writes it for display
    ("A feat. B"); `album_artist` keys the album when it has no release id.
    """

    title: str | None = None
    artists: tuple[str, ...] = ()
    artist_credit: str | None = None
    artist_ids: tuple[str, ...] = ()
    album: str | None = None
    album_artist: str | None = None
    release_id: str | None = None
    track_number: int | None = None
    date: str | None = None
    genre: str | None = None
    isrc: str | None = None
    recording_id: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)  # values dropped, in words

    def present(self) -> set[str]:
        """The names of the fields the source gave (what a write of this metadata replaces)."""
        return {f.name for f in fields(self) if f.name != "problems" and getattr(self, f.name) not in (None, ())}


# The names of the fields a source may give, as Vorbis comments spell them (lowercase).
NAMES = ("title", "artist", "artists", "album", "albumartist", "tracknumber", "date", "genre", "isrc",
         "musicbrainz_trackid", "musicbrainz_albumid", "musicbrainz_artistid")

ID3_FRAMES = {"TIT2": "title", "TPE1": "artist", "TXXX:ARTISTS": "artists", "TALB": "album", "TPE2": "albumartist",
              "TRCK": "tracknumber", "TDRC": "date", "TCON": "genre", "TSRC": "isrc",
              "UFID:http://musicbrainz.org": "musicbrainz_trackid", "TXXX:MusicBrainz Album Id": "musicbrainz_albumid",
              "TXXX:MusicBrainz Artist Id": "musicbrainz_artistid"}
MP4_ATOMS = {"\xa9nam": "title", "\xa9ART": "artist", "----:com.apple.iTunes:ARTISTS": "artists", "\xa9alb": "album",
             "aART": "albumartist", "trkn": "tracknumber", "\xa9day": "date", "\xa9gen": "genre",
             "----:com.apple.iTunes:ISRC": "isrc", "----:com.apple.iTunes:MusicBrainz Track Id": "musicbrainz_trackid",
             "----:com.apple.iTunes:MusicBrainz Album Id": "musicbrainz_albumid",
             "----:com.apple.iTunes:MusicBrainz Artist Id": "musicbrainz_artistid"}
ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def read_tags(path: str | os.PathLike) -> Metadata:
    """The catalog metadata in an audio file's own tags (empty when it has none); TagError if unreadable."""
    import mutagen  # imported here: only ingest reads tags, and every extractor imports this room

    try:
        audio = mutagen.File(str(path))
    except mutagen.MutagenError as err:
        raise TagError(f"{path}: its tags cannot be read ({err})") from None
    if audio is None or audio.tags is None:
        return Metadata()
    return metadata_from(tag_values(audio.tags), str(path))


def tag_values(tags: object) -> dict[str, list[str]]:
    """A tag block's fields under NAMES, each a list of strings (ID3 frames, MP4 atoms, or Vorbis comments)."""
    from mutagen.id3 import ID3
    from mutagen.mp4 import MP4Tags

    if isinstance(tags, ID3):
        return {name: _id3_texts(tags[frame]) for frame, name in ID3_FRAMES.items() if frame in tags}
    if isinstance(tags, MP4Tags):
        return {name: [_mp4_text(v) for v in tags[atom]] for atom, name in MP4_ATOMS.items() if atom in tags}
    values: dict[str, list[str]] = {}
    for key, value in tags:  # Vorbis comments (FLAC, Ogg): (name, value) pairs, a name repeated for several values
        if key.lower() in NAMES:
            values.setdefault(key.lower(), []).append(value)
    return values


def _id3_texts(frame: object) -> list[str]:
    """An ID3 frame's values as text: UFID's bytes, TCON's resolved genre names, the others' text list."""
    if hasattr(frame, "genres"):
        return list(frame.genres)
    if hasattr(frame, "data"):
        return [frame.data.decode("ascii", "replace")]
    return [str(text) for text in frame.text]


def _mp4_text(value: object) -> str:
    """An MP4 atom's value as text: freeform atoms hold bytes, trkn (track, total) pairs."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return str(value[0])
    return str(value)


def metadata_from(values: Mapping[str, Iterable[str]], source: str) -> Metadata:
    """Metadata from fields under NAMES (lists of strings), checked: a bad value is dropped and named in
    `problems`; `source` (a file, or a table's row) names where it came from."""
    texts = {name: [t for t in (str(v).strip() for v in values.get(name, ())) if t] for name in NAMES}
    problems: list[str] = []
    artists = tuple(texts["artists"] or _split_artists(texts["artist"]))
    artist_ids = tuple(i for i in (_mbid(v, "musicbrainz_artistid", source, problems)
                                   for v in _split_artists(texts["musicbrainz_artistid"])) if i)
    if artist_ids and len(artist_ids) != len(artists):
        problems.append(f"{source}: {len(artist_ids)} MusicBrainz artist id(s) for {len(artists)} artist(s); "
                        "the ids are not linked")
        artist_ids = ()
    one = {name: (texts[name][0] if texts[name] else None) for name in NAMES}
    return Metadata(
        title=one["title"], artists=artists, artist_ids=artist_ids,
        artist_credit=", ".join(texts["artist"]) or (", ".join(artists) or None),
        album=one["album"], album_artist=one["albumartist"],
        release_id=_mbid(one["musicbrainz_albumid"], "musicbrainz_albumid", source, problems),
        track_number=_track_number(one["tracknumber"], source, problems),
        date=_date(one["date"], source, problems), genre=" / ".join(texts["genre"]) or None,
        isrc=_isrc(one["isrc"], source, problems),
        recording_id=_mbid(one["musicbrainz_trackid"], "musicbrainz_trackid", source, problems),
        problems=tuple(problems))


def _split_artists(values: list[str]) -> list[str]:
    """Several artists in one value, as some taggers write them ("A; B"), as separate names."""
    return [part.strip() for value in values for part in value.split(";") if part.strip()]


def _mbid(text: str | None, name: str, source: str, problems: list[str]) -> str | None:
    """A MusicBrainz id in its canonical form (lowercase UUID), or None with a problem named."""
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        problems.append(f"{source}: {name} {text!r} is not a MusicBrainz id (a UUID); left out")
        return None


def _track_number(text: str | None, source: str, problems: list[str]) -> int | None:
    """The track's number on its release ("3" or "3/12"), or None with a problem named."""
    if text is None:
        return None
    number = text.split("/", 1)[0].strip()
    if not number.isdigit() or int(number) < 1:
        problems.append(f"{source}: track number {text!r} is not a positive whole number; left out")
        return None
    return int(number)


def _date(text: str | None, source: str, problems: list[str]) -> str | None:
    """A release date as YYYY, YYYY-MM or YYYY-MM-DD (the start of an ID3 timestamp), or None with a problem."""
    if text is None:
        return None
    match = DATE.match(text)
    try:  # a month or day out of range is as wrong as no date
        if match is None or len(match.group()) > 4:
            date.fromisoformat((match.group() + "-01")[:10])  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        match = None
    if match is None:
        problems.append(f"{source}: date {text!r} is not YYYY, YYYY-MM or YYYY-MM-DD; left out")
        return None
    return match.group()


def _isrc(text: str | None, source: str, problems: list[str]) -> str | None:
    """An ISRC without its hyphens (CC-XXX-YY-NNNNN → CCXXXYYNNNNN), or None with a problem named."""
    if text is None:
        return None
    code = text.replace("-", "").upper()
    if not ISRC.fullmatch(code):
        problems.append(f"{source}: ISRC {text!r} is not 12 letters and digits (CC-XXX-YY-NNNNN); left out")
        return None
    return code
