import numpy as np
import pytest

from signclip.data.sampler import epoch_batches


def flat(batches):
    return np.concatenate(batches) if batches else np.array([], dtype=np.int64)


def test_a_pure_function_of_seed_and_epoch():
    first = epoch_batches(100, 8, seed=1, epoch=3)
    again = epoch_batches(100, 8, seed=1, epoch=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_order_changes_between_epochs_and_seeds():
    base = flat(epoch_batches(100, 10, seed=1, epoch=0))
    assert not np.array_equal(base, flat(epoch_batches(100, 10, seed=1, epoch=1)))
    assert not np.array_equal(base, flat(epoch_batches(100, 10, seed=2, epoch=0)))


@pytest.mark.parametrize("bucket_size", [0, 2, 50])
def test_keeping_the_last_batch_covers_every_item_once(bucket_size):
    lengths = np.random.default_rng(0).integers(1, 300, size=103)
    batches = epoch_batches(
        103, 10, seed=0, epoch=0, drop_last=False, lengths=lengths, bucket_size=bucket_size
    )
    assert np.array_equal(np.sort(flat(batches)), np.arange(103))
    assert sorted(len(b) for b in batches) == [3] + [10] * 10


@pytest.mark.parametrize("bucket_size", [0, 3])
def test_drop_last_keeps_only_full_batches_of_distinct_items(bucket_size):
    lengths = np.arange(103)
    batches = epoch_batches(103, 10, seed=0, epoch=0, lengths=lengths, bucket_size=bucket_size)
    assert [len(b) for b in batches] == [10] * 10
    assert len(np.unique(flat(batches))) == 100
    assert flat(batches).dtype == np.int64


def test_bucketing_cuts_padding_and_still_shuffles():
    lengths = np.random.default_rng(1).integers(5, 256, size=2000)

    def padded_frames(batches):
        return sum(lengths[b].max() * len(b) for b in batches)

    plain = epoch_batches(2000, 32, seed=0, epoch=0)
    bucketed = epoch_batches(2000, 32, seed=0, epoch=0, lengths=lengths, bucket_size=8)
    assert padded_frames(bucketed) < 0.8 * padded_frames(plain)
    # Batch order is shuffled: lengths do not just rise within each run of 8 batches.
    maxima = [lengths[b].max() for b in bucketed[:8]]
    assert maxima != sorted(maxima)
    other_epoch = epoch_batches(2000, 32, seed=0, epoch=1, lengths=lengths, bucket_size=8)
    assert not np.array_equal(flat(bucketed), flat(other_epoch))


def test_small_and_empty_inputs():
    assert epoch_batches(5, 8, seed=0, epoch=0) == []
    assert [len(b) for b in epoch_batches(5, 8, seed=0, epoch=0, drop_last=False)] == [5]
    assert epoch_batches(0, 8, seed=0, epoch=0, drop_last=False) == []


def test_invalid_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        epoch_batches(10, 0, seed=0, epoch=0)
    with pytest.raises(ValueError, match="lengths has 3 entries for 10 items"):
        epoch_batches(10, 2, seed=0, epoch=0, lengths=[1, 2, 3], bucket_size=1)
