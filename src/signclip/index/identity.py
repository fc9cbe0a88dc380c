"""The identity of a saved model folder: which model made an index's vectors.

Two folders trained from one config share `signclip.json` but not their weights, so both files'
hashes are kept; the path is informative only (a copied folder is the same model).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from signclip.errors import ModelFolderError
from signclip.models.io import CONFIG_FILE, WEIGHTS_FILE

_BLOCK = 1 << 20


def model_identity(folder: str | Path) -> dict:
    folder = Path(folder).absolute()
    config = folder / CONFIG_FILE
    try:
        normalize = json.loads(config.read_text())["model"].get("normalize", True)
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise ModelFolderError(f"{config}: not a readable model config ({exc})") from None
    return {
        "path": str(folder),
        "config_sha256": _sha256(config),
        "weights_sha256": _sha256(folder / WEIGHTS_FILE),
        # How scores compare: cosine (normalised vectors) or raw dot product.
        "normalize": bool(normalize),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while block := f.read(_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise ModelFolderError(f"{path}: cannot be read ({exc.strerror})") from None
    return digest.hexdigest()
