import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.data.cache import FeatureCache, compute_statistics
from signclip.data.manifest import ClipRecord
from signclip.errors import ManifestError, PoseFileError

WIDTH = 6


def fake_extract(path: Path, cfg: PoseConfig) -> np.ndarray:
    """Stands in for load_features: the file holds a frame count, or "bad"."""
    text = path.read_text()
    if text == "bad":
        raise PoseFileError(f"{path}: corrupt")
    frames = int(text)
    seed = sum(path.name.encode())
    return np.random.default_rng(seed).normal(size=(frames, WIDTH)).astype(np.float32)


class Counting:
    """Counts calls, to tell a reused cache (no calls) from a rebuilt one."""

    def __init__(self, fail_on_call: int | None = None):
        self.calls = 0
        self.fail_on_call = fail_on_call

    def __call__(self, path: Path, cfg: PoseConfig) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("simulated crash")
        return fake_extract(path, cfg)


def make_records(folder: Path, contents: dict[str, str]) -> list[ClipRecord]:
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for clip_id, text in contents.items():
        path = folder / f"{clip_id}.pose"
        if text != "missing":
            path.write_text(text)
        records.append(ClipRecord(clip_id, path, clip_id, "en", "ase", "train"))
    return records


def build(records, root, **kwargs):
    kwargs = {"workers": 1, "progress": False, "extractor": fake_extract, **kwargs}
    return FeatureCache.build_or_open(records, PoseConfig(), root, **kwargs)


GOOD = {"c": "5", "a": "3", "b": "7"}


def test_build_stores_every_clip_sorted_by_id(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    cache, report = build(records, tmp_path / "cache")
    assert cache.ids == ["a", "b", "c"]
    assert cache.lengths.tolist() == [3, 7, 5]
    assert cache.offsets.tolist() == [0, 3, 10]
    assert (len(cache), cache.num_features) == (3, WIDTH)
    assert (report.reused, report.num_clips, report.num_frames, report.failures) == (
        False,
        3,
        15,
        [],
    )
    for record in records:
        clip = cache.get(cache.index_of(record.clip_id))
        np.testing.assert_array_equal(clip, fake_extract(record.pose_path, PoseConfig()))
        assert not clip.flags.owndata  # a view of the memory map
    assert sorted(p.name for p in cache.folder.iterdir()) == [
        "failures.json",
        "features.f32",
        "index.npz",
        "meta.json",
    ]
    meta = json.loads((cache.folder / "meta.json").read_text())
    assert (meta["num_frames"], meta["num_features"], meta["pose"]) == (
        15,
        WIDTH,
        vars(PoseConfig()),
    )


def test_unchanged_dataset_is_reused_without_extracting(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    first, _ = build(records, tmp_path / "cache")
    counting = Counting()
    build(records, tmp_path / "cache2", extractor=counting)
    assert counting.calls == 3
    again, report = build(list(reversed(records)), tmp_path / "cache2", extractor=counting)
    assert report.reused
    assert counting.calls == 3
    assert again.ids == first.ids


def test_touched_file_or_new_settings_give_a_new_folder(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    root = tmp_path / "cache"
    first, _ = build(records, root)
    stat = records[0].pose_path.stat()
    os.utime(records[0].pose_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    touched, report = build(records, root)
    assert not report.reused
    assert touched.folder != first.folder
    _, report = build(records, root, extractor=fake_extract)
    assert report.reused
    other_cfg, report = FeatureCache.build_or_open(
        records, PoseConfig(fps=25.0), root, workers=1, progress=False, extractor=fake_extract
    )
    assert not report.reused
    assert other_cfg.folder not in (first.folder, touched.folder)


def test_bad_clips_are_reported_by_id_and_reason_and_skipped(tmp_path):
    contents = {**GOOD, "bad": "bad", "gone": "missing", "empty": "0"}
    records = make_records(tmp_path / "poses", contents)
    cache, report = build(records, tmp_path / "cache")
    assert cache.ids == ["a", "b", "c"]
    reasons = {clip_id: (path, reason) for clip_id, path, reason in report.failures}
    assert set(reasons) == {"bad", "gone", "empty"}
    assert "corrupt" in reasons["bad"][1]
    assert "no such file" in reasons["gone"][1]
    assert "zero frames" in reasons["empty"][1]
    assert reasons["gone"][0] == str(tmp_path / "poses" / "gone.pose")
    _, again = build(records, tmp_path / "cache")
    assert again.reused
    assert again.failures == report.failures
    with pytest.raises(KeyError, match="'bad' is not in the feature cache"):
        cache.index_of("bad")


def test_a_clip_with_another_feature_count_is_a_failure(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)

    def uneven(path: Path, cfg: PoseConfig) -> np.ndarray:
        features = fake_extract(path, cfg)
        return features[:, :2] if path.stem == "b" else features

    cache, report = build(records, tmp_path / "cache", extractor=uneven)
    assert [(f[0], f[2]) for f in report.failures] == [("b", "2 features, the others have 6")]
    # The rejected clip's frames were written before it was refused; they must not shift "c".
    assert cache.ids == ["a", "c"]
    np.testing.assert_array_equal(cache.get(1), fake_extract(records[0].pose_path, PoseConfig()))


def test_strict_raises_on_the_first_bad_clip(tmp_path):
    records = make_records(tmp_path / "poses", {**GOOD, "bb": "bad"})
    root = tmp_path / "cache"
    with pytest.raises(PoseFileError, match=r"clip bb: .*corrupt"):
        build(records, root, strict=True)
    assert list(root.iterdir()) == []


def test_all_clips_failing_is_a_manifest_error(tmp_path):
    records = make_records(tmp_path / "poses", {"x": "bad", "y": "missing"})
    with pytest.raises(ManifestError, match=r"all 2 clips failed; the first, x: .*corrupt"):
        build(records, tmp_path / "cache")


def test_duplicate_or_no_records_are_manifest_errors(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    with pytest.raises(ManifestError, match="duplicate clip id 'a'"):
        build([*records, records[1]], tmp_path / "cache")
    with pytest.raises(ManifestError, match="no clips"):
        build([], tmp_path / "cache")


def test_a_crash_mid_build_leaves_no_complete_looking_cache(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(records, root, extractor=Counting(fail_on_call=2))
    assert list(root.iterdir()) == []
    # The next build succeeds and is a real build, not a half-written folder reused.
    counting = Counting()
    _, report = build(records, root, extractor=counting)
    assert (report.reused, counting.calls) == (False, 3)


def test_a_killed_build_leaves_only_a_hidden_folder_that_is_never_opened(tmp_path):
    records = make_records(tmp_path / "poses", GOOD)
    root = tmp_path / "cache"
    cache, _ = build(records, root, extractor=Counting())
    key = cache.folder.name
    # What a build killed just before its rename leaves: a complete-looking temporary folder.
    leftover = root / f".tmp-{key}-otherhost-1"
    cache.folder.rename(leftover)
    (leftover / "features.f32").write_bytes(b"")
    counting = Counting()
    rebuilt, report = build(records, root, extractor=counting)
    assert (report.reused, counting.calls) == (False, 3)
    assert rebuilt.folder == root / key
    np.testing.assert_array_equal(rebuilt.get(0), fake_extract(records[1].pose_path, PoseConfig()))


def test_parallel_build_equals_single_process_build(tmp_path):
    contents = {f"clip{i:02d}": str(1 + i % 9) for i in range(40)}
    records = make_records(tmp_path / "poses", {**contents, "zz": "bad"})
    one, _ = build(records, tmp_path / "one")
    two, report = build(records, tmp_path / "two", workers=2)
    assert one.ids == two.ids
    assert [f[0] for f in report.failures] == ["zz"]
    np.testing.assert_array_equal(one.frames, two.frames)
    # The workers' shard files were merged into the one store and removed.
    assert sorted(p.name for p in two.folder.iterdir()) == sorted(
        p.name for p in one.folder.iterdir()
    )


def test_pickling_reopens_the_folder(tmp_path):
    cache, _ = build(make_records(tmp_path / "poses", GOOD), tmp_path / "cache")
    blob = pickle.dumps(cache)
    assert len(blob) < 1000
    np.testing.assert_array_equal(pickle.loads(blob).get(1), cache.get(1))


def test_a_damaged_folder_is_a_manifest_error(tmp_path):
    cache, _ = build(make_records(tmp_path / "poses", GOOD), tmp_path / "cache")
    (cache.folder / "index.npz").unlink()
    with pytest.raises(ManifestError, match=r"unreadable.*delete the folder"):
        FeatureCache(cache.folder)


def test_statistics_ignore_missing_zeros(tmp_path):
    records = make_records(tmp_path / "poses", {f"k{i}": str(20 + i) for i in range(12)})

    def with_gaps(path: Path, cfg: PoseConfig) -> np.ndarray:
        features = fake_extract(path, cfg) * 3 + 1
        features[::3, 1] = 0  # a sometimes-missing point
        features[:, 4] = 0  # a never-present one
        return features

    cache, _ = build(records, tmp_path / "cache", extractor=with_gaps)
    chosen = [0, 3, 4, 7, 11]
    mean, std = compute_statistics(cache, chosen, clips_per_chunk=2)
    values = np.concatenate([cache.get(i) for i in chosen]).astype(np.float64)
    for f in range(WIDTH):
        present = values[:, f][values[:, f] != 0]
        expected = (present.mean(), present.std()) if len(present) else (0.0, 1.0)
        np.testing.assert_allclose((mean[f], std[f]), expected, rtol=1e-5)
    assert mean.dtype == std.dtype == np.float32


def test_real_feature_extractor_on_real_recordings(tmp_path, shared_data):
    features = pytest.importorskip("signclip.pose.features", reason="pose.features not written yet")
    ase = sorted((shared_data / "fingerspelling" / "ase").glob("*.pose"))[:4]
    paths = [*ase, shared_data / "pose-format" / "openpose.pose", tmp_path / "missing.pose"]
    records = [ClipRecord(p.stem, p, "x", "en", "ase", "train") for p in paths]
    cfg = PoseConfig()
    cache, report = FeatureCache.build_or_open(
        records, cfg, tmp_path / "cache", workers=1, progress=False
    )
    assert cache.num_features == features.feature_layout(cfg).num_features == 609
    assert sorted(cache.ids) == sorted(p.stem for p in ase)
    assert {f[0] for f in report.failures} == {"openpose", "missing"}
    np.testing.assert_array_equal(cache.get(0), features.load_features(ase[0], cfg))
