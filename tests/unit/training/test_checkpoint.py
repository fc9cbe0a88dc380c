"""A save killed at any moment leaves a checkpoint that resumes; trainer state loads no code."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from transformers import AutoTokenizer, BertConfig

from signclip.config import ModelConfig, PoseConfig, TrainConfig
from signclip.errors import SignclipError
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.io import load_model
from signclip.models.text_encoder import MINILM_NAME, resolve_text_model
from signclip.training import checkpoint
from signclip.training.checkpoint import (
    COMPLETE_MARKER,
    TRAINER_STATE,
    Progress,
    load_trainer_state,
    recover_checkpoint,
    save_checkpoint,
)
from signclip.training.optim import build_optimizer, build_scheduler

F = 12
PROMPT = "<{spoken_language}> <{sign_language}> {text}"


@pytest.fixture(scope="module")
def text_model(tmp_path_factory) -> str:
    """A 1-layer, 32-wide BERT folder with the MiniLM tokenizer: small enough to save often."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    BertConfig(
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=40,
    ).save_pretrained(folder)
    AutoTokenizer.from_pretrained(resolve_text_model(MINILM_NAME)).save_pretrained(folder)
    return str(folder)


def optimisation(model) -> SimpleNamespace:
    """What a trainer keeps beside the model: fused AdamW, its LambdaLR and an enabled scaler."""
    optimizer = build_optimizer(model, TrainConfig())
    scheduler = build_scheduler(optimizer, TrainConfig(), total_steps=10)
    return SimpleNamespace(
        optimizer=optimizer, scheduler=scheduler, scaler=torch.amp.GradScaler("cpu")
    )


@pytest.fixture
def training(text_model) -> SimpleNamespace:
    cfg = ModelConfig(
        text_model=text_model,
        text_pretrained=False,
        text_max_length=16,
        max_frames=16,
        pose_width=32,
        pose_layers=1,
        pose_heads=4,
        pose_ffn=64,
    )
    torch.manual_seed(0)
    tokenizer = build_tokenizer(cfg)
    model = build_model(cfg, PoseConfig(), F, tokenizer)
    parts = optimisation(model)
    for param in model.parameters():
        param.grad = torch.ones_like(param)
    parts.optimizer.step()  # the moments and step counts exist only after a step
    parts.scheduler.step()
    return SimpleNamespace(model=model, tokenizer=tokenizer, **vars(parts))


def save(training, folder: Path, step: int) -> None:
    """Save with `step` stamped into the first weight, so a loaded checkpoint shows which it is."""
    with torch.no_grad():
        next(training.model.parameters()).fill_(float(step))
    t, progress = training, Progress(step=step)
    save_checkpoint(
        folder, t.model, t.tokenizer, t.optimizer, t.scheduler, t.scaler, progress, prompt=PROMPT
    )


def loaded_step(folder: Path) -> int:
    """The step of the checkpoint in `folder`, after checking its weights and state agree."""
    model, _ = load_model(folder)
    parts = optimisation(model)
    progress = load_trainer_state(folder, parts.optimizer, parts.scheduler, parts.scaler)
    assert torch.all(next(model.parameters()) == progress.step)
    return progress.step


class Killed(BaseException):
    """The process dying: no `except Exception` in the code under test may catch it."""


def _half_written_model(folder, *args, **kwargs):
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "model.safetensors").write_bytes(b"half")


def _half_written_file(obj, path, *args, **kwargs):
    Path(path).write_bytes(b"half")


def _half_removed_folder(path, *args, **kwargs):
    # The worst order for a removal: every file goes but the completion marker.
    for item in list(Path(path).rglob("*")):
        if item.is_file() and item.name != COMPLETE_MARKER:
            item.unlink()


# Steps that a kill can cut halfway, and what they leave behind then.
HALFWAY = {
    "save_model": _half_written_model,
    "torch.save": _half_written_file,
    "rmtree": _half_removed_folder,
}


class Crash:
    """Records the filesystem steps of a save and, with `at`, kills the process at that step:
    before it runs, or with `halfway` in the middle of it."""

    def __init__(self, patch: pytest.MonkeyPatch, at: int | None = None, halfway: bool = False):
        self.steps: list[str] = []
        self.at, self.halfway = at, halfway
        self.busy = False
        patch.setattr(checkpoint, "save_model", self.wrap("save_model", checkpoint.save_model))
        patch.setattr(torch, "save", self.wrap("torch.save", torch.save))
        patch.setattr(shutil, "rmtree", self.wrap("rmtree", shutil.rmtree))
        for method in ("rename", "unlink", "write_text"):
            patch.setattr(Path, method, self.wrap(method, getattr(Path, method)))

    def wrap(self, name: str, real):
        def step(*args, **kwargs):
            if self.busy:  # a step inside a step (save_model writes files) is part of it
                return real(*args, **kwargs)
            self.busy = True
            try:
                self.steps.append(name)
                if len(self.steps) - 1 != self.at:
                    return real(*args, **kwargs)
                if self.halfway:
                    HALFWAY[name](*args, **kwargs)
                raise Killed(name)
            finally:
                self.busy = False

        return step


def crash_points(steps: list[str]) -> list[tuple[int, bool]]:
    return [(at, False) for at in range(len(steps))] + [
        (at, True) for at, name in enumerate(steps) if name in HALFWAY
    ]


def interrupted_save(training, last: Path, step: int, at: int, halfway: bool) -> None:
    with pytest.MonkeyPatch.context() as patch:
        Crash(patch, at, halfway)
        with pytest.raises(Killed):
            save(training, last, step)


def leftovers(last: Path) -> list[str]:
    return sorted(p.name for p in last.parent.iterdir())


def save_steps(training, folder: Path) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        crash = Crash(patch)
        save(training, folder, 0)
    return crash.steps


def test_a_save_killed_at_any_step_leaves_the_old_or_the_new_checkpoint(training, tmp_path):
    save(training, tmp_path / "dry" / "last", 0)
    steps = save_steps(training, tmp_path / "dry" / "last")
    assert {"save_model", "torch.save", "rename", "rmtree"} <= set(steps)  # the harness sees them
    seen = set()
    for at, halfway in crash_points(steps):
        where = f"killed at step {at} ({steps[at]}, halfway={halfway})"
        last = tmp_path / f"{at}-{halfway}" / "last"
        save(training, last, 1)
        interrupted_save(training, last, 2, at, halfway)
        recover_checkpoint(last)
        assert leftovers(last) == ["last"], where
        seen.add(loaded_step(last))
        save(training, last, 3)
        assert loaded_step(last) == 3, where
        assert leftovers(last) == ["last"], where
    assert seen == {1, 2}  # early kills keep the old state, late ones the new


def test_the_save_after_a_killed_one_recovers_by_itself(training, tmp_path):
    save(training, tmp_path / "dry" / "last", 0)
    steps = save_steps(training, tmp_path / "dry" / "last")
    for at, halfway in crash_points(steps):
        last = tmp_path / f"{at}-{halfway}" / "last"
        save(training, last, 1)
        interrupted_save(training, last, 2, at, halfway)
        save(training, last, 3)
        assert leftovers(last) == ["last"]
        assert loaded_step(last) == 3


def test_a_first_save_killed_at_any_step_leaves_nothing_or_the_checkpoint(training, tmp_path):
    steps = save_steps(training, tmp_path / "dry" / "last")
    for at, halfway in crash_points(steps):
        last = tmp_path / f"{at}-{halfway}" / "last"
        last.parent.mkdir()
        interrupted_save(training, last, 1, at, halfway)
        recover_checkpoint(last)
        assert leftovers(last) in ([], ["last"])
        if last.exists():
            assert loaded_step(last) == 1
        save(training, last, 2)
        assert loaded_step(last) == 2


def test_recovery_killed_at_any_step_is_finished_by_the_next(training, tmp_path):
    dry = tmp_path / "dry" / "last"
    save(training, dry, 0)
    steps = save_steps(training, dry)
    between_renames = len(steps) - 1 - steps[::-1].index("rename")  # X.old and a whole X.tmp
    probe = tmp_path / "probe" / "last"
    save(training, probe, 1)
    interrupted_save(training, probe, 2, between_renames, False)
    with pytest.MonkeyPatch.context() as patch:
        crash = Crash(patch)
        recover_checkpoint(probe)
    assert crash.steps and loaded_step(probe) == 2
    for at, halfway in crash_points(crash.steps):
        last = tmp_path / f"{at}-{halfway}" / "last"
        save(training, last, 1)
        interrupted_save(training, last, 2, between_renames, False)
        with pytest.MonkeyPatch.context() as patch:
            Crash(patch, at, halfway)
            with pytest.raises(Killed):
                recover_checkpoint(last)
        recover_checkpoint(last)
        assert leftovers(last) == ["last"]
        assert loaded_step(last) == 2


def test_leftovers_of_the_scheme_without_a_marker_give_the_old_checkpoint(training, tmp_path):
    # The former save was killed between its renames: X.old whole, X.tmp whole but unmarked.
    last = tmp_path / "last"
    save(training, last, 1)
    save(training, tmp_path / "new", 2)
    (tmp_path / "new" / COMPLETE_MARKER).unlink()
    last.rename(tmp_path / "last.old")
    (tmp_path / "new").rename(tmp_path / "last.tmp")
    recover_checkpoint(last)
    assert leftovers(last) == ["last"]
    assert loaded_step(last) == 1


def test_recovery_of_a_folder_never_saved_does_nothing(tmp_path):
    recover_checkpoint(tmp_path / "last")
    assert leftovers(tmp_path / "last") == []


def test_trainer_state_round_trips_through_a_weights_only_load(training, tmp_path):
    save(training, tmp_path / "last", 4)
    model, _ = load_model(tmp_path / "last")
    parts = optimisation(model)
    progress = load_trainer_state(tmp_path / "last", parts.optimizer, parts.scheduler, parts.scaler)
    assert progress == Progress(step=4)
    assert parts.scheduler.state_dict() == training.scheduler.state_dict()
    assert parts.scaler.state_dict() == training.scaler.state_dict()
    before, after = training.optimizer.state_dict(), parts.optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert before["param_groups"][0]["fused"]
    for index, moments in before["state"].items():
        for name, value in moments.items():
            torch.testing.assert_close(after["state"][index][name], value)


CALLED: list[str] = []


def _record(what: str) -> None:
    CALLED.append(what)


class Payload:
    """An object whose unpickling runs a function: what a malicious checkpoint would hold."""

    def __reduce__(self):
        return (_record, ("unpickled",))


def test_a_state_holding_pickled_objects_is_refused_in_one_line(training, tmp_path):
    save(training, tmp_path / "last", 1)
    path = tmp_path / "last" / TRAINER_STATE
    state = torch.load(path, weights_only=True)
    torch.save({**state, "progress": Payload()}, path)
    parts = optimisation(training.model)
    with pytest.raises(SignclipError, match=r"trainer_state\.pt: refused") as info:
        load_trainer_state(tmp_path / "last", parts.optimizer, parts.scheduler, parts.scaler)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert CALLED == []


def test_a_truncated_state_is_named_in_one_line(training, tmp_path):
    save(training, tmp_path / "last", 1)
    path = tmp_path / "last" / TRAINER_STATE
    path.write_bytes(path.read_bytes()[:100])
    parts = optimisation(training.model)
    with pytest.raises(SignclipError, match=r"trainer_state\.pt: ") as info:
        load_trainer_state(tmp_path / "last", parts.optimizer, parts.scheduler, parts.scaler)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
