import numpy as np
import pytest

from signclip.inference import SignCLIPEncoder, window_starts
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose


@pytest.fixture(scope="module")
def encoder(trained_run):
    run, _ = trained_run
    return SignCLIPEncoder.from_pretrained(run.model, device="cpu", batch_size=3)


def test_batched_equals_one_by_one_for_any_length(encoder):
    # context is 32 frames: 80 and 33 need windows, 1 is a single frame
    clips = [encoder.features(fake_holistic_pose(num_frames=n, seed=n)) for n in (5, 80, 1, 33, 20)]
    together = encoder.embed_features(clips)
    alone = np.concatenate([encoder.embed_features([c]) for c in clips])
    assert together.shape == (5, alone.shape[1])
    assert np.abs(together - alone).max() <= 1e-5
    assert np.isfinite(together).all()


def test_long_clip_is_the_mean_of_its_windows(encoder):
    clip = encoder.features(fake_holistic_pose(num_frames=70, seed=3))
    starts = window_starts(70, 32)
    assert starts == [0, 16, 32, 38]
    windows = encoder.embed_features([clip[s : s + 32] for s in starts])
    mean = windows.mean(axis=0)
    if encoder.model.model_config.normalize:
        mean = mean / np.linalg.norm(mean)
    assert np.abs(encoder.embed_features([clip])[0] - mean).max() <= 1e-5


def test_paths_poses_and_arrays_agree(encoder, trained_run, tmp_path):
    _, manifest = trained_run
    path = manifest.parent / "house-1.pose"
    pose = read_pose(path)
    array = encoder.features(path)
    emb = encoder.embed_poses([str(path), pose, array])
    assert np.abs(emb - emb[0]).max() <= 1e-6


def test_texts_batched_equal_one_by_one_and_similarity_shape(encoder):
    texts = ["<en> <ase> house", "<en> <ase> a much longer text than the others", "tree"]
    together = encoder.embed_texts(texts)
    alone = np.concatenate([encoder.embed_texts([t]) for t in texts])
    assert np.abs(together - alone).max() <= 1e-5
    poses = encoder.embed_features([encoder.features(fake_holistic_pose(num_frames=9, seed=1))])
    assert encoder.similarity(poses, together).shape == (1, 3)


def test_wrong_array_shape_is_refused(encoder):
    with pytest.raises(ValueError, match="expected features of shape"):
        encoder.features(np.zeros((10, 7), np.float32))
