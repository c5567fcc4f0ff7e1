"""Catalog metadata read from real files' own tags: Vorbis comments (FLAC, Ogg), ID3 (MP3), none (WAV)."""

from __future__ import annotations

import pytest
from whytag_testing import COLTRANE, DAVIS, KELLY, KIND_OF_BLUE, SO_WHAT, write_tagged_audio

from whytag import WhytagError
from whytag.extractors.tags import Metadata, TagError, metadata_from, read_tags


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    return write_tagged_audio(tmp_path_factory.mktemp("tagged"))


def test_vorbis_comments_of_flac_and_ogg(tagged):
    assert read_tags(tagged["blue.flac"]) == Metadata(
        title="Blue Train", artists=("John Coltrane",), artist_credit="John Coltrane", artist_ids=(COLTRANE,),
        album="Blue Train", track_number=1, date="1957-09-15", genre="Jazz", isrc="USBN15700001")
    freddie = read_tags(tagged["freddie.ogg"])  # upper-case names; ARTISTS beside the ARTIST credit
    assert (freddie.artists, freddie.artist_credit, freddie.artist_ids) == (
        ("Miles Davis", "Wynton Kelly"), "Miles Davis feat. Wynton Kelly", (DAVIS, KELLY))
    assert (freddie.release_id, freddie.date, freddie.track_number) == (KIND_OF_BLUE, "1959-08", 2)


def test_id3_frames_of_an_mp3_and_a_bad_id_left_out_with_its_reason(tagged):
    so_what = read_tags(tagged["so-what.mp3"])
    assert (so_what.title, so_what.artists, so_what.artist_ids, so_what.album) == (
        "So What", ("Miles Davis",), (DAVIS,), "Kind of Blue")
    assert so_what.recording_id == SO_WHAT  # UFID's bytes, upper case in the file, canonical here
    assert (so_what.genre, so_what.date, so_what.isrc, so_what.release_id) == ("Jazz", "1959", "USSM15900113", None)
    assert so_what.problems == (f"{tagged['so-what.mp3']}: musicbrainz_albumid 'nope' is not a MusicBrainz id "
                                "(a UUID); left out",)


def test_a_file_without_tags_has_no_metadata_and_a_broken_tag_block_is_a_clear_error(tagged, tmp_path):
    assert read_tags(tagged["plain.wav"]).present() == set()
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + b"\x00" * 40)  # the FLAC marker, then no valid metadata block
    with pytest.raises(TagError, match=f"^{broken}: its tags cannot be read") as caught:
        read_tags(broken)
    assert isinstance(caught.value, WhytagError)


def test_values_are_checked_and_bad_ones_named():
    meta = metadata_from({"tracknumber": ["0"], "date": ["1959-13"], "isrc": ["US-123"], "artist": ["A; B"],
                          "musicbrainz_artistid": [DAVIS]}, "row 3")
    assert meta.present() == {"artists", "artist_credit"}  # two names, one id: the id is not linked
    assert meta.artists == ("A", "B") and meta.artist_ids == ()
    assert meta.problems == (
        "row 3: 1 MusicBrainz artist id(s) for 2 artist(s); the ids are not linked",
        "row 3: track number '0' is not a positive whole number; left out",
        "row 3: date '1959-13' is not YYYY, YYYY-MM or YYYY-MM-DD; left out",
        "row 3: ISRC 'US-123' is not 12 letters and digits (CC-XXX-YY-NNNNN); left out")


def test_mp4_atoms(tmp_path):
    """An AAC file in MP4 with iTunes atoms and Picard's freeform MusicBrainz atoms (needs ffmpeg to encode it)."""
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed: no MP4 encoder here (Essentia's AudioWriter has none, and mutagen "
                    "cannot create an MP4 file from nothing)")
    from mutagen.mp4 import MP4, MP4FreeForm

    path = tmp_path / "so-what.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                    "-c:a", "aac", str(path)], check=True)
    mp4 = MP4(path)
    mp4.update({"\xa9nam": ["So What"], "\xa9ART": ["Miles Davis"], "\xa9alb": ["Kind of Blue"], "trkn": [(1, 5)],
                "\xa9day": ["1959-08-17"], "\xa9gen": ["Jazz"],
                "----:com.apple.iTunes:MusicBrainz Track Id": [MP4FreeForm(SO_WHAT.encode())],
                "----:com.apple.iTunes:MusicBrainz Artist Id": [MP4FreeForm(DAVIS.encode())]})
    mp4.save()
    assert read_tags(path) == Metadata(
        title="So What", artists=("Miles Davis",), artist_credit="Miles Davis", artist_ids=(DAVIS,),
        album="Kind of Blue", track_number=1, date="1959-08-17", genre="Jazz", recording_id=SO_WHAT)
