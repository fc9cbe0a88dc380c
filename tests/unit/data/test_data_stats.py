"""`signclip data stats`: the statistics of a small generated manifest against a naive recount."""

import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose

from signclip.cli.main import main
from signclip.data import stats as stats_module
from signclip.data.manifest import ClipRecord, read_manifest, write_manifest
from signclip.data.stats import compute_stats, read_summaries
from signclip.testing import fake_holistic_pose

LANGUAGES = ("ase", "gsg", "fsl")
CONCEPTS = ("house", "tree", "water", "friend", "red")
HAND_NAMES = {
    "left": ("LEFT_HAND_LANDMARKS", "hand_left_keypoints_2d"),
    "right": ("RIGHT_HAND_LANDMARKS", "hand_right_keypoints_2d"),
}


@pytest.fixture
def dataset(tmp_path) -> Path:
    """17 readable clips of varied length, frame rate and missing hands (one file with the right
    hand only), one corrupt file and one missing file."""
    rng = np.random.default_rng(7)
    records = []
    for i in range(17):
        language = LANGUAGES[i % 3]
        concept = CONCEPTS[(i * 2) % 5] if language != "fsl" else CONCEPTS[i % 2]
        layout = "right-hand" if i == 5 else "holistic"
        pose = fake_holistic_pose(
            num_frames=int(rng.integers(5, 60)),
            seed=i,
            layout=layout,
            fps=(25.0, 30.0, 50.0)[i % 3],
            missing_hand_p=(0.0, 0.3, 0.7)[i % 3],
        )
        path = tmp_path / f"clip{i}.pose"
        with path.open("wb") as f:
            pose.write(f)
        split = ("train", "train", "dev", "test")[i % 4]
        signer = None if i == 16 else f"s{i % 5}"
        records.append(ClipRecord(f"c{i}", path, concept, "en", language, split, signer))
    (tmp_path / "corrupt.pose").write_bytes(b"\x00\x01 not a pose")
    records.append(ClipRecord("bad", tmp_path / "corrupt.pose", "house", "en", "ase", "train"))
    records.append(ClipRecord("gone", tmp_path / "gone.pose", "tree", "en", "gsg", "dev", "s1"))
    manifest = tmp_path / "manifest.csv"
    write_manifest(records, manifest)
    return manifest


def naive_counts(records):
    """Everything recounted with loops, reading each file with pose-format directly."""
    lengths, seconds = [], []
    per_language = defaultdict(lambda: {"clips": 0, "texts": set(), "frames": defaultdict(int)})
    missing = defaultdict(lambda: defaultdict(int))
    unreadable = []
    for r in records:
        row = per_language[r.sign_language]
        row["clips"] += 1
        row["texts"].add(r.text)
        try:
            pose = Pose.read(r.pose_path.read_bytes())
        except Exception:
            unreadable.append(r.clip_id)
            continue
        confidence = np.asarray(np.ma.getdata(pose.body.confidence))[:, 0]
        frames = confidence.shape[0]
        lengths.append(frames)
        seconds.append(frames / pose.body.fps)
        hands = {}
        start = 0
        for component in pose.header.components:
            for hand, names in HAND_NAMES.items():
                if component.name in names:
                    hands[hand] = range(start, start + len(component.points))
            start += len(component.points)
        for t in range(frames):
            gone = {h: all(confidence[t, k] == 0 for k in idx) for h, idx in hands.items()}
            for hand in gone:
                row["frames"][hand] += 1
                missing[r.sign_language][hand] += gone[hand]
            if len(gone) == 2:
                row["frames"]["both"] += 1
                missing[r.sign_language]["both"] += gone["left"] and gone["right"]
    return lengths, seconds, per_language, missing, unreadable


def test_stats_match_a_naive_recount(dataset):
    records = read_manifest(dataset)
    summaries, unreadable = read_summaries(records, workers=2, progress=False)
    stats = compute_stats(records, summaries, unreadable)
    lengths, seconds, per_language, missing, bad = naive_counts(records)

    assert stats["clips"] == 19 and stats["clips_read"] == len(lengths) == 17
    assert [u["clip_id"] for u in stats["unreadable"]] == bad == ["bad", "gone"]
    assert "no such file" in stats["unreadable"][1]["reason"]
    for key, values in (("length_frames", lengths), ("length_seconds", seconds)):
        d = stats[key]
        assert d["min"] == min(values) and d["max"] == max(values)
        assert d["median"] == pytest.approx(statistics.median(values))
        assert d["mean"] == pytest.approx(statistics.fmean(values))
        assert d["p95"] == pytest.approx(statistics.quantiles(values, n=20, method="inclusive")[-1])
        assert sum(d["histogram"]["counts"]) == len(values)
    assert list(stats["sign_languages"]) == sorted(
        per_language, key=lambda k: (-per_language[k]["clips"], k)
    )
    for language, row in stats["sign_languages"].items():
        naive = per_language[language]
        assert row["clips"] == naive["clips"]
        assert row["concepts"] == len(naive["texts"])
        for hand in ("left", "right", "both"):
            want = missing[language][hand] / naive["frames"][hand]
            assert row["missing_hands"][hand] == pytest.approx(want)
    assert stats["splits"] == {
        s: sum(r.split == s for r in records) for s in ("dev", "test", "train")
    }
    signers = {r.signer for r in records if r.signer}
    assert stats["signers"]["count"] == len(signers)
    assert stats["signers"]["clips_without_signer"] == sum(r.signer is None for r in records)
    per_concept = [sum(r.text == t for r in records) for t in {r.text for r in records}]
    assert stats["concepts"]["count"] == len(per_concept)
    assert stats["concepts"]["clips_per_concept"]["max"] == max(per_concept)


def test_a_layout_without_a_hand_leaves_that_hand_unmeasured(tmp_path):
    path = tmp_path / "right.pose"
    with path.open("wb") as f:
        fake_holistic_pose(num_frames=12, seed=3, layout="right-hand", missing_hand_p=0.5).write(f)
    summary = stats_module.summarize_file(path)
    assert summary.left_missing is None and summary.both_missing is None
    assert 0 < summary.right_missing < 12


def test_cache_is_used_and_refreshed_when_a_file_changes(dataset, tmp_path, monkeypatch):
    records = read_manifest(dataset)
    cache = tmp_path / "cache"
    first, _ = read_summaries(records, workers=1, cache_dir=cache, progress=False)
    assert (cache / stats_module.CACHE_FILE).is_file()

    calls = []
    real = stats_module.summarize_file
    monkeypatch.setattr(stats_module, "summarize_file", lambda p: calls.append(p) or real(p))
    again, _ = read_summaries(records, workers=1, cache_dir=cache, progress=False)
    assert again == first
    assert calls == [r.pose_path for r in records if r.clip_id in ("bad", "gone")]

    changed = records[0].pose_path
    with changed.open("wb") as f:
        fake_holistic_pose(num_frames=3, seed=0).write(f)
    calls.clear()
    third, _ = read_summaries(records, workers=1, cache_dir=cache, progress=False)
    assert calls[0] == changed and third[records[0].clip_id].frames == 3


def test_cli_writes_table_json_and_plots(dataset, tmp_path, capsys):
    out = tmp_path / "stats"
    argv = ["data", "stats", str(dataset), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "clips 19 (pose files read 17)" in printed
    assert "unreadable pose files: 2" in printed
    saved = json.loads((out / "stats.json").read_text())
    assert saved["clips"] == 19 and len(saved["unreadable"]) == 2
    for name in ("clips_per_language", "lengths", "concepts", "missing_hands"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_refuses_a_missing_manifest(tmp_path, capsys):
    assert main(["data", "stats", str(tmp_path / "none.csv"), "--no-progress"]) == 1
    assert "no such file" in capsys.readouterr().err
