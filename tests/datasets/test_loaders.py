"""Every dataset loader on small generated layouts: ids, labels, official splits, and clear problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.model_selection import train_test_split

from whytag.datasets import DATASETS, DatasetError, open_dataset
from whytag.datasets.demo import write_demo
from whytag.datasets.gtzan import GENRES


def audio_bytes(tmp_path, fmt: str) -> bytes:
    """A tiny real audio file in `fmt` (AU, WAV or MP3); copies stand in for every clip of a layout."""
    path = tmp_path / f"tiny.{fmt.lower()}"
    sf.write(path, np.zeros(2205, dtype=np.float32), 22050, format=fmt)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.fixture
def gtzan_root(tmp_path):
    root = tmp_path / "gtzan"
    data = audio_bytes(tmp_path, "AU")
    for genre in GENRES:
        (root / "genres" / genre).mkdir(parents=True)
        for n in range(100):
            (root / "genres" / genre / f"{genre}.{n:05d}.au").write_bytes(data)
    return root


def test_gtzan_ids_labels_and_the_papers_random_split(gtzan_root):
    dataset = open_dataset("gtzan", gtzan_root)
    assert dataset.validate() == []
    ids = dataset.track_ids()
    assert len(ids) == 1000 and ids[0] == "blues.00000" and dataset.single_label
    assert dataset.vocabulary == list(GENRES)
    assert dataset.labels()["metal.00042"] == "metal"
    assert dataset.audio_path("jazz.00054") == gtzan_root / "genres" / "jazz" / "jazz.00054.au"
    train, test = dataset.split("train"), dataset.split("test")
    expected_train, expected_test = train_test_split(sorted(ids), train_size=0.8, random_state=4)
    assert (train, test) == (sorted(expected_train), sorted(expected_test))
    assert len(train) == 800 and not set(train) & set(test)
    with pytest.raises(DatasetError, match="no split part 'valid'"):
        dataset.split("valid")


def test_gtzan_broken_layout_names_each_missing_path(gtzan_root):
    (gtzan_root / "genres" / "jazz" / "jazz.00054.au").unlink()
    (gtzan_root / "genres" / "pop" / "pop.00007.au").write_bytes(b"")
    problems = open_dataset("gtzan", gtzan_root).validate()
    assert problems == [f"{gtzan_root / 'genres' / 'jazz' / 'jazz.00054.au'}: missing audio file",
                        f"{gtzan_root / 'genres' / 'pop' / 'pop.00007.au'}: empty file"]
    for genre in ("rock", "reggae"):
        for clip in (gtzan_root / "genres" / genre).iterdir():
            clip.unlink()
        (gtzan_root / "genres" / genre).rmdir()
    problems = open_dataset("gtzan", gtzan_root).validate()
    assert problems == [f"{gtzan_root / 'genres' / 'reggae'}: missing", f"{gtzan_root / 'genres' / 'rock'}: missing"]
    with pytest.raises(DatasetError, match="rock: missing"):
        open_dataset("gtzan", gtzan_root).labels()


def test_gtzan_fault_filtered_split_reads_the_authors_lists(gtzan_root):
    dataset = open_dataset("gtzan", gtzan_root, split="filtered")
    problems = dataset.validate()
    assert [p.split(":")[0] for p in problems] == [str(gtzan_root / f"{part}_filtered.txt")
                                                   for part in ("train", "valid", "test")]
    assert all("missing" in p and "Kereliuk" in p for p in problems)
    (gtzan_root / "train_filtered.txt").write_text("blues/blues.00000.au\nrock/rock.00099.wav\n\n")
    (gtzan_root / "valid_filtered.txt").write_text("jazz/jazz.00001.au\n")
    (gtzan_root / "test_filtered.txt").write_text("pop/pop.00002.au\nnot a clip\n")
    assert dataset.split("train") == ["blues.00000", "rock.00099"]
    assert dataset.split("valid") == ["jazz.00001"]
    assert dataset.validate() == [f"{gtzan_root / 'test_filtered.txt'}:2: 'not a clip' is not a GTZAN clip "
                                  f"such as blues/blues.00000.au"]


def test_gtzan_accepts_kaggle_folder_and_wav(tmp_path):
    data = audio_bytes(tmp_path, "WAV")
    for genre in GENRES:
        (tmp_path / "genres_original" / genre).mkdir(parents=True)
        for n in range(100):
            (tmp_path / "genres_original" / genre / f"{genre}.{n:05d}.wav").write_bytes(data)
    dataset = open_dataset("gtzan", tmp_path)
    assert dataset.validate() == []
    assert dataset.audio_path("rock.00001").name == "rock.00001.wav"


@pytest.fixture
def mtat_root(tmp_path):
    """32 clips, two per folder 0–f, 60 tags of which tag59 is never used and tag58 once."""
    root = tmp_path / "mtat"
    data = audio_bytes(tmp_path, "MP3")
    tags = [f"tag{k:02d}" for k in range(60)]
    rows = []
    for i in range(32):
        folder = "0123456789abcdef"[i // 2]
        (root / folder).mkdir(parents=True, exist_ok=True)
        mp3 = f"{folder}/artist-album-{i:02d}-0-29.mp3"
        (root / mp3).write_bytes(data)
        values = [int(k < 58 and (i + k) % 3 != 0) for k in range(60)]
        values[58] = int(i == 5)
        rows.append([str(i * 7)] + values + [mp3])
    header = ["clip_id"] + tags + ["mp3_path"]
    lines = ["\t".join(f'"{v}"' for v in header)] + ["\t".join(f'"{v}"' for v in row) for row in rows]
    (root / "annotations_final.csv").write_text("\n".join(lines) + "\n")
    return root


def test_mtat_top50_and_the_split_by_folder(mtat_root):
    dataset = open_dataset("mtat", mtat_root)
    assert dataset.validate() == []
    labels = dataset.labels()
    assert labels.shape == (32, 50) and not dataset.single_label
    assert "tag59" not in dataset.vocabulary and "tag58" not in dataset.vocabulary
    assert set(labels.index) == {str(i * 7) for i in range(32)}
    train, valid, test = (dataset.split(p) for p in ("train", "valid", "test"))
    assert (len(train), len(valid), len(test)) == (24, 2, 6)
    assert {dataset.audio_path(c).parent.name for c in valid} == {"c"}
    assert {dataset.audio_path(c).parent.name for c in test} == {"d", "e", "f"}


def test_mtat_broken_layout(mtat_root):
    for clip in (mtat_root / "f").iterdir():
        clip.unlink()
    (mtat_root / "f").rmdir()
    (mtat_root / "3" / "artist-album-06-0-29.mp3").unlink()
    assert open_dataset("mtat", mtat_root).validate() == [
        f"{mtat_root / 'f'}: missing folder (2 audio file(s) expected in it)",
        f"{mtat_root / '3' / 'artist-album-06-0-29.mp3'}: missing audio file"]
    (mtat_root / "annotations_final.csv").write_text("clip_id\tguitar\tmp3_path\n1\t1\t0/a.mp3\n")
    [problem] = open_dataset("mtat", mtat_root).validate()
    assert problem.startswith(f"{mtat_root / 'annotations_final.csv'}: expected columns clip_id, 50+ tag columns")
    (mtat_root / "annotations_final.csv").unlink()
    assert open_dataset("mtat", mtat_root).validate() == [f"{mtat_root / 'annotations_final.csv'}: missing"]


def jamendo_rows(tracks) -> str:
    header = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"
    return "\n".join([header] + [f"track_{t:07d}\tartist_{t % 5:06d}\talbum_{t:06d}\t{t % 100:02d}/{t}.mp3\t200.0\t"
                                 + "\t".join(f"mood/theme---{tag}" for tag in tags) for t, tags in tracks]) + "\n"


@pytest.fixture
def jamendo_root(tmp_path):
    """Nine tracks; 'happy' and 'sad' occur in every part of split 0, 'epic' only in train."""
    root = tmp_path / "jamendo"
    data = audio_bytes(tmp_path, "MP3")
    tracks = [(1000 + i, ["happy"] if i % 2 else ["sad", "epic" if i < 3 else "sad"]) for i in range(9)]
    tracks[0] = (1000, ["sad", "happy"])
    (root / "splits" / "split-0").mkdir(parents=True)
    (root / "autotagging_moodtheme.tsv").write_text(jamendo_rows(tracks))
    for name, part in {"train": tracks[:3], "validation": tracks[3:6], "test": tracks[6:]}.items():
        (root / "splits" / "split-0" / f"autotagging_moodtheme-{name}.tsv").write_text(jamendo_rows(part))
    for t, _ in tracks:
        (root / "audio" / f"{t % 100:02d}").mkdir(parents=True, exist_ok=True)
        (root / "audio" / f"{t % 100:02d}" / f"{t}.mp3").write_bytes(data)
    return root


def test_jamendo_moodtheme_labels_and_official_split(jamendo_root):
    dataset = open_dataset("jamendo", jamendo_root)
    assert dataset.name == "jamendo-moodtheme"
    assert dataset.validate() == []
    assert dataset.vocabulary == ["happy", "sad"]  # 'epic' is not in every part, as in the official splits
    labels = dataset.labels()
    assert labels.loc["track_0001000"].tolist() == [1, 1] and labels.loc["track_0001001"].tolist() == [1, 0]
    assert dataset.split("valid") == ["track_0001003", "track_0001004", "track_0001005"]
    assert dataset.audio_path("track_0001004") == jamendo_root / "audio" / "04" / "1004.mp3"


def test_jamendo_broken_layout(jamendo_root):
    test_split = jamendo_root / "splits" / "split-0" / "autotagging_moodtheme-test.tsv"
    kept = test_split.read_text()
    test_split.unlink()
    assert open_dataset("jamendo", jamendo_root).validate() == [f"{test_split}: missing"]
    test_split.write_text(kept)
    (jamendo_root / "audio" / "04" / "1004.mp3").unlink()
    assert open_dataset("jamendo", jamendo_root).validate() == [
        f"{jamendo_root / 'audio/04/1004.mp3'}: missing audio file"]
    assert open_dataset("jamendo", jamendo_root, split_index=1).validate()[0].endswith(
        "split-1/autotagging_moodtheme-train.tsv: missing")
    test_split.write_text(kept + "track_0009999\tartist_1\n")
    assert open_dataset("jamendo", jamendo_root).validate() == [
        f"{test_split}:5: expected TRACK_ID, ARTIST_ID, ALBUM_ID, PATH, DURATION and tags"]
    (jamendo_root / "autotagging_moodtheme.tsv").write_text("id\tpath\n")
    with pytest.raises(DatasetError, match="header is not TRACK_ID ARTIST_ID"):
        open_dataset("jamendo", jamendo_root).labels()
    with pytest.raises(DatasetError, match="subset 'moods'"):
        open_dataset("jamendo", jamendo_root, subset="moods")


def test_csv_reads_the_demo_list(tmp_path):
    write_demo(tmp_path / "demo", n=4, seconds=0.3)
    dataset = open_dataset("csv", tmp_path / "demo")
    assert dataset.validate() == [] and dataset.name == "labels"
    assert dataset.vocabulary == ["calm", "energetic", "happy", "sad"] and not dataset.single_label
    assert dataset.labels().loc["audio/01-sad-energetic.wav"].tolist() == [0, 1, 0, 1]
    assert dataset.labels().loc["audio/02-happy-calm.wav"].tolist() == [1, 0, 1, 0]
    assert sorted(dataset.split("train") + dataset.split("test")) == dataset.track_ids()


def test_csv_single_label_tsv_and_its_problems(tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(100, dtype=np.float32), 22050)
    listing = tmp_path / "genres.tsv"
    listing.write_text("a.wav\trock\nb.wav\tjazz\n")
    dataset = DATASETS["csv"](listing)
    assert dataset.single_label and dataset.labels().to_dict() == {"a.wav": "rock", "b.wav": "jazz"}
    assert dataset.validate() == [f"{tmp_path / 'b.wav'}: missing audio file"]
    listing.write_text("path\ttag\na.wav\trock\n\ta\na.wav\tpop\n")
    assert DATASETS["csv"](listing).validate() == [f"{listing}:3: no audio path in the first column",
                                                   f"{listing}:4: a.wav is listed twice"]
    assert DATASETS["csv"](tmp_path).validate() == [f"{tmp_path / 'labels.csv'}: missing"]
    with pytest.raises(DatasetError, match="unknown dataset 'fma'"):
        open_dataset("fma", tmp_path)
    assert pd.api.types.is_string_dtype(pd.Index(dataset.track_ids()))


def test_gtzan_reads_feature_table_ids_in_every_form(gtzan_root):
    dataset = open_dataset("gtzan", gtzan_root)
    assert [dataset.track_id(r) for r in (800007, "57", "100072.0", "blues/blues.00003.wav", "rock.00099")] == [
        "reggae.00007", "blues.00057", "classical.00072", "blues.00003", "rock.00099"]
    assert dataset.track_id("something-else") == "something-else"
