import json
from pathlib import Path

import numpy as np
import pytest

from signclip.cli.main import main
from signclip.config import DataConfig, PoseConfig, load_config
from signclip.data.attached import attach_cache, open_attached, sidecar_path
from signclip.data.cache import FeatureCache
from signclip.data.cache_writer import write_cache
from signclip.data.manifest import read_manifest
from signclip.data.prepared import prepare_data
from signclip.errors import ConfigError, ManifestError
from signclip.synth.dataset import SynthSpec
from signclip.synth.generate import generate_dataset, iter_features
from signclip.training.loop import train

# 4 concepts × 2 languages × 3 signers: 24 clips over train, dev and test signers.
SPEC = SynthSpec(concepts=4, languages=2, signers=6, seed=3)
SETTINGS = {"source": "test", "spec": "SPEC"}


def clips_of(count: int, width: int = 5, frames: int = 4):
    """`count` small clips, ids in reverse order so the writer has to sort them."""
    for i in reversed(range(count)):
        yield f"clip-{i:02d}", np.full((frames + i, width), i, np.float32)


def never_read():
    raise AssertionError("a reused cache read its clips")
    yield  # a generator, so the assertion fires only if it is iterated


def write(clips, root: Path, settings=SETTINGS):
    return write_cache(clips, settings, root, progress=False)


def cli_cache_only(out: Path, *extra: str) -> int:
    args = ["synth", "--out", str(out), "--concepts", "4", "--languages", "2", "--signers", "6"]
    return main([*args, "--seed", "3", "--workers", "1", "--no-progress", *extra])


@pytest.fixture(scope="module")
def cache_only_dataset(tmp_path_factory) -> Path:
    """The manifest of SPEC written by `signclip synth --cache-only reduced-face`."""
    out = tmp_path_factory.mktemp("cache-only")
    assert cli_cache_only(out, "--cache-only", "reduced-face") == 0
    return out / "manifest.csv"


def test_streamed_cache_equals_the_cache_built_from_pose_files(tmp_path):
    report = generate_dataset(tmp_path / "files", SPEC, workers=1, progress=False)
    from_files, _ = FeatureCache.build_or_open(
        read_manifest(report.manifest), PoseConfig(), tmp_path / "a", workers=1, progress=False
    )
    streamed, streamed_report = write(iter_features(SPEC, PoseConfig()), tmp_path / "b")
    assert streamed.ids == from_files.ids
    assert streamed.lengths.tolist() == from_files.lengths.tolist()
    assert (streamed.num_frames, streamed.num_features) == (from_files.num_frames, 609)
    for i in range(len(streamed)):
        assert streamed.get(i).tobytes() == from_files.get(i).tobytes()
    assert not streamed_report.reused and streamed_report.failures == []


def test_index_is_sorted_while_frames_stay_in_arrival_order(tmp_path):
    cache, report = write(clips_of(3), tmp_path)
    assert cache.ids == ["clip-00", "clip-01", "clip-02"]
    assert cache.lengths.tolist() == [4, 5, 6]
    assert cache.offsets.tolist() == [11, 6, 0]
    np.testing.assert_array_equal(cache.get(1), np.full((5, 5), 1, np.float32))
    assert (report.num_clips, report.num_frames) == (3, 15)
    meta = json.loads((cache.folder / "meta.json").read_text())
    assert (meta["source"], meta["num_features"], meta["num_failures"]) == ("test", 5, 0)


def test_same_settings_reuse_the_folder_without_reading_the_clips(tmp_path):
    first, _ = write(clips_of(3), tmp_path)
    again, report = write(never_read(), tmp_path)
    assert report.reused and again.folder == first.folder
    other, report = write(clips_of(2), tmp_path, {**SETTINGS, "spec": "another"})
    assert not report.reused and other.folder != first.folder


def test_an_exception_mid_stream_publishes_nothing_and_stops_the_generator(tmp_path):
    stopped = []

    def failing():
        try:
            yield from clips_of(2)
            raise RuntimeError("generator crashed")
        finally:
            stopped.append(True)

    with pytest.raises(RuntimeError, match="generator crashed"):
        write(failing(), tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []

    def bad_second_clip():
        yield from clips_of(1)
        yield "nan", np.full((3, 5), np.nan, np.float32)
        yield from clips_of(3)

    with pytest.raises(ManifestError, match="clip nan: non-finite feature values"):
        write(bad_second_clip(), tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
    assert stopped == [True]


@pytest.mark.parametrize(
    ("clips", "message"),
    [
        ([("a", np.zeros((2, 5))), ("a", np.zeros((2, 5)))], "duplicate clip id 'a'"),
        ([("a", np.zeros((2, 5))), ("b", np.zeros((2, 4)))], "clip b: 4 features, the others"),
        ([("a", np.zeros((0, 5)))], "clip a: zero frames"),
        ([], "no clips"),
    ],
)
def test_bad_clips_are_refused_naming_the_clip(tmp_path, clips, message):
    with pytest.raises(ManifestError, match=message):
        write(iter(clips), tmp_path)


def test_attached_cache_opens_for_its_pose_settings_only(cache_only_dataset):
    manifest = cache_only_dataset
    records = read_manifest(manifest)
    assert not any(r.pose_path.exists() for r in records)
    cache, report = open_attached(manifest, records, PoseConfig(zscore=True))
    assert report.reused and len(cache) == len(records) == 24
    with pytest.raises(ConfigError, match=r"preset=reduced-face, this run asks for .*sign-vq"):
        open_attached(manifest, records, PoseConfig(preset="sign-vq"))
    with pytest.raises(ConfigError, match=r"fps=25\.0"):
        prepare_data(DataConfig(manifest=str(manifest)), PoseConfig(fps=25.0), progress=False)


def test_attached_cache_refuses_a_changed_manifest_or_a_missing_folder(tmp_path):
    cache, _ = write(clips_of(2), tmp_path / "features")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("id,pose,text,spoken_language,sign_language,split\n")
    attach_cache(manifest, cache, PoseConfig())
    assert json.loads(sidecar_path(manifest).read_text())["features"] == str(
        cache.folder.relative_to(tmp_path)
    )
    with pytest.raises(ManifestError, match="its clips are not those of its feature cache"):
        open_attached(manifest, [], PoseConfig())
    manifest.write_text(manifest.read_text() + "x,x.pose,x,en,ase,train\n")
    with pytest.raises(ManifestError, match="changed after its features were written"):
        open_attached(manifest, [], PoseConfig())
    attach_cache(manifest, cache, PoseConfig())
    (cache.folder / "meta.json").unlink()
    with pytest.raises(ManifestError, match="missing or incomplete"):
        open_attached(manifest, [], PoseConfig())


def test_writing_pose_files_detaches_the_features(tmp_path):
    assert cli_cache_only(tmp_path, "--cache-only", "reduced-face") == 0
    assert sidecar_path(tmp_path / "manifest.csv").is_file()
    assert cli_cache_only(tmp_path) == 0
    assert not sidecar_path(tmp_path / "manifest.csv").exists()


def test_training_runs_on_a_cache_only_dataset_with_no_pose_file(cache_only_dataset, tmp_path):
    overrides = [
        f"data.manifest={cache_only_dataset}",
        f"train.out_dir={tmp_path / 'run'}",
        "model.max_frames=32",
        "train.max_steps=2",
    ]
    run = train(load_config("tiny", overrides))
    assert (run.last / "model.safetensors").is_file()
    assert not list(cache_only_dataset.parent.rglob("*.pose"))
