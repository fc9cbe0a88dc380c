import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.data.manifest import ClipRecord
from signclip.index import SignIndex, SignIndexError
from signclip.index.build import build_index, partial_folder
from signclip.testing import fake_holistic_pose

DIM = 6


class CountingEncoder:
    """Stands in for SignCLIPEncoder: a fixed function of the features, counting its clips."""

    def __init__(self, fail_after_calls: int | None = None):
        self.pose_config = PoseConfig()
        self.embedded: list[int] = []
        self.fail_after_calls = fail_after_calls

    def embed_features(self, clips):
        if self.fail_after_calls is not None and len(self.embedded) >= self.fail_after_calls:
            raise KeyboardInterrupt
        self.embedded.append(len(clips))
        return np.stack([reference_embedding(c) for c in clips])


def reference_embedding(features: np.ndarray) -> np.ndarray:
    vector = np.concatenate([features.mean(axis=0)[: DIM - 1], [len(features)]])
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def write_clips(folder, count: int, bad: tuple[int, ...] = ()) -> list[ClipRecord]:
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(count):
        path = folder / f"clip{i}.pose"
        if i in bad:
            path.write_bytes(b"not a pose file")
        else:
            with path.open("wb") as out:
                fake_holistic_pose(num_frames=8 + i, seed=i).write(out)
        language = "ase" if i % 2 else "gsg"
        records.append(ClipRecord(f"c{i:02d}", path, f"w{i}", "en", language, "train"))
    return records


def build(records, out, encoder, **kwargs):
    settings = {"progress": False, "batch_size": 3, "identity": {"path": "m"}, "workers": 1}
    return build_index(encoder, records, out, **{**settings, **kwargs})


def test_build_embeds_every_clip_like_the_encoder(tmp_path):
    records = write_clips(tmp_path / "poses", 7)
    index = build(records, tmp_path / "idx", CountingEncoder())
    from signclip.pose.features import load_features

    expected = np.stack(
        [reference_embedding(load_features(r.pose_path, PoseConfig())) for r in records]
    )
    assert np.array_equal(index.vectors, expected)
    assert [r.clip_id for r in index.records] == [r.clip_id for r in records]
    loaded = SignIndex.load(tmp_path / "idx")
    assert np.array_equal(loaded.vectors, expected) and loaded.model == {"path": "m"}
    assert not partial_folder(tmp_path / "idx").exists()


def test_unreadable_clips_are_reported_and_left_out(tmp_path):
    records = write_clips(tmp_path / "poses", 5, bad=(1, 3))
    failures = []
    index = build(
        records, tmp_path / "idx", CountingEncoder(), on_failure=lambda *f: failures.append(f)
    )
    assert [clip_id for clip_id, _ in failures] == ["c01", "c03"]
    assert all("\n" not in reason for _, reason in failures)
    assert [r.clip_id for r in index.records] == ["c00", "c02", "c04"]


def test_an_interrupted_build_resumes_from_its_last_chunk(tmp_path):
    records = write_clips(tmp_path / "poses", 8)
    with pytest.raises(KeyboardInterrupt):
        build(records, tmp_path / "idx", CountingEncoder(fail_after_calls=2))
    assert not (tmp_path / "idx").exists()
    resumed = CountingEncoder()
    index = build(records, tmp_path / "idx", resumed)
    # Two chunks of 3 clips were saved; only the last 2 clips are embedded again.
    assert resumed.embedded == [2]
    fresh = build(records, tmp_path / "again", CountingEncoder())
    assert np.array_equal(index.vectors, fresh.vectors)


def test_a_changed_model_restarts_instead_of_mixing_vectors(tmp_path):
    records = write_clips(tmp_path / "poses", 6)
    with pytest.raises(KeyboardInterrupt):
        build(records, tmp_path / "idx", CountingEncoder(fail_after_calls=1))
    other = CountingEncoder()
    build_index(
        other,
        records,
        tmp_path / "idx",
        progress=False,
        batch_size=3,
        identity={"path": "another model"},
        workers=1,
    )
    assert sum(other.embedded) == 6


def test_all_clips_unreadable_is_an_error(tmp_path):
    records = write_clips(tmp_path / "poses", 2, bad=(0, 1))
    with pytest.raises(Exception, match="all 2 clips failed"):
        build(records, tmp_path / "idx", CountingEncoder())


def test_bad_batch_size(tmp_path):
    records = write_clips(tmp_path / "poses", 1)
    with pytest.raises(SignIndexError, match="batch size"):
        build(records, tmp_path / "idx", CountingEncoder(), batch_size=0)
