import argparse
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from signclip.cli import import_data
from signclip.data.formats import landmark_arrays
from signclip.data.formats.handedness import assign_hands
from signclip.data.formats.report import ImportReport
from signclip.errors import ConfigError, ManifestError
from signclip.pose.components import BODY, BODY_POINTS, FACE, HAND_POINTS, LEFT_HAND, RIGHT_HAND
from signclip.pose.io import read_pose

# Real clips of ../shared/data/wlasl300-hands: (video id, class index, gloss).
# 00421 shows a hand in every frame, the others have frames without any.
REAL = (("00421", 180, "about"), ("00627", 51, "accident"), ("65096", 182, "arrive"))
HANDS_POINTS = [(hand, p) for hand in (LEFT_HAND, RIGHT_HAND) for p in HAND_POINTS]


def run_import(layout, source, out, *extra):
    parser = argparse.ArgumentParser()
    import_data.add_arguments(parser)
    argv = [layout, str(source), "--out", str(out), "--no-progress", "--workers", "1", *extra]
    args = parser.parse_args(argv)
    report = ImportReport(layout, str(source))
    out.mkdir(parents=True, exist_ok=True)
    return args.layout_module.import_dataset(Path(source), out, args, report), report


def hands_array(frames, seed=0):
    """Two MediaPipe Hands slots [T, 2, 21, 3] in [0.2, 0.8], hands apart in x."""
    values = np.random.default_rng(seed).uniform(0.2, 0.4, (frames, 2, 21, 3)).astype(np.float32)
    values[:, 1, :, 0] += 0.4
    return values


def stored(path):
    pose = read_pose(path)
    data = np.ma.getdata(pose.body.data)[:, 0]
    return pose, data, np.ma.getdata(pose.body.confidence)[:, 0]


def point_names(pose):
    return [(c.name, p) for c in pose.header.components for p in c.points]


@pytest.fixture
def wlasl_folder(tmp_path, shared_data):
    """A source in WLASL's layout: three real clips and one of every kind of broken entry."""
    shared = shared_data / "wlasl300-hands"
    if not shared.is_dir():
        pytest.skip(f"WLASL300 hand landmarks not found at {shared}")
    published = json.loads((shared / "nslt_300.trainval.json").read_text())
    root = tmp_path / "wlasl"
    (root / "landmarks").mkdir(parents=True)
    entries = []
    for video_id, _, _ in REAL:
        shutil.copy(shared / "landmarks" / f"{video_id}.npy", root / "landmarks")
        entries.append(f'"{video_id}": {json.dumps(published[video_id])}')
    gaps = hands_array(6, seed=1)
    gaps[1, 1] = -1  # the second hand undetected, as the extraction wrote it
    gaps[2, 0, 5] = np.nan  # one point lost
    gaps[3, 0, 7] = 0.0  # an all-zero placeholder point
    gaps[4] = -1  # no hand at all: kept, reported as empty-frames
    arrays = {
        "90001": gaps,
        "90002": hands_array(4)[..., :2],  # no z
        "90003": (hands_array(4) * 100).astype(np.int32),
        "90004": np.zeros((0, 2, 21, 3), np.float32),
        "90005": np.full((3, 2, 21, 3), -1, np.float32),
        "90007": hands_array(5, seed=2),
    }
    for video_id, values in arrays.items():
        np.save(root / "landmarks" / f"{video_id}.npy", values)
    (root / "landmarks" / "90006.npy").write_bytes(b"not numpy")
    entries += [
        f'"{video_id}": {{"subset": "train", "action": [0, 1, 4]}}'
        for video_id in (*arrays, "90006", "90008")  # 90008: no array
    ]
    entries += [
        '"90007": {"subset": "val", "action": [1, 1, 5]}',  # a repeated id
        '"90009": {"subset": "dev", "action": [0, 1, 4]}',
        '"90010": {"subset": "test", "action": [0, 1]}',
        '"90011": {"subset": "test", "action": [299, 1, 4]}',  # a class the list lacks
    ]
    (root / "nslt_300.json").write_text("{" + ",\n".join(entries) + "}")
    classes = {0: "book", 1: "drink", **{index: gloss for _, index, gloss in REAL}}
    lines = [f"{index}\t{gloss}" for index, gloss in classes.items()] + ["oops"]
    (root / "wlasl_class_list.txt").write_text("\n".join(lines) + "\n")
    return root


def test_wlasl_landmarks_import_converts_the_usable_clips_and_reports_the_rest(
    wlasl_folder, tmp_path
):
    records, report = run_import("wlasl-landmarks", wlasl_folder, tmp_path / "out")
    assert [(r.clip_id, r.text, r.split) for r in records] == [
        ("00421", "about", "dev"),
        ("00627", "accident", "dev"),
        ("65096", "arrive", "train"),
        ("90001", "book", "train"),
        ("90007", "book", "train"),
    ]
    assert {(r.spoken_language, r.sign_language, r.signer) for r in records} == {
        ("en", "ase", None)
    }
    kinds = {(p.kind, p.item) for p in report.problems}
    assert kinds == {
        ("malformed-row", "wlasl_class_list.txt line 6"),
        ("empty-frames", "90001"),
        ("malformed-array", "90002"),
        ("malformed-array", "90003"),
        ("empty-sequence", "90004"),
        ("empty-sequence", "90005"),
        ("unreadable-file", "90006"),
        ("missing-file", "90008"),
        ("duplicate-id", "90007"),
        ("malformed-row", "nslt_300.json video '90009'"),
        ("malformed-row", "nslt_300.json video '90010'"),
        ("unknown-class", "90011"),
        ("empty-frames", "00627"),
        ("empty-frames", "65096"),
    }
    details = {p.item: p.detail for p in report.problems}
    assert "dtype int32" in details["90003"] and "shape [4, 2, 21, 2]" in details["90002"]


def test_written_wlasl_pose_holds_both_hands_in_pixels_and_masks_what_is_missing(
    wlasl_folder, tmp_path
):
    records, _ = run_import(
        "wlasl-landmarks", wlasl_folder, tmp_path / "out", "--frame-size", "640x480", "--fps", "30"
    )
    by_id = {r.clip_id: r for r in records}
    pose, data, confidence = stored(by_id["65096"].pose_path)
    assert point_names(pose) == HANDS_POINTS
    assert (pose.header.dimensions.width, pose.header.dimensions.height) == (640, 480)
    assert pose.body.fps == 30
    source = np.load(wlasl_folder / "landmarks" / "65096.npy").astype(np.float64)
    source[(source == -1).all(axis=-1)] = np.nan
    expected = assign_hands(source).reshape(len(source), 42, 3) * [640, 480, 1]
    present = np.isfinite(expected).all(axis=-1)
    np.testing.assert_array_equal(confidence > 0, present)
    np.testing.assert_allclose(data[present], expected[present], rtol=1e-6)
    mask = read_pose(by_id["65096"].pose_path).body.data.mask[:, 0]
    assert (data[~present] == 0).all() and mask[~present].all() and not mask[present].any()
    _, gaps, gap_confidence = stored(by_id["90001"].pose_path)
    missing = gap_confidence == 0
    assert missing[1].sum() == 21 and missing[2].sum() == 1 and missing[3].sum() == 1
    assert missing[4].all() and not missing[0].any() and (gaps[missing] == 0).all()


def test_wlasl_landmarks_rerun_reuses_converted_poses_and_reports_alike(wlasl_folder, tmp_path):
    out = tmp_path / "out"
    first_records, first = run_import("wlasl-landmarks", wlasl_folder, out)
    path = first_records[0].pose_path
    os.utime(path, ns=(5, 5))
    records, again = run_import("wlasl-landmarks", wlasl_folder, out)
    assert path.stat().st_mtime_ns == 5
    assert records == first_records and again.problems == first.problems
    # Other settings make other files.
    run_import("wlasl-landmarks", wlasl_folder, out, "--frame-size", "640x480")
    assert path.stat().st_mtime_ns != 5


def test_wlasl_landmarks_cuts_actions_out_of_whole_videos(wlasl_folder, tmp_path):
    (wlasl_folder / "nslt_300.json").write_text(
        json.dumps({"90007": {"subset": "test", "action": [1, 2, 4]}, "90001": {
            "subset": "val", "action": [0, 9, -1]}})
    )  # fmt: skip
    records, report = run_import(
        "wlasl-landmarks", wlasl_folder, tmp_path / "out", "--arrays", "videos"
    )
    assert [(r.clip_id, r.text, r.split) for r in records] == [("90007", "drink", "test")]
    assert [(p.kind, p.item) for p in report.problems] == [
        ("malformed-row", "wlasl_class_list.txt line 6"),
        ("bad-frame-range", "90001"),
    ]
    _, data, _ = stored(records[0].pose_path)
    assert len(data) == 3


def test_wlasl_landmarks_frame_rate_from_the_action(wlasl_folder, tmp_path):
    published = json.loads((wlasl_folder / "nslt_300.json").read_text())
    real = {video_id: published[video_id] for video_id, _, _ in REAL}
    (wlasl_folder / "nslt_300.json").write_text(json.dumps(real))
    records, _ = run_import("wlasl-landmarks", wlasl_folder, tmp_path / "out", "--fps", "action")
    rates = set()
    for record in records:
        frames = len(np.load(wlasl_folder / "landmarks" / f"{record.clip_id}.npy"))
        start, end = real[record.clip_id]["action"][1:]
        estimate = 25 * frames / (end - start + 1)
        rate = float(read_pose(record.pose_path).body.fps)
        assert rate == (25.0 if estimate < 27.5 else pytest.approx(29.97))
        rates.add(round(rate))
    assert rates == {25, 30}
    with pytest.raises(ConfigError, match="needs --arrays clips"):
        run_import(
            "wlasl-landmarks", wlasl_folder, tmp_path / "o", "--fps", "action", "--arrays", "videos"
        )
    with pytest.raises(ConfigError, match="positive number or 'action'"):
        run_import("wlasl-landmarks", wlasl_folder, tmp_path / "o", "--fps", "fast")


def test_wlasl_landmarks_wants_exactly_one_split_file(wlasl_folder, tmp_path):
    shutil.copy(wlasl_folder / "nslt_300.json", wlasl_folder / "nslt_100.json")
    with pytest.raises(ManifestError, match=r"found 2 \(nslt_100.json, nslt_300.json\)"):
        run_import("wlasl-landmarks", wlasl_folder, tmp_path / "out")
    records, _ = run_import("wlasl-landmarks", wlasl_folder / "nslt_100.json", tmp_path / "out")
    assert len(records) == 5
    for split_file in wlasl_folder.glob("nslt_*.json"):
        split_file.unlink()
    with pytest.raises(ManifestError, match=r"found 0 \(none\)"):
        run_import("wlasl-landmarks", wlasl_folder, tmp_path / "out")


def holistic_array(frames, points):
    """[T, K, 3] whose point k holds (k / 1000, 0.5, k / 10000): each value names its point."""
    values = np.zeros((frames, points, 3), np.float32)
    values[..., 0] = np.arange(points) / 1000
    values[..., 1] = 0.5
    values[..., 2] = np.arange(points) / 10000
    return values


@pytest.mark.parametrize(
    "layout, points, face", [("holistic-543", 543, 468), ("holistic-553", 553, 478),
                             ("holistic-576", 576, 468), ("holistic-586", 586, 478)]
)  # fmt: skip
def test_holistic_arrays_are_written_in_the_holistic_layout(tmp_path, layout, points, face):
    values = holistic_array(3, points)
    values[1, 0] = np.nan  # NOSE missing in frame 1
    np.save(tmp_path / "clip.npy", values)
    (tmp_path / "clips.csv").write_text("array,text\nclip.npy,house\n")
    records, report = run_import(
        "landmark-arrays", tmp_path / "clips.csv", tmp_path / "out", "--layout", layout,
        "--sign-language", "gsg", "--frame-size", "100x10",
    )  # fmt: skip
    assert report.problems == []
    pose, data, confidence = stored(records[0].pose_path)
    assert [c.name for c in pose.header.components] == [BODY, FACE, LEFT_HAND, RIGHT_HAND]
    names = point_names(pose)
    # The source index of every written point, read back from its x.
    source = np.rint(data[0, :, 0] / 100 * 1000).astype(int)
    assert source[names.index((BODY, "RIGHT_SHOULDER"))] == BODY_POINTS.index("RIGHT_SHOULDER")
    assert source[names.index((FACE, "467"))] == 33 + 467
    assert source[names.index((LEFT_HAND, "WRIST"))] == 33 + face
    assert source[names.index((RIGHT_HAND, "PINKY_TIP"))] == 33 + face + 41
    np.testing.assert_allclose(data[0, :, 1], 5.0)
    np.testing.assert_allclose(data[0, :, 2], source / 10000, atol=1e-7)
    assert confidence[1, 0] == 0 and confidence[1, 1:].all() and confidence[0].all()


def test_hand_arrays_in_either_shape_and_slot_order(tmp_path):
    slots = hands_array(4)  # slot 0 at smaller x: the right hand
    np.save(tmp_path / "a.npy", slots)
    np.save(tmp_path / "b.npy", slots.reshape(4, 42, 3))
    (tmp_path / "clips.jsonl").write_text(
        '{"array": "a.npy", "text": "tree", "split": "val", "signer": "s1"}\n'
        '{"id": "b", "array": "b.npy", "text": "tree", "sign_language": "bfi"}\n'
    )
    out = tmp_path / "out"
    records, _ = run_import(
        "landmark-arrays", tmp_path / "clips.jsonl", out, "--layout", "hands",
        "--sign-language", "ase", "--test-fraction", "1",
    )  # fmt: skip
    assert [(r.clip_id, r.split, r.signer, r.sign_language) for r in records] == [
        ("a", "dev", "s1", "ase"),
        ("b", "test", None, "bfi"),
    ]
    for record in records:
        _, data, _ = stored(record.pose_path)
        np.testing.assert_allclose(data[:, 21:], slots[:, 0] * [1000, 1000, 1], rtol=1e-6)
        np.testing.assert_allclose(data[:, :21], slots[:, 1] * [1000, 1000, 1], rtol=1e-6)
    records, _ = run_import(
        "landmark-arrays", tmp_path / "clips.jsonl", tmp_path / "fixed", "--layout", "hands",
        "--sign-language", "ase", "--hand-slots", "left-right",
    )  # fmt: skip
    _, data, _ = stored(records[0].pose_path)
    np.testing.assert_allclose(data[:, :21], slots[:, 0] * [1000, 1000, 1], rtol=1e-6)


def test_landmark_array_table_problems(tmp_path):
    np.save(tmp_path / "ok.npy", hands_array(3))
    np.save(tmp_path / "wide.npy", holistic_array(3, 543))
    (tmp_path / "clips.csv").write_text(
        "id,array,text,split\n"
        "ok,ok.npy,tree,train\n"
        "ok,ok.npy,tree,train\n"
        ",gone.npy,tree,train\n"
        ",wide.npy,tree,train\n"
        "x,ok.npy,,train\n"
        "y,ok.npy,tree,later\n"
        "../z,ok.npy,tree,train\n"
    )
    records, report = run_import(
        "landmark-arrays", tmp_path / "clips.csv", tmp_path / "out", "--layout", "hands",
        "--sign-language", "ase",
    )  # fmt: skip
    assert [r.clip_id for r in records] == ["ok"]
    assert [(p.kind, p.item) for p in report.problems] == [
        ("duplicate-id", "ok"),
        ("malformed-row", "clips.csv line 6"),
        ("malformed-row", "clips.csv line 7"),
        ("malformed-row", "clips.csv line 8"),
        ("missing-file", "gone"),
        ("malformed-array", "wide"),
    ]
    with pytest.raises(ManifestError, match="no sign_language column"):
        run_import("landmark-arrays", tmp_path / "clips.csv", tmp_path / "o", "--layout", "hands")
    with pytest.raises(ConfigError, match="--fps 0"):
        run_import(
            "landmark-arrays", tmp_path / "clips.csv", tmp_path / "o", "--layout", "hands",
            "--sign-language", "ase", "--fps", "0",
        )  # fmt: skip


def test_missing_values_rule():
    values = np.array([[[0.5, 0.5, 0.0], [0, 0, 0], [-1, -1, -1], [np.nan, 0.2, 0.1], [0, 0.3, 0]]])
    marked = landmark_arrays.mark_missing(values)
    assert np.isnan(marked[0, 1:4]).all() and np.isfinite(marked[0, [0, 4]]).all()
