import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.data.formats import how2sign
from signclip.data.formats.report import ImportReport
from signclip.errors import ConfigError, ManifestError, PoseFileError
from signclip.pose.features import load_features
from signclip.pose.io import read_pose

OPENPOSE = "pose-format/openpose.pose"  # 93 frames of OpenPose BODY_25 + face + hands, 2D
COLUMNS = [
    "VIDEO_ID", "VIDEO_NAME", "SENTENCE_ID", "SENTENCE_NAME", "START_REALIGNED", "END_REALIGNED",
    "SENTENCE",
]  # fmt: skip
FIRST = "-d5dN54tH2E_0-1-rgb_front"
SECOND = "-d5dN54tH2E_1-1-rgb_front"


def openpose_frames(pose, frames: range) -> list[dict]:
    """The recording's frames as OpenPose writes them: one JSON object per frame."""
    data = np.ma.getdata(pose.body.data)[:, 0]
    confidence = np.ma.getdata(pose.body.confidence)[:, 0]
    result = []
    for t in frames:
        person, offset = {"person_id": [-1]}, 0
        for component in pose.header.components:
            count = len(component.points)
            xyc = np.concatenate(
                [data[t, offset : offset + count], confidence[t, offset : offset + count, None]],
                axis=1,
            )
            person[component.name] = [float(v) for v in xyc.ravel()]
            offset += count
        for extra in ("pose_keypoints_3d", "face_keypoints_3d"):
            person[extra] = []
        result.append({"version": 1.3, "people": [person]})
    return result


def write_sentence(json_root: Path, name: str, frames: list[dict], numbers=None) -> Path:
    folder = json_root / name
    folder.mkdir(parents=True)
    for number, frame in zip(numbers or range(len(frames)), frames, strict=True):
        (folder / f"{name}_{number:012d}_keypoints.json").write_text(json.dumps(frame))
    return folder


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    lines = ["\t".join(COLUMNS)] + ["\t".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def csv_row(name: str, sentence: str) -> list[str]:
    return [
        "-d5dN54tH2E",
        "-d5dN54tH2E-1-rgb_front",
        "-d5dN54tH2E_0",
        name,
        "0.0",
        "5.69",
        sentence,
    ]


def run(source: Path, out: Path, *options: str):
    parser = argparse.ArgumentParser()
    how2sign.add_arguments(parser)
    args = parser.parse_args(["--workers", "1", *options])
    args.no_progress = True  # the import command's own option
    report = ImportReport(how2sign.LAYOUT, str(source))
    out.mkdir(exist_ok=True)
    return how2sign.import_dataset(source, out, args, report), report


@pytest.fixture(scope="module")
def recording(shared_data):
    return read_pose(shared_data / OPENPOSE)


@pytest.fixture()
def dataset(tmp_path, recording):
    """val_2D_keypoints/openpose_output/json/<SENTENCE_NAME>/ beside how2sign_realigned_val.csv."""
    json_root = tmp_path / "val_2D_keypoints" / "openpose_output" / "json"
    write_sentence(json_root, FIRST, openpose_frames(recording, range(0, 30)))
    write_sentence(json_root, SECOND, openpose_frames(recording, range(30, 93)))
    rows = [csv_row(FIRST, 'And "this" is a sentence.'), csv_row(SECOND, "The second one.")]
    return write_csv(tmp_path / "how2sign_realigned_val.csv", rows), json_root


def test_sentences_become_openpose_pose_files_equal_to_the_frames(tmp_path, dataset, recording):
    csv_path, _ = dataset
    out = tmp_path / "out"
    records, report = run(csv_path, out)
    assert report.problems == []
    assert [(r.clip_id, r.text, r.split, r.signer) for r in records] == [
        (FIRST, 'And "this" is a sentence.', "dev", None),
        (SECOND, "The second one.", "dev", None),
    ]
    assert {(r.spoken_language, r.sign_language) for r in records} == {("en", "ase")}
    assert records[0].pose_path == (out / "poses" / f"{FIRST}.pose").absolute()

    converted = read_pose(records[1].pose_path)
    # pose-format's OpenPose naming, component by component and point by point.
    assert [(c.name, c.points, c.format) for c in converted.header.components] == [
        (c.name, c.points, c.format) for c in recording.header.components
    ]
    assert (converted.header.dimensions.width, converted.header.dimensions.height) == (1280, 720)
    assert converted.body.fps == 24
    data, confidence = np.ma.getdata(converted.body.data), np.ma.getdata(converted.body.confidence)
    source_data = np.ma.getdata(recording.body.data)[30:93]
    source_confidence = np.ma.getdata(recording.body.confidence)[30:93]
    assert data.shape == source_data.shape == (63, 1, 137, 2)
    np.testing.assert_array_equal(confidence, source_confidence)
    present = source_confidence > 0
    np.testing.assert_array_equal(data[present], source_data[present])
    assert (data[~present] == 0).all() and converted.body.data.mask[~present].all()


def test_the_openpose_preset_trains_on_them_and_mediapipe_presets_refuse(tmp_path, dataset):
    csv_path, _ = dataset
    records, _ = run(csv_path, tmp_path / "out")
    features = load_features(records[1].pose_path, PoseConfig(preset="openpose-body-hands"))
    assert features.shape == (63, 162) and np.isfinite(features).all()
    for preset in ("reduced-face", "sign-vq", "dominant-hand"):
        with pytest.raises(PoseFileError, match=r"use pose\.preset=openpose-body-hands$"):
            load_features(records[1].pose_path, PoseConfig(preset=preset))


def test_empty_and_missing_frames(tmp_path, dataset, recording):
    csv_path, json_root = dataset
    frames = openpose_frames(recording, range(0, 6))
    frames[2]["people"] = []  # nobody detected in this frame
    write_sentence(json_root, "gap-rgb_front", frames, numbers=[0, 1, 2, 4, 5, 7])
    nobody = [{"version": 1.3, "people": []} for _ in range(4)]
    write_sentence(json_root, "nobody-rgb_front", nobody)
    (json_root / "no-files-rgb_front").mkdir()
    rows = [csv_row(n, "text") for n in ("gap-rgb_front", "nobody-rgb_front", "no-files-rgb_front")]
    write_csv(csv_path, [*rows, csv_row("absent-rgb_front", "text")])
    records, report = run(csv_path, tmp_path / "out")
    assert [r.clip_id for r in records] == ["gap-rgb_front"]
    assert sorted((p.kind, p.item) for p in report.problems) == [
        ("empty-frames", "gap-rgb_front"),
        ("empty-sequence", "no-files-rgb_front"),
        ("empty-sequence", "nobody-rgb_front"),
        ("missing-frames", "gap-rgb_front"),
        ("missing-pose", "absent-rgb_front"),
    ]
    details = {p.kind: p.detail for p in report.problems}
    assert details["missing-frames"].startswith("2 of 8 frame numbers have no file")
    assert "1 of 6 frames have no point detected" in details["empty-frames"]
    gap = read_pose(records[0].pose_path)
    confidence = np.ma.getdata(gap.body.confidence)[:, 0]
    detected = (confidence > 0).any(axis=1)
    np.testing.assert_array_equal(detected, [True, True, False, False, True, True, False, True])
    np.testing.assert_array_equal(
        np.ma.getdata(gap.body.data)[7], np.ma.getdata(recording.body.data)[5]
    )


def test_malformed_frames_rows_and_duplicates(tmp_path, dataset, recording):
    csv_path, json_root = dataset
    frames = openpose_frames(recording, range(3))
    broken = {
        "bad-json": lambda folder: (folder / "bad-json_000000000001_keypoints.json").write_text(
            "{not json"
        ),
        "short-hand": lambda folder: _rewrite(folder, "hand_left_keypoints_2d", [1.0, 2.0]),
        "text-value": lambda folder: _rewrite(folder, "face_keypoints_2d", ["x"] * 210),
        "no-people": lambda folder: (folder / "no-people_000000000002_keypoints.json").write_text(
            "{}"
        ),
        "far-frames": lambda folder: (folder / "far-frames_000000000090_keypoints.json").rename(
            folder / "far-frames_000000009000_keypoints.json"
        ),
    }
    for name, damage in broken.items():
        damage(write_sentence(json_root, name, frames, numbers=[0, 1, 90 if "far" in name else 2]))
    rows = [csv_row(FIRST, "kept"), csv_row(FIRST, "again")]
    rows += [csv_row(name, "text") for name in broken]
    rows += [["only", "three", "fields"], csv_row("", "text"), csv_row("no-text", " ")]
    write_csv(csv_path, rows)
    records, report = run(csv_path, tmp_path / "out")
    assert [(r.clip_id, r.text) for r in records] == [(FIRST, "kept")]
    assert report.counts() == {"duplicate-id": 1, "malformed-json": 5, "malformed-row": 3}
    details = {p.item: p.detail for p in report.problems}
    assert "not valid JSON" in details["bad-json"]
    assert "hand_left_keypoints_2d has 2 values, not 63" in details["short-hand"]
    assert "not a number" in details["text-value"]
    assert "no 'people' list" in details["no-people"]
    assert "frame numbers run from 0 to 9000" in details["far-frames"]
    assert "first at how2sign_realigned_val.csv line 2" in details[FIRST]


def _rewrite(folder: Path, component: str, values) -> None:
    path = sorted(folder.iterdir())[0]
    frame = json.loads(path.read_text())
    frame["people"][0][component] = values
    path.write_text(json.dumps(frame))


def test_split_options_and_keypoint_folder(tmp_path, dataset):
    csv_path, json_root = dataset
    renamed = csv_path.rename(tmp_path / "sentences.csv")
    with pytest.raises(ConfigError, match="give --split"):
        run(renamed, tmp_path / "out")
    for folder in (json_root, json_root.parent.parent):
        records, report = run(
            renamed, tmp_path / "out", "--split", "test", "--keypoints", str(folder)
        )
        assert {r.split for r in records} == {"test"} and report.problems == []
    with pytest.raises(ManifestError, match="no such folder"):
        run(renamed, tmp_path / "out", "--split", "test")
    with pytest.raises(ConfigError, match="frame size"):
        run(csv_path.parent / "x_train.csv", tmp_path / "out", "--frame-size", "big")


def test_worker_processes_give_the_same_records_and_report(tmp_path, dataset):
    csv_path, _ = dataset
    write_csv(csv_path, [csv_row(n, "text") for n in (FIRST, "absent-rgb_front", SECOND, FIRST)])
    serial = run(csv_path, tmp_path / "serial")
    parallel = run(csv_path, tmp_path / "parallel", "--workers", "2")
    assert [r.clip_id for r in parallel[0]] == [r.clip_id for r in serial[0]] == [FIRST, SECOND]
    assert parallel[1].problems == serial[1].problems
    assert serial[1].counts() == {"duplicate-id": 1, "missing-pose": 1}
    for a, b in zip(serial[0], parallel[0], strict=True):
        assert a.pose_path.read_bytes() == b.pose_path.read_bytes()


def test_a_folder_of_splits_becomes_one_manifest(tmp_path, dataset, recording):
    test_root = tmp_path / "test_2D_keypoints" / "openpose_output" / "json"
    write_sentence(test_root, "t-rgb_front", openpose_frames(recording, range(5)))
    rows = [csv_row("t-rgb_front", "a test sentence"), csv_row(FIRST, "repeated")]
    write_csv(tmp_path / "how2sign_realigned_test.csv", rows)
    records, report = run(tmp_path, tmp_path / "out")
    assert [(r.clip_id, r.split) for r in records] == [
        (FIRST, "dev"),
        (SECOND, "dev"),
        ("t-rgb_front", "test"),
    ]
    [duplicate] = report.problems
    assert (duplicate.kind, duplicate.item) == ("duplicate-id", FIRST)
    assert "first at how2sign_realigned_val.csv line 2" in duplicate.detail
    with pytest.raises(ConfigError, match="is a folder of splits"):
        run(tmp_path, tmp_path / "out", "--split", "dev")
    with pytest.raises(ManifestError, match="no how2sign_realigned"):
        run(tmp_path / "out", tmp_path / "out2")


def test_frame_size_and_fps_options(tmp_path, dataset):
    csv_path, _ = dataset
    records, _ = run(csv_path, tmp_path / "out", "--frame-size", "1920x1080", "--fps", "30")
    pose = read_pose(records[0].pose_path)
    assert (pose.header.dimensions.width, pose.header.dimensions.height) == (1920, 1080)
    assert pose.body.fps == 30


def test_a_rerun_reuses_converted_sentences(tmp_path, dataset):
    csv_path, json_root = dataset
    out = tmp_path / "out"
    first, _ = run(csv_path, out)
    before = first[0].pose_path.read_bytes()
    for path in (json_root / FIRST).iterdir():
        path.unlink()  # the frames are not read again
    again, report = run(csv_path, out)
    assert report.problems == [] and again == first
    assert first[0].pose_path.read_bytes() == before


def test_a_rerun_with_other_frame_settings_converts_again(tmp_path, dataset):
    csv_path, _ = dataset
    out = tmp_path / "out"
    run(csv_path, out)
    records, _ = run(csv_path, out, "--frame-size", "1920x1080", "--fps", "30")
    pose = read_pose(records[0].pose_path)
    assert (pose.header.dimensions.width, pose.header.dimensions.height) == (1920, 1080)
    assert pose.body.fps == 30


def test_unusable_sentence_file_is_one_error(tmp_path, dataset):
    csv_path, _ = dataset
    with pytest.raises(ManifestError, match="no such file"):
        run(tmp_path / "missing_val.csv", tmp_path / "out")
    csv_path.write_text("VIDEO_ID,SENTENCE_NAME,SENTENCE\nx,y,z\n")
    with pytest.raises(ManifestError, match=r"missing column 'SENTENCE_NAME'.*tab-separated"):
        run(csv_path, tmp_path / "out")
