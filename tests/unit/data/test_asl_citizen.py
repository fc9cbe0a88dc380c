"""ASL Citizen import from a fixture in the published layout, with real recordings as its poses."""

import argparse
import csv
import json
from pathlib import Path

import pytest

from signclip.cli.main import main
from signclip.data.formats import asl_citizen
from signclip.data.formats.report import ImportReport
from signclip.data.manifest import read_manifest
from signclip.errors import ManifestError

HEADER = ["Participant ID", "Video file", "Gloss", "ASL-LEX Code"]
# (split file, rows); the pose of each good row is a real recording linked into the poses folder.
SPLITS = {
    "train": [
        ["P1", "1001-HOUSE.mp4", "HOUSE2", "D_01_001"],
        ["P1", "1002-DIFFERENT.mp4", "DIFFERENT", "D_01_002"],
        ["P1", "", "EMPTY", "D_01_003"],  # malformed: no video file
        ["P1", "1003-EXTRA.mp4", "EXTRA", "D_01_004", "surplus"],  # malformed: a field too many
        ["P1", "1004-BLANK.mp4", "   ", "D_01_005"],  # malformed: no gloss
    ],
    "val": [
        ["P2", "2001-YOUNG.mp4", "YOUNG1", "D_02_001"],
        ["P2", "2002-GONE.mp4", "GONE", "D_02_002"],  # missing pose
        ["P2", "1001-HOUSE.mp4", "HOUSE2", "D_01_001"],  # duplicate of a train video
    ],
    "test": [
        ["P3", "3001-EQUAL.mp4", "EQUAL", "D_03_001"],
        ["P3", "3002-BROKEN.mp4", "BROKEN", "D_03_002"],  # unreadable pose
        ["P3", "sub/3003-X.mp4", "X", "D_03_003"],  # malformed: folder parts
    ],
}
RECORDINGS = {
    "1001-HOUSE": "dgs-dictionary/HOUSE1A^.pose",
    "1002-DIFFERENT": "dgs-dictionary/DIFFERENT1^.pose",
    "2001-YOUNG": "dgs-dictionary/YOUNG1^.pose",
    "3001-EQUAL": "dgs-dictionary/EQUAL1C^.pose",
}


def write_split(path: Path, rows, header=HEADER) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def dataset(shared_data, tmp_path):
    root = tmp_path / "ASL_Citizen"
    (root / "splits").mkdir(parents=True)
    for name, rows in SPLITS.items():
        write_split(root / "splits" / f"{name}.csv", rows)
    poses = tmp_path / "poses"
    poses.mkdir()
    for stem, recording in RECORDINGS.items():
        (poses / f"{stem}.pose").symlink_to(shared_data / recording)
    (poses / "3002-BROKEN.pose").write_bytes(b"\x00" * 7)
    return root, poses


def _args(**kwargs) -> argparse.Namespace:
    values = {"poses": None, "extract": False, "raw_glosses": False, "workers": 1}
    return argparse.Namespace(**(values | {"no_progress": True} | kwargs))


def test_import_keeps_usable_rows_and_reports_the_rest(dataset, tmp_path):
    root, poses = dataset
    out = tmp_path / "out"
    out.mkdir()
    report = ImportReport(asl_citizen.LAYOUT, str(root))
    records = asl_citizen.import_dataset(root, out, _args(poses=poses), report)

    got = [(r.clip_id, r.text, r.split, r.signer, r.sign_language) for r in records]
    assert got == [
        ("1001-HOUSE", "house", "train", "P1", "ase"),
        ("1002-DIFFERENT", "different", "train", "P1", "ase"),
        ("2001-YOUNG", "young", "dev", "P2", "ase"),
        ("3001-EQUAL", "equal", "test", "P3", "ase"),
    ]
    # Clean recordings are used where they are, not copied.
    assert [r.pose_path for r in records] == [
        (poses / f"{r.clip_id}.pose").absolute() for r in records
    ]
    problems = [(p.kind, p.item) for p in report.problems]
    assert problems == [
        ("malformed-row", "train.csv line 4"),
        ("malformed-row", "train.csv line 5"),
        ("malformed-row", "train.csv line 6"),
        ("duplicate-id", "1001-HOUSE"),
        ("malformed-row", "test.csv line 4"),
        ("missing-pose", "2002-GONE"),
        ("unreadable-file", "3002-BROKEN"),
    ]


def test_raw_glosses_keep_the_variant_number(dataset, tmp_path):
    root, poses = dataset
    report = ImportReport(asl_citizen.LAYOUT, str(root))
    records = asl_citizen.import_dataset(
        root, tmp_path, _args(poses=poses, raw_glosses=True), report
    )
    assert [r.text for r in records] == ["HOUSE2", "DIFFERENT", "YOUNG1", "EQUAL"]


@pytest.mark.parametrize(
    ("gloss", "text"), [("HOUSE2", "house"), ("SEE", "see"), ("GO-OUT1", "go-out"), ("7", "")]
)
def test_clean_gloss(gloss, text):
    assert asl_citizen.clean_gloss(gloss) == text


def test_source_may_be_the_splits_folder_and_a_missing_split_is_reported(dataset, tmp_path):
    root, poses = dataset
    (root / "splits" / "test.csv").unlink()
    report = ImportReport(asl_citizen.LAYOUT, str(root))
    records = asl_citizen.import_dataset(root / "splits", tmp_path, _args(poses=poses), report)
    assert {r.split for r in records} == {"train", "dev"}
    assert ("missing-file", str(root / "splits" / "test.csv")) in [
        (p.kind, p.item) for p in report.problems
    ]


def test_wrong_columns_or_no_splits_are_one_line_errors(dataset, tmp_path):
    root, poses = dataset
    write_split(
        root / "splits" / "val.csv", [["P2", "x.mp4", "X"]], ["Participant", "Video", "Gloss"]
    )
    report = ImportReport(asl_citizen.LAYOUT, str(root))
    with pytest.raises(ManifestError, match=r"val.csv: missing column 'Participant ID'"):
        asl_citizen.import_dataset(root, tmp_path, _args(poses=poses), report)
    with pytest.raises(ManifestError, match="no splits/ folder"):
        asl_citizen.import_dataset(tmp_path / "poses", tmp_path, _args(poses=poses), report)


def test_cli_writes_the_manifest_and_exits_1_on_problems(dataset, tmp_path, capsys):
    root, poses = dataset
    out = tmp_path / "imported"
    argv = ["import", "asl-citizen", str(root), "--out", str(out), "--poses", str(poses)]
    assert main([*argv, "--no-progress", "--workers", "1"]) == 1
    records = read_manifest(out / "manifest.csv")
    assert [r.clip_id for r in records] == [
        "1001-HOUSE",
        "1002-DIFFERENT",
        "2001-YOUNG",
        "3001-EQUAL",
    ]
    report = json.loads((out / "import-report.json").read_text())
    assert report["imported"] == 4
    assert report["problem_counts"] == {
        "duplicate-id": 1,
        "malformed-row": 4,
        "missing-pose": 1,
        "unreadable-file": 1,
    }
    assert "4 clips" in capsys.readouterr().out


def test_extract_makes_the_poses_from_the_videos(shared_data, tmp_path):
    pytest.importorskip("mediapipe", reason="needs the [video] extra (mediapipe 0.10.21)")
    cv2 = pytest.importorskip("cv2")
    root = tmp_path / "ASL_Citizen"
    (root / "splits").mkdir(parents=True)
    (root / "videos").mkdir()
    rows = [
        ["P1", "4001-SHORT.mp4", "SHORT1", "X"],
        ["P1", "4002-ABSENT.mp4", "ABSENT", "X"],
        ["P1", "4003-CORRUPT.mp4", "CORRUPT", "X"],
    ]
    write_split(root / "splits" / "train.csv", rows)
    for name in ("val", "test"):
        write_split(root / "splits" / f"{name}.csv", [])
    capture = cv2.VideoCapture(str(shared_data / "video/autsl/signer0_sample1000_color.mp4"))
    writer = cv2.VideoWriter(
        str(root / "videos/4001-SHORT.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 30, (512, 512)
    )
    for _ in range(3):
        writer.write(capture.read()[1])
    writer.release()
    capture.release()
    (root / "videos/4003-CORRUPT.mp4").write_bytes(bytes(range(256)) * 4)

    out = tmp_path / "out"
    report = ImportReport(asl_citizen.LAYOUT, str(root))
    records = asl_citizen.import_dataset(root, out, _args(extract=True), report)

    assert [(r.clip_id, r.text, r.pose_path) for r in records] == [
        ("4001-SHORT", "short", (out / "poses/4001-SHORT.pose").absolute())
    ]
    assert sorted((p.kind, p.item) for p in report.problems) == [
        ("missing-file", "4002-ABSENT"),
        ("unreadable-file", "4003-CORRUPT"),
    ]
    made = records[0].pose_path.stat().st_mtime_ns
    again = asl_citizen.import_dataset(root, out, _args(extract=True), ImportReport("", ""))
    assert again == records and records[0].pose_path.stat().st_mtime_ns == made
