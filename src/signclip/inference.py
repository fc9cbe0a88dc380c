"""The one facade that the CLI, the HTTP API and notebooks use to embed poses and texts.

    encoder = SignCLIPEncoder.from_pretrained("runs/demo/model")
    poses = encoder.embed_poses(["a.pose", "b.pose"])            # [N, E]
    glosses = encoder.embed_glosses(["house", "tree"], "en", "ase")  # [M, E], the model's prompt
    texts = encoder.embed_texts(["<en> <ase> house"])            # [M, E], texts used as written
    scores = encoder.similarity(poses, glosses)                  # [N, M]

The model folder's contract (models/contract.py) says how a gloss becomes a prompt and how long
clips are windowed; `from_pretrained` reads it, and its keyword arguments override it. Clips of any
length are accepted: a clip longer than the window is embedded as the mean of overlapping windows
(see docs/architecture.md, "Long clips"). Padding never changes an embedding, so results do not
depend on what else is in the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from pose_format import Pose

from signclip.batch import PoseBatch
from signclip.errors import ConfigError, SignclipError
from signclip.models.contract import ModelContract
from signclip.models.io import load_contract, load_model
from signclip.pose.features import extract_features, feature_layout
from signclip.pose.io import read_pose

PoseInput = str | Path | Pose | np.ndarray


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device {name!r}: use auto, cpu, cuda or cuda:N") from None


# Beyond this, a feature array given directly is damaged, not a pose: normalised features are of
# the order of a shoulder width (1), and a million shoulder widths would overflow attention.
ABSURD_FEATURE = 1e6


def window_starts(num_frames: int, window: int, stride: int | None = None) -> list[int]:
    """Start frames of the windows covering a clip, `stride` apart (default: half a window), the
    last one flush with the clip's end; a clip that fits one window is a single window."""
    if num_frames <= window:
        return [0]
    stride = stride or max(1, window // 2)
    starts = list(range(0, num_frames - window, stride))
    return [*starts, num_frames - window]


class SignCLIPEncoder:
    """A loaded model with its preprocessing and its contract (prompt, windows), ready to embed."""

    def __init__(
        self,
        model,
        tokenizer,
        contract: ModelContract,
        device: str | torch.device = "auto",
        batch_size: int = 64,
    ):
        if contract.window_frames > model.model_config.max_frames:
            raise ConfigError(
                f"window of {contract.window_frames} frames: the model attends to at most "
                f"{model.model_config.max_frames}"
            )
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.contract = contract
        self.batch_size = batch_size
        self.pose_config = model.pose_config
        self.num_features = feature_layout(self.pose_config).num_features

    @classmethod
    def from_pretrained(
        cls,
        folder: str | Path,
        device: str = "auto",
        batch_size: int = 64,
        prompt: str | None = None,
        window_stride: int | None = None,
    ) -> SignCLIPEncoder:
        """The model saved in `folder`; `prompt` and `window_stride` replace the folder's own."""
        model, tokenizer = load_model(Path(folder))
        contract = load_contract(folder)
        if prompt is not None:
            contract = replace(contract, prompt=prompt)
        if window_stride is not None:
            contract = replace(contract, window_stride=window_stride)
        return cls(model, tokenizer, contract, device=device, batch_size=batch_size)

    @property
    def max_frames(self) -> int:
        """Frames of one window: the longest stretch of a clip the model sees at once."""
        return self.contract.window_frames

    def prompt(self, text: str, spoken_language: str, sign_language: str) -> str:
        """`text` as the model was trained to read it, e.g. "<en> <ase> house"."""
        return self.contract.make_prompt(text, spoken_language, sign_language)

    def embed_glosses(
        self,
        glosses: Sequence[str],
        spoken_language: str | Sequence[str],
        sign_language: str | Sequence[str],
    ) -> np.ndarray:
        """Embeddings [N, E] of glosses or words in the model's prompt; each language is one code
        for all of them or a sequence with one per gloss."""
        spoken = _per_item(spoken_language, len(glosses), "spoken_language")
        sign = _per_item(sign_language, len(glosses), "sign_language")
        return self.embed_texts(
            [self.prompt(*entry) for entry in zip(glosses, spoken, sign, strict=True)]
        )

    def features(self, pose: PoseInput, name: str | None = None) -> np.ndarray:
        """Features [T, F] of one input: a path, a Pose, or an array already of shape [T, F]."""
        if isinstance(pose, np.ndarray):
            return self._check_array(pose, name or "array")
        if isinstance(pose, Pose):
            return extract_features(pose, self.pose_config, name=name or "<pose>")
        return extract_features(read_pose(pose), self.pose_config, name=str(pose))

    def _check_array(self, array: np.ndarray, name: str) -> np.ndarray:
        if array.ndim != 2 or array.shape[1] != self.num_features:
            raise ValueError(
                f"{name}: expected features of shape [frames, {self.num_features}] "
                f"for preset {self.pose_config.preset!r}, got {list(array.shape)}"
            )
        if array.shape[0] == 0:
            raise ValueError(f"{name}: has no frames")
        # Non-finite and absurd values become missing (0), as damaged points of a file do.
        array = np.asarray(array, np.float32)
        damaged = ~np.isfinite(array) | (np.abs(array) > ABSURD_FEATURE)
        return np.where(damaged, np.float32(0), array) if damaged.any() else array

    @torch.inference_mode()
    def embed_features(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings [N, E] of feature arrays [T, F], each of any length."""
        windows, owner = [], []
        for i, clip in enumerate(clips):
            for start in window_starts(len(clip), self.max_frames, self.contract.window_stride):
                windows.append(clip[start : start + self.max_frames])
                owner.append(i)
        # Similar lengths side by side waste less compute on padding.
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        window_emb: list[torch.Tensor | None] = [None] * len(windows)
        for chunk in range(0, len(order), self.batch_size):
            ids = order[chunk : chunk + self.batch_size]
            emb = self.model.encode_pose(self._pose_batch([windows[w] for w in ids]))
            for w, row in zip(ids, emb.float().cpu(), strict=True):
                window_emb[w] = row
        return _require_finite(self._pool_windows(window_emb, owner, len(clips)), "clip")

    def _pose_batch(self, clips: list[np.ndarray]) -> PoseBatch:
        longest = max(len(c) for c in clips)
        features = np.zeros((len(clips), longest, self.num_features), np.float32)
        mask = np.zeros((len(clips), longest), bool)
        for row, clip in enumerate(clips):
            features[row, : len(clip)] = clip
            mask[row, : len(clip)] = True
        return PoseBatch(torch.from_numpy(features), torch.from_numpy(mask)).to(self.device)

    def _pool_windows(self, window_emb, owner: list[int], num_clips: int) -> np.ndarray:
        stacked = torch.stack(window_emb)  # [windows, E]
        index = torch.tensor(owner)
        sums = torch.zeros(num_clips, stacked.shape[1]).index_add_(0, index, stacked)
        counts = torch.bincount(index, minlength=num_clips).clamp(min=1).unsqueeze(1)
        pooled = sums / counts
        if self.model.model_config.normalize:
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.numpy()

    def embed_poses(self, poses: Sequence[PoseInput]) -> np.ndarray:
        """Embeddings [N, E] of paths, Pose objects or feature arrays."""
        return self.embed_features([self.features(p) for p in poses])

    @torch.inference_mode()
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings [N, E] of texts, used exactly as given (prompts included)."""
        out = []
        for chunk in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(list(texts[chunk : chunk + self.batch_size])).to(self.device)
            out.append(self.model.encode_text(batch).float().cpu())
        if not out:
            return np.zeros((0, self.model.embedding_size), np.float32)
        return _require_finite(torch.cat(out).numpy(), "text")

    def similarity(self, pose_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        """Scores [N, M] as the model compares them: cosine (default) or dot product (paper)."""
        return np.asarray(pose_emb, np.float32) @ np.asarray(text_emb, np.float32).T


def _per_item(value: str | Sequence[str], count: int, name: str) -> list[str]:
    if isinstance(value, str):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(f"{name}: {len(values)} values for {count} glosses")
    return values


def _require_finite(embeddings: np.ndarray, what: str) -> np.ndarray:
    """Nothing non-finite leaves the encoder: a NaN would rank silently in any search."""
    bad = np.flatnonzero(~np.isfinite(embeddings).all(axis=1))
    if len(bad):
        raise SignclipError(
            f"{what} {int(bad[0])} (of {len(embeddings)}): its embedding is not finite; the "
            "model's weights are damaged or the input is beyond what it can represent"
        )
    return embeddings
