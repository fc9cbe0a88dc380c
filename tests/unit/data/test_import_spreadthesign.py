import argparse
import csv
from collections import Counter
from pathlib import Path

import pytest

from signclip.cli import import_data
from signclip.data.formats.report import ImportReport
from signclip.errors import ManifestError
from signclip.testing import fake_holistic_pose, pose_bytes

ROWS = [
    # (pose file, videoLanguage, language, text)
    ("stsa.pose", "ase", "en", "house"),
    ("stsa.pose", "ase", "de", "Haus"),
    ("stsb.pose", "gsg", "en", "house"),
    ("stsc.pose", "ssp", "en", "tree"),
    ("stsd.pose", "ssp", "en", "car"),
    ("stse.pose", "bfi", "de", "Baum"),
]


def parse(source, out, *extra):
    parser = argparse.ArgumentParser()
    import_data.add_arguments(parser)
    argv = ["spreadthesign", str(source), "--out", str(out), "--no-progress", "--workers", "1"]
    return parser.parse_args([*argv, *extra])


def run_import(source, out, *extra):
    args = parse(source, out, *extra)
    report = ImportReport("spreadthesign", str(source))
    return args.layout_module.import_dataset(Path(source), out, args, report), report


def make_dataset(root, rows=ROWS, splits=None, poses=("stsa", "stsb", "stsc", "stsd", "stse")):
    (root / "sign-mt-poses").mkdir(parents=True)
    for i, stem in enumerate(poses):
        content = pose_bytes(fake_holistic_pose(num_frames=4, seed=i))
        (root / "sign-mt-poses" / f"{stem}.pose").write_bytes(content)
    with (root / "SperadTheSign.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["pose", "videoLanguage", "language", "text"])
        writer.writerows(rows)
    if splits is not None:
        folder = root / "splits" / "1.0.0-uzh"
        folder.mkdir(parents=True)
        for name, lines in splits.items():
            (folder / name).write_text("".join(f"{line}\n" for line in lines))
    return root


def test_english_rows_with_the_original_split_files(tmp_path):
    root = make_dataset(
        tmp_path / "sts",
        splits={"train.txt": [0, 1, 3], "val.txt": [2, 5], "test.txt": [4], "all.txt": [9]},
    )
    records, report = run_import(root, tmp_path / "out")
    assert report.problems == []
    got = {(r.clip_id, r.text, r.spoken_language, r.sign_language, r.split) for r in records}
    assert got == {
        ("sts-0", "house", "en", "ase", "train"),
        ("sts-2", "house", "en", "gsg", "dev"),
        ("sts-3", "tree", "en", "ssp", "train"),
        ("sts-4", "car", "en", "ssp", "test"),
    }
    assert records[0].pose_path == (root / "sign-mt-poses" / "stsa.pose").absolute()


def test_all_text_languages_and_seeded_fractions_without_split_files(tmp_path):
    root = make_dataset(tmp_path / "sts")
    records, report = run_import(
        root / "SperadTheSign.csv", tmp_path / "out", "--text-languages", "all",
        "--test-fraction", "0.5", "--seed", "1",
    )  # fmt: skip
    assert report.problems == []
    assert len(records) == len(ROWS)
    assert Counter(r.spoken_language for r in records) == {"en": 4, "de": 2}
    assert {r.split for r in records} <= {"train", "test"}
    again, _ = run_import(
        root, tmp_path / "out", "--text-languages", "all", "--test-fraction", "0.5", "--seed", "1"
    )
    assert again == records


def test_bad_rows_split_entries_and_pose_files_are_reported(tmp_path):
    rows = [*ROWS, ("", "ase", "en", "empty pose"), ("stsz.pose", "ase", "en", "gone")]
    root = make_dataset(
        tmp_path / "sts",
        rows=rows,
        splits={"train.txt": [0, 3, 7, "x"], "dev.txt": [3], "test.txt": [4, 42]},
    )
    (root / "sign-mt-poses" / "stsd.pose").write_bytes(b"\x00" * 7)
    records, report = run_import(root, tmp_path / "out")
    assert [r.clip_id for r in records] == ["sts-0"]
    assert report.counts() == {
        "malformed-row": 2,  # the empty pose value and the line "x"
        "missing-pose": 1,  # row 7
        "no-split": 1,  # row 2
        "split-conflict": 1,  # row 3
        "unknown-id": 1,  # 42
        "unreadable-file": 1,  # row 4
    }


def test_unusable_sources_are_one_line_errors(tmp_path):
    with pytest.raises(ManifestError, match="no such file"):
        run_import(tmp_path / "absent", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match=r"holds no SperadTheSign\.csv"):
        run_import(tmp_path / "empty", tmp_path / "out")
    (tmp_path / "SpreadTheSign.csv").write_text("pose,text\na.pose,house\n")
    with pytest.raises(ManifestError, match="missing column 'videoLanguage'"):
        run_import(tmp_path, tmp_path / "out")
    root = make_dataset(tmp_path / "sts")
    (root / "no-splits").mkdir()
    with pytest.raises(ManifestError, match="holds none of the split files"):
        run_import(root, tmp_path / "out", "--split-dir", str(root / "no-splits"))
