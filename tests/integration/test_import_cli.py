import csv
import dataclasses
import json
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from signclip.cli.main import main
from signclip.config import PoseConfig
from signclip.data import formats
from signclip.data.cache import FeatureCache
from signclip.data.formats import asl_signs
from signclip.data.manifest import read_manifest
from signclip.render.writers import render_to_file

KAGGLE_TYPES = (("face", 468), ("left_hand", 21), ("pose", 33), ("right_hand", 21))


def write_sequence(path, frames, rng, nan_frame=None):
    """A parquet in Kaggle's layout with random values in [0, 1]."""
    columns = {k: [] for k in ("frame", "row_id", "type", "landmark_index", "x", "y", "z")}
    for frame in range(frames):
        for kind, count in KAGGLE_TYPES:
            values = rng.random((count, 3))
            if frame == nan_frame:
                values[:] = np.nan
            columns["frame"] += [frame] * count
            columns["row_id"] += [f"{frame}-{kind}-{i}" for i in range(count)]
            columns["type"] += [kind] * count
            columns["landmark_index"] += list(range(count))
            for axis, name in enumerate("xyz"):
                columns[name] += values[:, axis].tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


@pytest.fixture
def kaggle(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "asl-signs"
    rows = []
    for i, (participant, sign) in enumerate([("p1", "dog"), ("p2", "cat"), ("p3", "dog")]):
        rel = f"train_landmark_files/{participant}/{100 + i}.parquet"
        write_sequence(root / rel, 4, rng, nan_frame=2 if i == 1 else None)
        rows.append([rel, participant, 100 + i, sign])
    rows.append(["train_landmark_files/p4/200.parquet", "p4", 200, "dog"])  # no such file
    root.mkdir(exist_ok=True)
    with (root / "train.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["path", "participant_id", "sequence_id", "sign"], *rows])
    return root


def test_asl_signs_import_reports_problems_writes_usable_clips_and_continues(
    kaggle, tmp_path, capsys
):
    out = tmp_path / "out"
    argv = ["import", "asl-signs", str(kaggle), "--out", str(out), "--no-progress"]
    assert main([*argv, "--workers", "1"]) == 1
    printed = capsys.readouterr().out
    assert f"3 clips (train 3) → {out / 'manifest.csv'}" in printed
    assert "missing-file: 1 — 200:" in printed
    assert "nan-only-frames: 1 — 101:" in printed
    report = json.loads((out / "import-report.json").read_text())
    assert report["imported"] == 3
    assert report["problem_counts"] == {"missing-file": 1, "nan-only-frames": 1}
    records = read_manifest(out / "manifest.csv")
    assert [(r.clip_id, r.signer) for r in records] == [("100", "p1"), ("101", "p2"), ("102", "p3")]
    cache, cache_report = FeatureCache.build_or_open(
        records, PoseConfig(), tmp_path / "cache", workers=1, progress=False
    )
    assert cache_report.failures == [] and len(cache) == 3
    # A rerun (here with two workers) reuses what the first one converted.
    first = records[0].pose_path
    os.utime(first, ns=(5, 5))
    assert main([*argv, "--workers", "2", "--report", str(tmp_path / "again.json")]) == 1
    assert first.stat().st_mtime_ns == 5
    assert json.loads((tmp_path / "again.json").read_text())["problem_counts"] == {
        "missing-file": 1,
        "nan-only-frames": 1,
    }


def test_interrupted_import_continues_where_it_stopped(kaggle, tmp_path, monkeypatch):
    out = tmp_path / "out"
    argv = ["import", "asl-signs", str(kaggle), "--out", str(out), "--no-progress", "--workers"]
    real = asl_signs.convert_sequence
    seen = []

    def stop_at_the_second(task):
        if seen:
            raise KeyboardInterrupt
        seen.append(task.clip_id)
        return real(task)

    monkeypatch.setattr(asl_signs, "convert_sequence", stop_at_the_second)
    assert main([*argv, "1"]) == 130
    assert sorted(p.name for p in (out / "poses").iterdir()) == ["100.pose"]
    kept = (out / "poses" / "100.pose").stat().st_mtime_ns
    monkeypatch.setattr(asl_signs, "convert_sequence", real)
    assert main([*argv, "1"]) == 1
    assert (out / "poses" / "100.pose").stat().st_mtime_ns == kept
    assert len(read_manifest(out / "manifest.csv")) == 3


def test_fingerspelling_into_a_folder_or_a_manifest_path(shared_data, tmp_path, capsys):
    index = shared_data / "fingerspelling" / "index.csv"
    assert main(["import", "fingerspelling", str(index), "--out", str(tmp_path / "fs"),
                 "--test-language", "ise", "--no-progress"]) == 0  # fmt: skip
    assert "155 clips (test 40, train 115)" in capsys.readouterr().out
    records = read_manifest(tmp_path / "fs" / "manifest.csv")
    assert len(records) == 155
    assert json.loads((tmp_path / "fs" / "import-report.json").read_text())["problems"] == []
    manifest = tmp_path / "elsewhere" / "letters.jsonl"
    assert main(["import", "fingerspelling", str(index), "--out", str(manifest),
                 "--no-progress"]) == 0  # fmt: skip
    assert read_manifest(manifest) == [dataclasses.replace(r, split="train") for r in records]
    assert (manifest.parent / "import-report.json").is_file()


def test_unusable_sources_are_one_line_errors(tmp_path, capsys):
    assert main(["import", "asl-signs", str(tmp_path / "none"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("signclip import: error: ") and "no such file" in err
    assert "\n" not in err
    table = tmp_path / "texts.csv"
    table.write_text("pose,text\nmissing.pose,house\n")
    argv = ["import", "pose-folder", str(table), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main([*argv, "--sign-language", "ase"]) == 1
    err = capsys.readouterr().err
    assert "no usable clip" in err
    report = json.loads((tmp_path / "o" / "import-report.json").read_text())
    assert report["problem_counts"] == {"missing-pose": 1}


def test_every_layout_module_is_registered():
    assert len(formats.layouts()) == len(formats.MODULES)


def wlasl_landmarks_source(shared_data, root):
    """Two real clips of ../shared/data/wlasl300-hands in WLASL's layout, and one whose array is
    missing."""
    shared = shared_data / "wlasl300-hands"
    if not shared.is_dir():
        pytest.skip(f"WLASL300 hand landmarks not found at {shared}")
    published = json.loads((shared / "nslt_300.trainval.json").read_text())
    (root / "landmarks").mkdir(parents=True)
    split = {}
    for video_id in ("00421", "65096"):
        shutil.copy(shared / "landmarks" / f"{video_id}.npy", root / "landmarks")
        split[video_id] = published[video_id]
    split["99999"] = {"subset": "test", "action": [180, 1, 40]}
    (root / "nslt_300.json").write_text(json.dumps(split))
    shutil.copy(shared / "wlasl_class_list.txt", root)
    return root


def test_wlasl_landmarks_import_reports_problems_and_reuses_poses(shared_data, tmp_path, capsys):
    source = wlasl_landmarks_source(shared_data, tmp_path / "wlasl")
    out = tmp_path / "out"
    argv = ["import", "wlasl-landmarks", str(source), "--out", str(out), "--no-progress"]
    assert main([*argv, "--workers", "1"]) == 1
    printed = capsys.readouterr().out
    assert f"2 clips (dev 1, train 1) → {out / 'manifest.csv'}" in printed
    assert "missing-file: 1 — 99999:" in printed and "empty-frames: 1 — 65096:" in printed
    report = json.loads((out / "import-report.json").read_text())
    assert report["imported"] == 2
    assert report["problem_counts"] == {"empty-frames": 1, "missing-file": 1}
    records = read_manifest(out / "manifest.csv")
    assert [(r.clip_id, r.text, r.split) for r in records] == [
        ("00421", "about", "dev"),
        ("65096", "arrive", "train"),
    ]
    cache, cache_report = FeatureCache.build_or_open(
        records, PoseConfig(preset="dominant-hand"), tmp_path / "cache", workers=1, progress=False
    )
    assert cache_report.failures == [] and len(cache) == 2
    sheet = render_to_file(records[1].pose_path, tmp_path / "sheet.png", width=120)
    assert sheet.frames == 8
    first = records[0].pose_path
    os.utime(first, ns=(5, 5))
    assert main([*argv, "--workers", "2", "--report", str(tmp_path / "again.json")]) == 1
    assert first.stat().st_mtime_ns == 5
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["problems"] == report["problems"]


def test_landmark_arrays_import_of_holistic_arrays(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "a.npy", rng.random((5, 576, 3), dtype=np.float32))
    np.save(tmp_path / "b.npy", rng.random((5, 543, 3), dtype=np.float32))  # not 576 points
    (tmp_path / "clips.csv").write_text("array,text,split\na.npy,house,train\nb.npy,tree,test\n")
    out = tmp_path / "out"
    argv = ["import", "landmark-arrays", str(tmp_path / "clips.csv"), "--out", str(out)]
    options = ["--layout", "holistic-576", "--sign-language", "gsg", "--no-progress"]
    assert main([*argv, *options]) == 1
    assert "malformed-array: 1 — b:" in capsys.readouterr().out
    records = read_manifest(out / "manifest.csv")
    assert [(r.clip_id, r.split, r.sign_language) for r in records] == [("a", "train", "gsg")]
    cache, cache_report = FeatureCache.build_or_open(
        records, PoseConfig(), tmp_path / "cache", workers=1, progress=False
    )
    assert cache_report.failures == [] and len(cache) == 1
