import json

import pytest
import torch
from safetensors.torch import load_file

from signclip.config import load_config
from signclip.distributed import DistState
from signclip.errors import ConfigError, PoseFileError, SignclipError
from signclip.training.logs import read_metrics
from signclip.training.loop import Trainer, build_trainer, train

from .conftest import tiny_overrides


def weights(folder):
    return load_file(str(folder / "model.safetensors"))


# The text bank's outputs are refreshed at epoch starts: a resumed run must get them back from the
# checkpoint, not recompute them from the weights of the middle of an epoch.
@pytest.mark.parametrize("bank_weight", ["0", "0.5"])
def test_interrupted_and_resumed_run_ends_with_the_same_weights(
    tiny_manifest, tmp_path, monkeypatch, bank_weight
):
    augment = (
        "augment.speed_std=0.2",
        "augment.affine_std=0.2",
        "augment.flip_p=0.5",
        "augment.noise_std=0.001",
        "train.epochs=3",
        "train.batch_size=4",
        f"loss.text_bank_weight={bank_weight}",
    )
    straight = train(load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "a", *augment)))
    # Ctrl-C in the middle of the 5th step: the run saves where it is and says how to go on.
    step = Trainer.train_step

    def interrupted(self, indices):
        if self.progress.step == 4:
            raise KeyboardInterrupt
        return step(self, indices)

    cfg = load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "b", *augment))
    monkeypatch.setattr(Trainer, "train_step", interrupted)
    with pytest.raises(SignclipError, match="interrupted at step 4; continue with --resume"):
        train(cfg)
    monkeypatch.setattr(Trainer, "train_step", step)
    stopped = tmp_path / "b" / "checkpoints" / "last"
    assert json.loads((stopped / "signclip.json").read_text())  # a loadable model folder
    at_stop = weights(stopped)
    resumed = train(cfg, resume=True)
    a, b = weights(straight.last), weights(resumed.last)
    assert a.keys() == b.keys()
    diff = max(float((a[k] - b[k]).abs().max()) for k in a)
    assert diff == 0.0
    # the interrupted run really stopped early: its weights at the stop differ from the end
    assert not all(torch.equal(a[k], at_stop[k]) for k in a)


def test_training_logs_metrics_and_saves_config_and_best(tiny_manifest, tmp_path):
    run = train(load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "run")))
    rows = read_metrics(run.path)
    assert any(r["kind"] == "train" and "loss" in r for r in rows)
    val = [r for r in rows if r["kind"] == "val"]
    assert len(val) == 2 and "p2t_R@1" in val[0] and "score" in val[0]
    assert (run.path / "config.yaml").is_file()
    assert run.best.is_dir() and run.last.is_dir()
    assert (run.path / "tensorboard").is_dir()


def test_resume_refuses_changed_settings(tiny_manifest, tmp_path):
    train(load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "r", "train.max_steps=1")))
    changed = load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "r", "train.lr=0.5"))
    with pytest.raises(ConfigError, match=r"train\.lr"):
        train(changed, resume=True)


def test_existing_run_is_not_overwritten(tiny_manifest, tmp_path):
    cfg = load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "r", "train.max_steps=1"))
    train(cfg)
    with pytest.raises(SignclipError, match=r"--resume"):
        train(cfg)


def test_bad_clips_are_reported_and_skipped_or_fatal_when_strict(tiny_manifest, tmp_path):
    (tiny_manifest.parent / "tree-0.pose").write_bytes(b"not a pose file")
    (tiny_manifest.parent / "water-1.pose").unlink()
    run = train(load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "run")))
    bad = json.loads((run.path / "bad_clips.json").read_text())
    assert sorted(b["id"] for b in bad) == ["tree-0", "water-1"]
    assert all(b["reason"] for b in bad)
    strict = tiny_overrides(tiny_manifest, tmp_path / "strict", "data.strict=true")
    with pytest.raises(PoseFileError):
        train(load_config("tiny", strict))


def test_length_buckets_reach_the_training_plan(tiny_manifest, tmp_path):
    from signclip.distributed import DistState
    from signclip.training.loop import build_trainer

    def padding(bucket_size):
        overrides = tiny_overrides(
            tiny_manifest,
            tmp_path / f"b{bucket_size}",
            "train.batch_size=3",
            f"data.bucket_size={bucket_size}",
        )
        trainer = build_trainer(
            load_config("tiny", overrides), False, DistState.single(torch.device("cpu"))
        )
        lengths = trainer.data.cache.lengths
        plans = [trainer._plan(epoch) for epoch in range(4)]
        return sum(int(lengths[b].max() * len(b) - lengths[b].sum()) for p in plans for b in p)

    assert padding(4) < padding(0)


def test_max_steps_ends_the_schedule_and_the_run_is_validated(tiny_manifest, tmp_path):
    cfg = load_config(
        "tiny",
        tiny_overrides(
            tiny_manifest,
            tmp_path / "r",
            "train.epochs=50",
            "train.max_steps=6",
            "train.log_every=1",
        ),
    )
    run = train(cfg)
    rows = read_metrics(run.path)
    lrs = [r["lr"] for r in rows if r["kind"] == "train"]
    assert len(lrs) == 6
    # Cosine over 6 steps, not over 50 epochs: the last step's rate has decayed to 0.
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12) and lrs[2] > 0
    val = [r for r in rows if r["kind"] == "val"]
    # One step per epoch here: every epoch is validated once, the stopping step included.
    assert [r["step"] for r in val] == [1, 2, 3, 4, 5, 6] and run.best.is_dir()


def test_dev_score_does_not_depend_on_the_batch_sizes(tiny_manifest, tmp_path):
    scores = []
    for name, sizes in (("a", ("4", "1")), ("b", ("8", "256"))):
        extra = (f"train.batch_size={sizes[0]}", f"train.eval_batch_size={sizes[1]}")
        cfg = load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / name, *extra))
        trainer = build_trainer(cfg, resume=False, dist=DistState.single(torch.device("cpu")))
        scores.append(trainer.validation_metrics())
    assert scores[0]["pose_to_text"] == pytest.approx(scores[1]["pose_to_text"], abs=1e-6)
    assert scores[0]["text_to_pose"] == pytest.approx(scores[1]["text_to_pose"], abs=1e-6)


def test_resume_after_a_save_killed_between_its_renames(tiny_manifest, tmp_path, monkeypatch):
    cfg = load_config("tiny", tiny_overrides(tiny_manifest, tmp_path / "r", "train.epochs=3"))
    step = Trainer.train_step

    def interrupted(self, indices):
        if self.progress.step == 2:
            raise KeyboardInterrupt
        return step(self, indices)

    monkeypatch.setattr(Trainer, "train_step", interrupted)
    with pytest.raises(SignclipError, match="interrupted at step 2"):
        train(cfg)
    monkeypatch.setattr(Trainer, "train_step", step)
    # As a kill between "last -> last.old" and "last.tmp -> last" leaves it: no `last` at all.
    last = tmp_path / "r" / "checkpoints" / "last"
    last.rename(last.with_name("last.old"))
    resumed = train(cfg, resume=True)
    assert (resumed.last / "trainer_state.pt").is_file()
    assert not last.with_name("last.old").exists()
    rows = [r for r in read_metrics(resumed.path) if r["kind"] == "train"]
    assert rows[-1]["step"] == 3  # 1 step per epoch: 3 epochs, continued from step 2
