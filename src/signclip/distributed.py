"""Several processes, one model: the launcher's environment as one value, and the few collectives
training needs.

torchrun (or any launcher that sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT)
starts one process per GPU. Without those variables, or with a world of one, the run is a single
process and nothing here touches torch.distributed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from signclip.errors import SignclipError
from signclip.inference import resolve_device

# Rank 0 alone builds the feature cache and validates while the others wait at a barrier; on a
# large dataset either can outlast the default collective timeout (10 minutes with nccl).
WAIT_TIMEOUT = timedelta(hours=6)


@dataclass(frozen=True)
class DistState:
    """Where this process stands: its rank among `world_size` processes and its device."""

    rank: int
    world_size: int
    local_rank: int  # rank on this machine: picks the GPU
    device: torch.device

    @classmethod
    def single(cls, device: torch.device) -> DistState:
        return cls(rank=0, world_size=1, local_rank=0, device=device)

    @property
    def is_main(self) -> bool:
        """The process that writes files and validates."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device_setting: str = "auto") -> DistState:
    """Join the process group the launcher described (nccl on CUDA, gloo on CPU), if any."""
    world_size = _env_int("WORLD_SIZE", default=1)
    device = resolve_device(device_setting)
    if world_size == 1:
        return DistState.single(device)
    rank = _env_int("RANK")
    local_rank = _env_int("LOCAL_RANK", default=rank)
    if device.type == "cuda":
        # One GPU per process, chosen by the local rank whatever index the setting named.
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise SignclipError(f"train.device {device_setting!r}: several processes need CUDA or CPU")
    dist.init_process_group(
        "nccl" if device.type == "cuda" else "gloo",
        rank=rank,
        world_size=world_size,
        timeout=WAIT_TIMEOUT,
        # Bound up front so barriers and collectives never have to guess the process's GPU.
        device_id=device if device.type == "cuda" else None,
    )
    return DistState(rank, world_size, local_rank, device)


def _env_int(name: str, default: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise SignclipError(
                f"environment variable {name} is not set (start several processes with torchrun)"
            )
        return default
    try:
        return int(value)
    except ValueError:
        raise SignclipError(f"environment variable {name}={value!r}: expected an integer") from None


def cleanup(state: DistState) -> None:
    """Leave the process group that `init_distributed` joined."""
    if state.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(state: DistState) -> None:
    if state.distributed:
        dist.barrier()


@contextlib.contextmanager
def main_first(state: DistState) -> Iterator[None]:
    """Run the block on rank 0, then on the others: what rank 0 writes there, they only read."""
    if not state.is_main:
        barrier(state)
    yield
    if state.is_main:
        barrier(state)


class _ScaleGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor: torch.Tensor, factor: float) -> torch.Tensor:
        ctx.factor = factor
        return tensor.view_as(tensor)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad * ctx.factor, None


def scale_gradient(tensor: torch.Tensor, factor: float) -> torch.Tensor:
    """`tensor` as it is, but the gradient flowing back through it is multiplied by `factor`."""
    return tensor if factor == 1 else _ScaleGradient.apply(tensor, factor)
