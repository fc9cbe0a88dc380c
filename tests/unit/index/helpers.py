from pathlib import Path

import numpy as np

from signclip.data.manifest import ClipRecord


def unit_rows(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    rows = rng.standard_normal((count, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def clustered_rows(rng: np.random.Generator, count: int, dim: int, clusters: int) -> np.ndarray:
    """Unit vectors around `clusters` centres: the shape of real embeddings (signs of one gloss
    lie close together)."""
    centres = unit_rows(rng, clusters, dim)
    rows = centres[rng.integers(0, clusters, count)]
    rows = rows + 0.6 * unit_rows(rng, count, dim)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def records(count: int, languages=("ase", "gsg")) -> list[ClipRecord]:
    return [
        ClipRecord(
            clip_id=f"clip-{i}",
            pose_path=Path(f"/data/clip-{i}.pose"),
            text=f"word {i % 7}",
            spoken_language="de" if languages[i % len(languages)] == "gsg" else "en",
            sign_language=languages[i % len(languages)],
            split="train",
            signer=None if i % 3 else f"s{i % 2}",
        )
        for i in range(count)
    ]
