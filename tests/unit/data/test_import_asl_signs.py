import argparse
import csv
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from signclip.cli import import_data
from signclip.config import PoseConfig
from signclip.data.formats import asl_signs, pose_folder
from signclip.data.formats.report import ImportReport
from signclip.errors import ConfigError, ManifestError
from signclip.pose.components import (
    BODY,
    BODY_POINTS,
    FACE,
    HAND_POINTS,
    LEFT_HAND,
    RIGHT_HAND,
    point_indices,
)
from signclip.pose.features import load_features
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose

# Kaggle's row order within a frame.
KAGGLE_TYPES = (
    ("face", FACE, tuple(str(i) for i in range(468))),
    ("left_hand", LEFT_HAND, HAND_POINTS),
    ("pose", BODY, BODY_POINTS),
    ("right_hand", RIGHT_HAND, HAND_POINTS),
)
PRESETS = ("reduced-face", "sign-vq", "dominant-hand")
# Features of the two routes differ only by float32 rounding of x / w * w (about 1e-7 relative).
ATOL = 1e-5


def parse(layout, source, out, *extra):
    parser = argparse.ArgumentParser()
    import_data.add_arguments(parser)
    argv = [layout, str(source), "--out", str(out), "--no-progress", "--workers", "1", *extra]
    return parser.parse_args(argv)


def run_import(layout, source, out, *extra):
    args = parse(layout, source, out, *extra)
    report = ImportReport(layout, str(source))
    out.mkdir(parents=True, exist_ok=True)
    records = args.layout_module.import_dataset(Path(source), out, args, report)
    return records, report


def kaggle_rows(pose, first_frame=20):
    """The Kaggle rows of a Holistic pose: x / width, y / height, z as stored, NaN if missing."""
    header = pose.header
    width, height = header.dimensions.width, header.dimensions.height
    data = np.ma.getdata(pose.body.data)[:, 0, :, :3].astype(np.float64)
    confidence = np.ma.getdata(pose.body.confidence)[:, 0]
    columns = defaultdict(list)
    for t in range(data.shape[0]):
        for kind, component, names in KAGGLE_TYPES:
            flat = point_indices(header, [(component, n) for n in names])
            xyz = data[t, flat] / np.array([width, height, 1.0])
            xyz[confidence[t, flat] == 0] = np.nan
            frame = first_frame + t
            columns["frame"] += [frame] * len(names)
            columns["row_id"] += [f"{frame}-{kind}-{i}" for i in range(len(names))]
            columns["type"] += [kind] * len(names)
            columns["landmark_index"] += list(range(len(names)))
            for axis, name in enumerate("xyz"):
                columns[name] += xyz[:, axis].tolist()
    return columns


def write_parquet(path, columns):
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "frame": pa.array(columns["frame"], pa.int16()),
            "row_id": pa.array(columns["row_id"], pa.string()),
            "type": pa.array(columns["type"], pa.string()),
            "landmark_index": pa.array(columns["landmark_index"], pa.int16()),
            **{name: pa.array(columns[name], pa.float64()) for name in "xyz"},
        }
    )
    pq.write_table(table, path)


def write_dataset(root, sequences, labels=None):
    """sequences: (participant, sequence id, sign, columns or None for no parquet file)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "train.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "participant_id", "sequence_id", "sign"])
        for participant, sequence, sign, columns in sequences:
            rel = f"train_landmark_files/{participant}/{sequence}.parquet"
            writer.writerow([rel, participant, sequence, sign])
            if columns is not None:
                write_parquet(root / rel, columns)
    if labels is not None:
        (root / "sign_to_prediction_index_map.json").write_text(json.dumps(labels))
    return root


def reference_conversion(columns, width, height):
    """Row by row: the stored xyz [T, 543, 3] and confidence the importer must write."""
    start = {"pose": 0, "face": 33, "left_hand": 501, "right_hand": 522}
    first = min(columns["frame"])
    frames = max(columns["frame"]) - first + 1
    xyz = np.zeros((frames, 543, 3), np.float32)
    confidence = np.zeros((frames, 543), np.float32)
    for i, frame in enumerate(columns["frame"]):
        x, y, z = (columns[a][i] for a in "xyz")
        if np.isnan(x) or np.isnan(y) or np.isnan(z):
            continue
        point = start[columns["type"][i]] + columns["landmark_index"][i]
        xyz[frame - first, point] = (x * width, y * height, z)
        confidence[frame - first, point] = 1
    return xyz, confidence


# 576 points at 640x360 (world landmarks), 586 (refined iris points), 543 with a 4th coordinate.
RECORDINGS = (
    "dgs-dictionary/HOUSE1A^.pose",
    "pose-format/hand_estimation_84322c38ff23406f222641da30d0a49b.pose",
    "video/autsl/signer0_sample1000.pose",
)


@pytest.mark.parametrize("name", RECORDINGS)
def test_same_recording_through_pose_folder_and_asl_signs_gives_the_same_features(
    shared_data, tmp_path, name
):
    recording = shared_data / name
    pose = read_pose(recording)
    width, height = pose.header.dimensions.width, pose.header.dimensions.height
    table = tmp_path / "folder" / "texts.csv"
    table.parent.mkdir()
    table.write_text(f"pose,text,signer\n{recording},house,s1\n")
    folder_records, folder_report = run_import(
        "pose-folder", table, tmp_path / "out-folder", "--sign-language", "gsg"
    )
    kaggle = write_dataset(tmp_path / "kaggle", [("s1", "77", "house", kaggle_rows(pose))])
    kaggle_records, kaggle_report = run_import(
        "asl-signs", kaggle, tmp_path / "out-kaggle", "--frame-size", f"{width}x{height}",
        "--fps", str(pose.body.fps),
    )  # fmt: skip
    assert folder_report.problems == [] and kaggle_report.problems == []
    (from_folder,), (from_kaggle,) = folder_records, kaggle_records
    assert from_folder.pose_path == recording.absolute()
    for preset in PRESETS:
        for z in ("raw", "pixels", "drop"):
            cfg = PoseConfig(preset=preset, depth=z)
            expected = load_features(from_folder.pose_path, cfg)
            got = load_features(from_kaggle.pose_path, cfg)
            assert got.shape == expected.shape, (preset, z)
            np.testing.assert_allclose(got, expected, atol=ATOL, err_msg=f"{preset} z={z}")


def test_conversion_matches_a_row_by_row_reference(tmp_path):
    pose = fake_holistic_pose(num_frames=6, seed=3, missing_hand_p=0.5)
    columns = kaggle_rows(pose, first_frame=7)
    # A few single points missing too, not only whole hands.
    for i in (5, 900, 1700):
        columns["x"][i] = np.nan
    root = write_dataset(tmp_path / "kaggle", [("p1", "5", "tree", columns)])
    (record,), report = run_import("asl-signs", root, tmp_path / "out", "--frame-size", "640x480")
    assert report.problems == []
    written = read_pose(record.pose_path)
    xyz, confidence = reference_conversion(columns, 640, 480)
    data = np.ma.getdata(written.body.data)[:, 0]
    assert np.isfinite(data).all()
    np.testing.assert_array_equal(np.ma.getdata(written.body.confidence)[:, 0], confidence)
    np.testing.assert_allclose(data, xyz, rtol=1e-6)
    assert [c.name for c in written.header.components] == [
        BODY, FACE, LEFT_HAND, RIGHT_HAND,
    ]  # fmt: skip
    assert (written.header.dimensions.width, written.header.dimensions.height) == (640, 480)
    assert written.body.fps == 30
    assert (record.clip_id, record.text, record.signer) == ("5", "tree", "p1")
    assert (record.spoken_language, record.sign_language, record.split) == ("en", "ase", "train")


def test_nan_only_frames_and_frame_gaps_are_kept_and_reported(tmp_path):
    pose = fake_holistic_pose(num_frames=5, seed=1)
    columns = kaggle_rows(pose, first_frame=10)
    for i, frame in enumerate(columns["frame"]):
        if frame == 11:
            for a in "xyz":
                columns[a][i] = np.nan
    keep = [i for i, frame in enumerate(columns["frame"]) if frame != 13]
    columns = {k: [v[i] for i in keep] for k, v in columns.items()}
    root = write_dataset(tmp_path / "kaggle", [("p1", "9", "cat", columns)])
    (record,), report = run_import("asl-signs", root, tmp_path / "out")
    assert report.counts() == {"nan-only-frames": 1}
    assert "2 of 5 frames" in report.problems[0].detail
    confidence = np.ma.getdata(read_pose(record.pose_path).body.confidence)[:, 0]
    assert confidence.shape[0] == 5
    assert [bool((c > 0).any()) for c in confidence] == [True, False, True, False, True]


def bad_dataset(root):
    pose = fake_holistic_pose(num_frames=3, seed=2)
    good = kaggle_rows(pose)
    all_nan = {**good, **{a: [np.nan] * len(good["x"]) for a in "xyz"}}
    odd = {k: list(v) for k, v in good.items()}
    odd["type"][0] = "torso"
    odd["landmark_index"][1] = 999
    empty = {k: [] for k in good}
    sequences = [
        ("p1", "1", "dog", good),
        ("p1", "1", "dog", good),  # duplicate id
        ("p2", "2", "dog", None),  # missing parquet
        ("p2", "3", "dog", all_nan),
        ("p3", "4", "dog", empty),
        ("p3", "5", "dog", odd),
        ("p3", "6", "zebra", good),  # not in the label map
        ("p4", "", "dog", good),  # malformed row
        ("p4", "7", "dog", None),  # corrupt parquet, written below
        ("p4", "8", "dog", None),  # a parquet without the landmark columns
    ]
    write_dataset(root, sequences, labels={"dog": 0, "cat": 1})
    (root / "train_landmark_files/p4/7.parquet").write_bytes(b"PAR1 not really")
    pq.write_table(pa.table({"frame": [1, 2]}), root / "train_landmark_files/p4/8.parquet")
    return root


def test_every_bad_item_is_reported_and_the_good_ones_imported(tmp_path):
    root = bad_dataset(tmp_path / "kaggle")
    records, report = run_import("asl-signs", root, tmp_path / "out")
    assert sorted(r.clip_id for r in records) == ["1", "5"]
    assert report.counts() == {
        "duplicate-id": 1,
        "empty-sequence": 2,
        "malformed-landmarks": 1,
        "malformed-row": 1,
        "missing-file": 1,
        "unknown-label": 1,
        "unreadable-file": 2,
    }
    by_kind = {p.kind: p for p in report.problems}
    assert "2 of" in by_kind["malformed-landmarks"].detail
    assert (
        by_kind["unknown-label"].detail
        == "sign 'zebra' is not in sign_to_prediction_index_map.json"
    )
    assert sorted(p.name for p in (tmp_path / "out" / "poses").iterdir()) == ["1.pose", "5.pose"]


def test_rerun_reuses_converted_files_and_reconverts_on_new_settings(tmp_path):
    pose = fake_holistic_pose(num_frames=4, seed=5)
    root = write_dataset(tmp_path / "kaggle", [("p1", "3", "sun", kaggle_rows(pose))])
    (record,), _ = run_import("asl-signs", root, tmp_path / "out")
    os.utime(record.pose_path, ns=(1, 1))
    run_import("asl-signs", root, tmp_path / "out")
    assert record.pose_path.stat().st_mtime_ns == 1
    run_import("asl-signs", root, tmp_path / "out", "--frame-size", "300x200")
    assert record.pose_path.stat().st_mtime_ns != 1
    assert read_pose(record.pose_path).header.dimensions.width == 300


def test_splits_are_seeded_by_participant(tmp_path):
    pose = fake_holistic_pose(num_frames=2, seed=0)
    rows = kaggle_rows(pose)
    sequences = [(f"p{i % 12}", str(i), "sun", rows) for i in range(48)]
    root = write_dataset(tmp_path / "kaggle", sequences)
    extra = ("--test-fraction", "0.3", "--dev-fraction", "0.2", "--seed", "4")
    records, _ = run_import("asl-signs", root, tmp_path / "out", *extra)
    again, _ = run_import("asl-signs", root, tmp_path / "out", *extra)
    assert records == again
    splits_of = defaultdict(set)
    for r in records:
        splits_of[r.signer].add(r.split)
    assert all(len(s) == 1 for s in splits_of.values())
    assert {r.split for r in records} == {"train", "dev", "test"}


def test_unusable_sources_and_options_are_one_line_errors(tmp_path):
    with pytest.raises(ManifestError, match="no such file"):
        run_import("asl-signs", tmp_path / "nothing", tmp_path / "out")
    (tmp_path / "train.csv").write_text("path,sign\nx.parquet,dog\n")
    with pytest.raises(ManifestError, match="missing column 'participant_id'"):
        run_import("asl-signs", tmp_path, tmp_path / "out")
    with pytest.raises(ConfigError, match="expected WIDTHxHEIGHT"):
        run_import("asl-signs", tmp_path, tmp_path / "out", "--frame-size", "wide")
    assert pose_folder.LAYOUT == "pose-folder" and asl_signs.LAYOUT == "asl-signs"
