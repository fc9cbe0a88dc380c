from pathlib import Path

import numpy as np
import pytest
import torch

from signclip.config import PoseConfig
from signclip.data.cache import FeatureCache
from signclip.data.collate import collate_poses
from signclip.data.manifest import ClipRecord

LENGTHS = [3, 17, 1, 40, 9, 25, 40, 2]
WIDTH = 5


def extract(path: Path, cfg: PoseConfig) -> np.ndarray:
    frames, seed = map(int, path.read_text().split())
    # Frame t's first feature is t, so a crop's start can be read off the batch.
    features = np.random.default_rng(seed).normal(size=(frames, WIDTH)).astype(np.float32)
    features[:, 0] = np.arange(frames)
    return features


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> FeatureCache:
    folder = tmp_path_factory.mktemp("collate")
    records = []
    for i, length in enumerate(LENGTHS):
        path = folder / f"{i}.pose"
        path.write_text(f"{length} {i}")
        records.append(ClipRecord(f"clip{i}", path, "t", "en", "ase", "train"))
    built, _ = FeatureCache.build_or_open(
        records, PoseConfig(), folder / "cache", workers=1, progress=False, extractor=extract
    )
    return built


def naive_collate(cache: FeatureCache, indices: list[int]):
    clips = [torch.tensor(np.array(cache.get(i))) for i in indices]
    features = torch.nn.utils.rnn.pad_sequence(clips, batch_first=True)
    mask = torch.nn.utils.rnn.pad_sequence(
        [torch.ones(len(c), dtype=torch.bool) for c in clips], batch_first=True
    )
    return features, mask


@pytest.mark.parametrize("indices", [[0, 1, 2], [3], [7, 2, 5, 0, 4], list(range(8))])
def test_matches_a_naive_reference_when_nothing_is_cropped(cache, indices):
    batch = collate_poses(cache, indices, max_frames=64)
    features, mask = naive_collate(cache, indices)
    assert batch.features.dtype == torch.float32
    assert batch.mask.dtype == torch.bool
    torch.testing.assert_close(batch.features, features, rtol=0, atol=0)
    assert torch.equal(batch.mask, mask)


def test_random_crops_are_windows_of_max_frames_and_seeded(cache):
    indices = [1, 3, 2, 6]
    batch = collate_poses(cache, indices, max_frames=10, rng=np.random.default_rng(0))
    assert batch.features.shape == (4, 10, WIDTH)
    assert batch.mask.sum(dim=1).tolist() == [10, 10, 1, 10]
    for row, i in enumerate(indices):
        kept = int(batch.mask[row].sum())
        start = int(batch.features[row, 0, 0])
        np.testing.assert_array_equal(
            batch.features[row, :kept].numpy(), cache.get(i)[start:][:kept]
        )
        assert not batch.features[row, kept:].any()
    again = collate_poses(cache, indices, max_frames=10, rng=np.random.default_rng(0))
    assert torch.equal(batch.features, again.features)
    starts = {
        int(collate_poses(cache, [3], 10, np.random.default_rng(s)).features[0, 0, 0])
        for s in range(20)
    }
    assert len(starts) > 5
    assert min(starts) >= 0
    assert max(starts) <= 40 - 10


def test_without_rng_long_clips_get_the_centre_crop(cache):
    batch = collate_poses(cache, [3, 0], max_frames=10)
    np.testing.assert_array_equal(batch.features[0].numpy(), cache.get(3)[15:25])
    np.testing.assert_array_equal(batch.features[1, :3].numpy(), cache.get(0))
    assert batch.mask.sum(dim=1).tolist() == [10, 3]


def test_batch_width_is_the_longest_clip_when_shorter_than_max_frames(cache):
    batch = collate_poses(cache, np.array([0, 4]), max_frames=256)
    assert batch.features.shape == (2, 9, WIDTH)


def test_rejects_max_frames_below_one(cache):
    with pytest.raises(ValueError, match="max_frames"):
        collate_poses(cache, [0], max_frames=0)
