"""Read an original SignCLIP (fairseq) checkpoint without running code stored in it.

A fairseq checkpoint is a pickled dict: `"model"` (the state dict) and `"args"` (an argparse
Namespace, older fairseq) or `"cfg"` (an omegaconf DictConfig, fairseq >= 0.10), plus optimiser
history. The file is first read with `torch.load(weights_only=True)`, which only rebuilds tensors
and plain containers. When the settings object needs other classes (omegaconf, numpy), the file is
read again with an unpickler that replaces every class and function outside a short list of
tensor builders by an inert stand-in that only records its arguments: nothing named in the file
is imported or called, and the reader says which names it stood in for.
"""

from __future__ import annotations

import argparse
import collections
import io
import pickle
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from signclip.errors import SignclipError
from signclip.models.text_encoder import first_line


class OriginalCheckpointError(SignclipError):
    """An original checkpoint that cannot be read or does not fit the paper-mode model."""


# Settings looked up anywhere inside "args"/"cfg" (fairseq nests them under model/dataset/task).
SETTING_NAMES = ("max_video_len", "num_hidden_video_layers", "vfeat_dim", "bert_name")


@dataclass
class OriginalCheckpoint:
    state: dict[str, torch.Tensor]  # float32, on the CPU
    settings: dict[str, Any]  # those of SETTING_NAMES that the file states
    stand_ins: list[str] = field(default_factory=list)  # names replaced by inert objects


def read_original(path: str | Path) -> OriginalCheckpoint:
    """The state dict and stated settings of `path`; one-line `OriginalCheckpointError`s."""
    path = Path(path)
    if not path.is_file():
        raise OriginalCheckpointError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise OriginalCheckpointError(f"{path}: empty file")
    payload, stand_ins = _load(path)
    state = _state_dict(payload, path)
    settings = find_settings(payload) if isinstance(payload, dict) else {}
    return OriginalCheckpoint(state, settings, stand_ins)


def _load(path: Path) -> tuple[Any, list[str]]:
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True), []
    except pickle.UnpicklingError:
        pass  # classes beyond tensors (the settings object): read again with stand-ins
    except Exception as exc:
        raise _not_a_checkpoint(path, exc) from exc
    unpickler = _InertUnpicklerModule()
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False, pickle_module=unpickler)
    except Exception as exc:
        raise _not_a_checkpoint(path, exc) from exc
    return payload, sorted(unpickler.stand_ins)


def _not_a_checkpoint(path: Path, exc: Exception) -> OriginalCheckpointError:
    what = "cannot read it" if isinstance(exc, OSError) else "not a PyTorch checkpoint"
    return OriginalCheckpointError(f"{path}: {what} ({type(exc).__name__}: {first_line(exc)})")


def _state_dict(payload: Any, path: Path) -> dict[str, torch.Tensor]:
    if not isinstance(payload, dict):
        raise OriginalCheckpointError(
            f"{path}: not a fairseq checkpoint (holds a {type(payload).__name__}, not a dict)"
        )
    if isinstance(payload.get("model"), dict):
        model = payload["model"]
    elif payload and all(str(k).startswith("mmmodel.") for k in payload):
        model = payload  # a bare state dict, as some exports store it
    else:
        found = ", ".join(sorted(map(str, payload))[:5]) or "nothing"
        raise OriginalCheckpointError(
            f"{path}: not a fairseq checkpoint (no 'model' state dict; top-level keys: {found})"
        )
    state = {}
    for key, value in model.items():
        if not isinstance(value, torch.Tensor):
            raise OriginalCheckpointError(
                f"{path}: model entry {key!r} is a {type(value).__name__}, not a tensor"
            )
        # fp16 training stores half-precision weights; the project keeps float32 masters.
        tensor = value.float() if value.is_floating_point() else value
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise OriginalCheckpointError(f"{path}: tensor {key} holds NaN or infinite values")
        state[str(key)] = tensor
    return state


def find_settings(payload: dict) -> dict[str, Any]:
    """The first plain value stated for each of SETTING_NAMES in "args" or "cfg"."""
    found: dict[str, Any] = {}
    for root in ("args", "cfg"):
        if root in payload:
            _collect(payload[root], found, seen=set(), depth=0)
    return found


def _collect(node: Any, found: dict[str, Any], seen: set[int], depth: int) -> None:
    # Settings trees are shallow; the bound and `seen` guard against parent links and cycles.
    if depth > 12 or id(node) in seen:
        return
    seen.add(id(node))
    for key, value in _children(node):
        plain = _plain(value)
        if key in SETTING_NAMES and key not in found and plain is not None:
            found[key] = plain
        _collect(value, found, seen, depth + 1)


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, argparse.Namespace):
        return list(vars(node).items())
    if isinstance(node, list | tuple):
        return [(None, v) for v in node]
    if isinstance(node, InertObject):
        return [(None, node.state), *((None, a) for a in node.args)]
    return []


def _plain(value: Any) -> Any:
    """A str/int/float/bool, looking through omegaconf's value nodes (state `_val`)."""
    if isinstance(value, InertObject) and isinstance(value.state, dict) and "_val" in value.state:
        value = value.state["_val"]
    return value if isinstance(value, str | int | float | bool) else None


class InertObject:
    """Stands for an instance of a class named in the file: it keeps its arguments and state."""

    origin = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> InertObject:
        obj = super().__new__(cls)
        obj.args = args
        obj.state = None
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:
        pass  # dict-like classes receive their items this way; settings never need them

    def append(self, value: Any) -> None:
        pass  # likewise for list-like classes

    def extend(self, values: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f"<inert {self.origin}>"


# The only globals a state dict needs: tensor and parameter builders and ordered dicts.
_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("collections", "OrderedDict"),
    ("torch", "Size"),
    ("argparse", "Namespace"),
}
_DTYPES = {name for name in dir(torch) if isinstance(getattr(torch, name, None), torch.dtype)}


class _InertUnpicklerModule(types.SimpleNamespace):
    """A stand-in for the `pickle` module that `torch.load` accepts as `pickle_module`."""

    def __init__(self) -> None:
        super().__init__()
        stand_ins: set[str] = set()
        self.stand_ins = stand_ins
        self.__name__ = "signclip_inert_pickle"

        class Unpickler(pickle.Unpickler):
            def find_class(self, module: str, name: str) -> Any:
                if (module, name) in _ALLOWED or (module == "torch" and name in _DTYPES):
                    return _resolve(module, name)
                stand_ins.add(f"{module}.{name}")
                return type(name, (InertObject,), {"origin": f"{module}.{name}"})

        self.Unpickler = Unpickler
        self.UnpicklingError = pickle.UnpicklingError

    def load(self, file: io.BufferedIOBase, **kwargs: Any) -> Any:
        return self.Unpickler(file, **kwargs).load()


def _resolve(module: str, name: str) -> Any:
    if module == "collections":
        return collections.OrderedDict
    if module == "argparse":
        return argparse.Namespace
    if module == "torch._utils":
        return getattr(torch._utils, name)
    return getattr(torch, name)
