import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signclip.data.formats import wlasl
from signclip.data.formats.report import ImportReport
from signclip.errors import ManifestError
from signclip.pose.io import read_pose

# Real recordings (../shared/data) that stand in for WLASL videos' poses.
ESSEN = "sgg-words/essen.pose"  # 73 frames
KINDER = "sgg-words/kinder.pose"  # 45 frames
PIZZA = "sgg-words/pizza.pose"  # 53 frames


def instance(video_id, split="train", start=1, end=-1, signer=118, **extra):
    """One instance in WLASL_v0.3.json's published shape."""
    return {
        "bbox": [385, 37, 885, 720],
        "fps": 25,
        "frame_end": end,
        "frame_start": start,
        "instance_id": 0,
        "signer_id": signer,
        "source": "aslbrick",
        "split": split,
        "url": f"https://example.org/{video_id}.mp4",
        "variation_id": 0,
        "video_id": video_id,
        **extra,
    }


def write_index(folder: Path, entries) -> Path:
    path = folder / "WLASL_v0.3.json"
    path.write_text(json.dumps(entries))
    return path


def run(index: Path, out: Path, poses: Path, poses_from: str = "videos", workers: int = 1):
    parser = argparse.ArgumentParser()
    wlasl.add_arguments(parser)
    options = ["--poses", str(poses), "--poses-from", poses_from, "--workers", str(workers)]
    args = parser.parse_args(options)
    args.no_progress = True  # the import command's own option
    report = ImportReport(wlasl.LAYOUT, str(index))
    out.mkdir(exist_ok=True)
    return wlasl.import_dataset(index, out, args, report), report


def data_of(pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    return np.ma.getdata(pose.body.data), np.ma.getdata(pose.body.confidence)


@pytest.fixture()
def dataset(tmp_path, shared_data):
    poses = tmp_path / "poses"
    poses.mkdir()
    shutil.copy(shared_data / ESSEN, poses / "00001.pose")
    shutil.copy(shared_data / KINDER, poses / "00002.pose")
    shutil.copy(shared_data / PIZZA, poses / "00003.pose")
    entries = [
        {
            "gloss": "book",
            "instances": [
                instance("00001", "train", 11, 30),
                instance("00002", "val", signer=7),
            ],
        },
        {"gloss": "drink", "instances": [instance("00003", "test", 40, 1000)]},
    ]
    return write_index(tmp_path, entries), poses


def test_records_and_cut_clips_equal_the_source_frames(tmp_path, dataset, shared_data):
    index, poses = dataset
    out = tmp_path / "out"
    records, report = run(index, out, poses)
    assert report.problems == []
    by_id = {r.clip_id: r for r in records}
    assert [r.clip_id for r in records] == ["00001", "00002", "00003"]
    assert [(r.text, r.split, r.signer) for r in records] == [
        ("book", "train", "118"),
        ("book", "dev", "7"),
        ("drink", "test", "118"),
    ]
    assert {(r.spoken_language, r.sign_language) for r in records} == {("en", "ase")}
    assert all(r.pose_path.is_absolute() for r in records)

    # Frames 11..30 (1-based, inclusive) of the recording: 0-based 10..29.
    source = read_pose(shared_data / ESSEN)
    cut = read_pose(by_id["00001"].pose_path)
    assert by_id["00001"].pose_path == (out / "poses" / "00001.pose").absolute()
    assert cut.body.data.shape[0] == 20
    np.testing.assert_array_equal(data_of(cut)[0], data_of(source)[0][10:30])
    np.testing.assert_array_equal(data_of(cut)[1], data_of(source)[1][10:30])
    assert cut.body.fps == source.body.fps
    assert [c.name for c in cut.header.components] == [c.name for c in source.header.components]

    # The whole recording (1..-1) names the pose file itself.
    assert by_id["00002"].pose_path == (poses / "00002.pose").absolute()
    # A range past the end stops at the last frame, as WLASL's own preprocessing slices.
    assert read_pose(by_id["00003"].pose_path).body.data.shape[0] == 53 - 39


def test_worker_processes_give_the_same_records_and_report(tmp_path, dataset):
    index, poses = dataset
    entries = json.loads(index.read_text())
    entries[0]["instances"] += [instance("dead"), instance("00001", "test")]
    write_index(tmp_path, entries)
    serial = run(index, tmp_path / "serial", poses)
    parallel = run(index, tmp_path / "parallel", poses, workers=2)
    assert [r.clip_id for r in parallel[0]] == [r.clip_id for r in serial[0]]
    assert [r.pose_path.name for r in parallel[0]] == [r.pose_path.name for r in serial[0]]
    assert parallel[1].problems == serial[1].problems
    assert serial[1].counts() == {"duplicate-id": 1, "missing-pose": 1}


YOUTUBE_ID = "Ab3_-xYz9Q0"


@pytest.mark.parametrize(
    ("poses_from", "stem", "cut"),
    [("videos", "00004", False), ("raw_videos", YOUTUBE_ID, True), ("whole", "00004", True)],
)
def test_youtube_instances_by_the_start_kits_folders(tmp_path, dataset, poses_from, stem, cut):
    index, poses = dataset
    shutil.copy(poses / "00002.pose", poses / f"{stem}.pose")  # 45 frames
    entries = json.loads(index.read_text())
    url = f"https://www.youtube.com/watch?v={YOUTUBE_ID}"
    entries[1]["instances"].append(instance("00004", start=3, end=12, url=url))
    write_index(tmp_path, entries)
    records, report = run(index, tmp_path / "out", poses, poses_from)
    assert report.problems == []
    record = records[-1]
    assert record.clip_id == "00004"
    frames = read_pose(record.pose_path).body.data.shape[0]
    assert frames == (10 if cut else 45)
    if not cut:
        assert record.pose_path == (poses / "00004.pose").absolute()
    # Instances that are not on YouTube are cut in every mode.
    assert read_pose(records[0].pose_path).body.data.shape[0] == 20


def test_a_youtube_url_without_an_id_is_malformed_for_raw_videos(tmp_path, dataset):
    index, poses = dataset
    entries = json.loads(index.read_text())
    entries[1]["instances"].append(instance("00004", url="https://youtu.be/x"))
    write_index(tmp_path, entries)
    records, report = run(index, tmp_path / "out", poses, "raw_videos")
    assert len(records) == 3
    assert [(p.kind, p.item) for p in report.problems] == [("malformed-row", "00004")]
    assert "does not end in a YouTube id" in report.problems[0].detail


def test_missing_poses_are_reported_by_video_id(tmp_path, dataset):
    index, poses = dataset
    entries = json.loads(index.read_text())
    entries[1]["instances"] += [instance("dead1"), instance("dead2", "test")]
    write_index(tmp_path, entries)
    records, report = run(index, tmp_path / "out", poses)
    assert len(records) == 3
    assert report.counts() == {"missing-pose": 2}
    assert [p.item for p in report.problems] == ["dead1", "dead2"]
    assert "dead1.pose" in report.problems[0].detail


def test_malformed_entries_and_duplicates_are_reported_and_left_out(tmp_path, dataset):
    index, poses = dataset
    entries = json.loads(index.read_text())
    entries[0]["instances"] += [
        instance("00002", "test"),  # duplicate id: the first (val) is kept
        instance("00004", "holdout"),
        instance("00005", end=0),
        instance("00006", start=0),
        {k: v for k, v in instance("00007").items() if k != "split"},
        instance("00008", start="1"),
        instance("../00001"),
        "not an object",
    ]
    entries += [{"instances": []}, {"gloss": "cup", "instances": None}, ["no", "object"]]
    write_index(tmp_path, entries)
    records, report = run(index, tmp_path / "out", poses)
    assert [r.clip_id for r in records] == ["00001", "00002", "00003"]
    assert next(r for r in records if r.clip_id == "00002").split == "dev"
    assert report.counts() == {"duplicate-id": 1, "malformed-row": 10}
    details = " | ".join(p.detail for p in report.problems)
    for fragment in (
        "split 'holdout'",
        "frame_end 0 before frame_start 1",
        "frame_start 0",
        "split is None",
        "frame_start is '1'",
        "video_id '../00001' cannot name a file",
        "must be an object",
        "no gloss",
        "'instances' is not a list",
    ):
        assert fragment in details
    duplicate = next(p for p in report.problems if p.kind == "duplicate-id")
    assert duplicate.item == "00002" and "entry 0 instance 1" in duplicate.detail


def _write_pose(path: Path, data: np.ndarray, confidence: np.ndarray, like: Pose) -> None:
    body = NumPyPoseBody(like.body.fps, np.ma.masked_array(data), confidence)
    with path.open("wb") as f:
        Pose(like.header, body).write(f)


def test_bad_pose_files_are_reported(tmp_path, dataset, shared_data):
    index, poses = dataset
    source = read_pose(shared_data / KINDER)
    data, confidence = (a.copy() for a in data_of(source))
    # NaN in a few points and two whole frames: they become missing, never NaN in the output.
    data[5, 0, :4] = np.nan
    data[6:8, 0] = np.nan
    _write_pose(poses / "nan.pose", data, confidence, source)
    _write_pose(poses / "blank.pose", data, np.zeros_like(confidence), source)
    _write_pose(poses / "empty.pose", data[:0], confidence[:0], source)
    (poses / "garbage.pose").write_bytes(b"this is not a pose file at all")
    entries = [
        {
            "gloss": "x",
            "instances": [
                instance("nan"),
                instance("blank"),
                instance("empty"),
                instance("garbage"),
                instance("00001", start=500, end=510),
            ],
        }
    ]
    write_index(tmp_path, entries)
    out = tmp_path / "out"
    records, report = run(index, out, poses)
    assert report.counts() == {
        "bad-frame-range": 1,
        "empty-sequence": 2,
        "nan-only-frames": 1,
        "unreadable-file": 1,
    }
    assert sorted((p.kind, p.item) for p in report.problems) == [
        ("bad-frame-range", "00001"),
        ("empty-sequence", "blank"),
        ("empty-sequence", "empty"),
        ("nan-only-frames", "nan"),
        ("unreadable-file", "garbage"),
    ]
    assert "2 of 45 frames" in next(p.detail for p in report.problems if p.item == "nan")

    [record] = records
    assert record.clip_id == "nan" and record.pose_path == (out / "poses" / "nan.pose").absolute()
    cleaned_data, cleaned_confidence = data_of(read_pose(record.pose_path))
    assert np.isfinite(cleaned_data).all()
    nan_points = ~np.isfinite(data).all(axis=-1)
    assert (cleaned_confidence[nan_points] == 0).all()
    assert (cleaned_data[nan_points] == 0).all()
    np.testing.assert_array_equal(cleaned_data[~nan_points], data[~nan_points])
    np.testing.assert_array_equal(cleaned_confidence[~nan_points], confidence[~nan_points])


def test_a_rerun_gives_the_same_clips_and_report(tmp_path, dataset):
    index, poses = dataset
    out = tmp_path / "out"
    first, first_report = run(index, out, poses)
    written = out / "poses" / "00001.pose"
    before = written.read_bytes()
    again, report = run(index, out, poses)
    assert report.problems == first_report.problems
    assert again == first and written.read_bytes() == before


def test_unusable_index_is_one_error(tmp_path):
    poses = tmp_path / "poses"
    poses.mkdir()
    with pytest.raises(ManifestError, match="no such file"):
        run(tmp_path / "WLASL_v0.3.json", tmp_path / "out", poses)
    bad = tmp_path / "bad.json"
    for text, message in (
        ("{not json", "not valid JSON"),
        ('{"gloss": "book"}', "expected a list of glosses, got dict"),
        ("[]", "no glosses"),
    ):
        bad.write_text(text)
        with pytest.raises(ManifestError, match=message) as info:
            run(bad, tmp_path / "out", poses)
        assert "\n" not in str(info.value)


def test_a_folder_source_reads_its_index(tmp_path, dataset):
    index, poses = dataset
    records, _ = run(index.parent, tmp_path / "out", poses)
    assert len(records) == 3
