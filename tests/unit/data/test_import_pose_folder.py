import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from signclip.cli import import_data
from signclip.data.formats.report import ImportReport
from signclip.errors import ManifestError
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose, pose_bytes


def run_import(source, out, *extra):
    parser = argparse.ArgumentParser()
    import_data.add_arguments(parser)
    argv = ["pose-folder", str(source), "--out", str(out), "--no-progress", "--workers", "1"]
    args = parser.parse_args([*argv, *extra])
    report = ImportReport("pose-folder", str(source))
    return args.layout_module.import_dataset(Path(source), out, args, report), report


def write_poses(folder, names, frames=4):
    for i, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(pose_bytes(fake_holistic_pose(num_frames=frames, seed=i)))


def test_csv_with_every_column_and_defaults_for_empty_values(tmp_path):
    write_poses(tmp_path / "data" / "poses", ["a.pose", "b.pose", "c.pose"])
    table = tmp_path / "data" / "texts.csv"
    table.write_text(
        "id,pose,text,sign_language,spoken_language,signer,split\n"
        "x1,poses/a.pose,house,gsg,de,anna,train\n"
        ",poses/b.pose,tree,,,ben,val\n"
        f"x3,{tmp_path / 'data' / 'poses' / 'c.pose'},car,ssp,es,,\n"
    )
    records, report = run_import(table, tmp_path / "out", "--sign-language", "ase")
    assert report.problems == []
    got = [
        (r.clip_id, r.text, r.sign_language, r.spoken_language, r.signer, r.split) for r in records
    ]
    assert got == [
        ("x1", "house", "gsg", "de", "anna", "train"),
        ("b", "tree", "ase", "en", "ben", "dev"),
        ("x3", "car", "ssp", "es", None, "train"),
    ]
    assert records[0].pose_path == (tmp_path / "data" / "poses" / "a.pose").absolute()


def test_jsonl_minimal_columns_with_seeded_splits(tmp_path):
    names = [f"p{i}.pose" for i in range(20)]
    write_poses(tmp_path / "poses", names, frames=2)
    table = tmp_path / "texts.jsonl"
    lines = [json.dumps({"pose": f"poses/{n}", "text": n[:-5]}) for n in names]
    table.write_text("\n".join(lines) + "\n")
    extra = ("--sign-language", "bfi", "--test-fraction", "0.5", "--seed", "2")
    records, report = run_import(table, tmp_path / "out", *extra)
    assert report.problems == []
    assert {r.sign_language for r in records} == {"bfi"}
    assert {r.split for r in records} == {"train", "test"}
    assert run_import(table, tmp_path / "out", *extra)[0] == records


def test_bad_rows_and_files_are_reported_and_nan_is_cleaned(tmp_path):
    write_poses(tmp_path / "poses", ["ok.pose", "same/ok.pose", "nan.pose", "blank.pose"])
    (tmp_path / "poses" / "broken.pose").write_bytes(b"garbage!")
    nan_pose = fake_holistic_pose(num_frames=3, seed=7)
    nan_pose.body.data.data[1, 0, 0] = np.nan  # one point of frame 1
    (tmp_path / "poses" / "nan.pose").write_bytes(pose_bytes(nan_pose))
    blank = fake_holistic_pose(num_frames=3, seed=8)
    blank.body.confidence[1] = 0  # frame 1 has no point detected
    (tmp_path / "poses" / "blank.pose").write_bytes(pose_bytes(blank))
    table = tmp_path / "texts.jsonl"
    rows = [
        {"pose": "poses/ok.pose", "text": "a"},
        {"pose": "poses/same/ok.pose", "text": "b"},  # duplicate id "ok"
        {"pose": "poses/gone.pose", "text": "c"},
        {"pose": "poses/broken.pose", "text": "d"},
        {"pose": "poses/nan.pose", "text": "e"},
        {"pose": "poses/blank.pose", "text": "f"},
        {"pose": "poses/ok.pose", "text": ""},
        {"pose": "poses/ok.pose", "text": "g", "split": "holdout"},
        {"pose": "poses/ok.pose", "text": "h", "id": "../evil"},
    ]
    table.write_text("\n".join(json.dumps(r) for r in rows) + "\n[1, 2]\n{oops\n")
    records, report = run_import(table, tmp_path / "out", "--sign-language", "ase")
    assert [r.clip_id for r in records] == ["ok", "nan", "blank"]
    assert report.counts() == {
        "duplicate-id": 1,
        "empty-frames": 1,
        "malformed-row": 5,
        "missing-pose": 1,
        "unreadable-file": 1,
    }
    cleaned = records[1].pose_path
    assert cleaned == (tmp_path / "out" / "poses" / "nan.pose").absolute()
    data = np.ma.getdata(read_pose(cleaned).body.data)
    assert np.isfinite(data).all()
    assert np.ma.getdata(read_pose(cleaned).body.confidence)[1, 0, 0] == 0


def test_unusable_tables_are_one_line_errors(tmp_path):
    with pytest.raises(ManifestError, match="no such file"):
        run_import(tmp_path / "absent.csv", tmp_path / "out")
    (tmp_path / "t.txt").write_text("pose,text\n")
    with pytest.raises(ManifestError, match=r"expected a \.csv or \.jsonl"):
        run_import(tmp_path / "t.txt", tmp_path / "out")
    (tmp_path / "t.csv").write_text("pose,gloss\na.pose,house\n")
    with pytest.raises(ManifestError, match="missing column 'text'"):
        run_import(tmp_path / "t.csv", tmp_path / "out")
    (tmp_path / "t.csv").write_text("pose,text\na.pose,house\n")
    with pytest.raises(ManifestError, match="give --sign-language"):
        run_import(tmp_path / "t.csv", tmp_path / "out")
