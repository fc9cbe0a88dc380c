import csv
import dataclasses
import json
import os

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
