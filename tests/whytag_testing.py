"""Helpers the test modules import: the repository, the paper's feature tables, HermiT runs, tags by track.

Kept out of conftest.py because tests/serve has a conftest of its own, and `from conftest import …`
would then find whichever conftest module pytest imported last.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from whytag.datasets import DatasetError
from whytag.datasets.paper_tables import table_path

REPO = Path(__file__).resolve().parents[1]


def shared_table(name: str) -> Path:
    """Path of one of the paper's tables (whytag.datasets.paper_tables finds them), or skip the test saying why."""
    try:
        return table_path(name)
    except DatasetError as err:
        pytest.skip(str(err))


def hermit_world(owlready2, graph, folder: Path):
    """Run HermiT over `graph`; the world holds the inferred classes. Raises if inconsistent."""
    path = folder / "hermit-input.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world


COLTRANE = "b625448e-bf4a-41c3-a421-72ad46cdb831"  # MusicBrainz artist id (as Picard writes it)
DAVIS = "561d854a-6a28-4aa7-8c99-323e6ce46c2a"
KELLY = "0a5d3ac8-6b1f-4a8a-9d2e-5b4f64b2c4a1"
SO_WHAT = "8f3471b5-7e6a-48da-86a9-c1c07a0f47ae"  # a recording id
KIND_OF_BLUE = "ad5f8b5f-a5c6-4a8c-a2e9-6a9a0d7e6a1b"  # a release id


def write_tagged_audio(folder: Path) -> dict[str, Path]:
    """Real audio files with real tags, as taggers write them: a FLAC and an Ogg Vorbis file with Vorbis comments
    (libsndfile encodes them), an MP3 with ID3v2.4 (Essentia's FFmpeg encoder; MusicBrainz ids in UFID and TXXX
    frames, a numeric ID3v1 genre, one id that is not a UUID), and a WAV without tags. By file name."""
    import numpy as np
    import soundfile as sf
    from mutagen.flac import FLAC
    from mutagen.id3 import ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK, TSRC, TXXX, UFID
    from mutagen.oggvorbis import OggVorbis

    from whytag.extractors.essentia_quiet import es

    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(22050) / 22050
    tone = {name: (0.3 * np.sin(2 * np.pi * f * t)).astype(np.float32)
            for name, f in (("blue.flac", 330), ("so-what.mp3", 440), ("freddie.ogg", 550), ("plain.wav", 660))}
    paths = {name: folder / name for name in tone}
    sf.write(paths["blue.flac"], tone["blue.flac"], 22050)
    sf.write(paths["freddie.ogg"], tone["freddie.ogg"], 22050)
    sf.write(paths["plain.wav"], tone["plain.wav"], 22050)
    es.AudioWriter(filename=str(paths["so-what.mp3"]), format="mp3", sampleRate=22050)(
        np.stack([tone["so-what.mp3"]] * 2, axis=1))
    flac = FLAC(paths["blue.flac"])
    flac.update({"title": "Blue Train", "artist": "John Coltrane", "album": "Blue Train", "tracknumber": "1/5",
                 "date": "1957-09-15", "genre": "Jazz", "isrc": "US-BN1-57-00001", "musicbrainz_artistid": COLTRANE})
    flac.save()
    ogg = OggVorbis(paths["freddie.ogg"])
    ogg.update({"TITLE": "Freddie Freeloader", "ARTIST": "Miles Davis feat. Wynton Kelly",
                "ARTISTS": ["Miles Davis", "Wynton Kelly"], "ALBUM": "Kind of Blue", "TRACKNUMBER": "2",
                "DATE": "1959-08", "MUSICBRAINZ_ALBUMID": KIND_OF_BLUE, "MUSICBRAINZ_ARTISTID": [DAVIS, KELLY]})
    ogg.save()
    id3 = ID3()
    for frame in (TIT2(text=["So What"]), TPE1(text=["Miles Davis"]), TALB(text=["Kind of Blue"]),
                  TRCK(text=["1/5"]), TDRC(text=["1959"]), TCON(text=["(8)"]), TSRC(text=["USSM15900113"]),
                  UFID(owner="http://musicbrainz.org", data=SO_WHAT.upper().encode()),
                  TXXX(desc="MusicBrainz Artist Id", text=[DAVIS]), TXXX(desc="MusicBrainz Album Id", text=["nope"])):
        id3.add(frame)
    id3.save(paths["so-what.mp3"])
    return paths


def tags_of_each_track(store, graph) -> dict[str, frozenset]:
    """Each track's triples in a tagging graph (assignments, reasons, flips, and any about the track itself),
    keyed by track IRI: what must be a run's whole output for that track, never a part of it."""
    out: dict[str, set] = {}
    for s, p, o in store.graph_triples(graph):
        if not str(s).startswith(str(graph)):  # the run node and its counts
            out.setdefault(str(s).split("/tags/")[0], set()).add((s, p, o))
    return {track: frozenset(triples) for track, triples in out.items()}


def sparql_server(kind: str, folder: Path, **options):
    """A SPARQL server process on loopback ('oxigraph' or 'virtuoso', tests/sparql_servers.py) as a context
    manager yielding its store URL; skip saying which package is missing."""
    from sparql_servers import ServerMissing, binaries, oxigraph_server, virtuoso_server

    try:
        binaries(kind)
    except ServerMissing as missing:
        pytest.skip(str(missing))
    return (oxigraph_server if kind == "oxigraph" else virtuoso_server)(folder, **options)


def double_tolerance(url: str) -> float:
    """The relative error of the numbers read back from a server: 0, or 1e-4 for a Virtuoso that rounds the doubles
    it sends to 6 significant digits (kg/endpoint.py), the model's weights among them, so that a logit summed
    from several of them agrees to about 5 digits."""
    from whytag.kg.endpoint import Endpoint

    endpoint = Endpoint(url.split("|")[0], url.split("|")[0], 30, 0, None)
    endpoint.query("ASK {}")
    endpoint.close()
    return 1e-4 if endpoint.rounded_doubles else 0.0
