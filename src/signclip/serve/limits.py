"""What one request may ask of the server; every limit is a command-line option of `serve`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from signclip.errors import ConfigError

MiB = 2**20
MAX_BATCH_WAIT_MS = 1000.0


@dataclass(frozen=True)
class ServeLimits:
    max_body_bytes: int = 16 * MiB  # whole request body, checked before it is kept in memory
    max_batch: int = 64  # texts or poses in one embedding request
    max_text_chars: int = 1000  # characters of one text
    max_frames: int = 3000  # frames of one pose (two minutes at 25 fps)
    max_k: int = 100  # results of one search
    queue_size: int = 256  # requests waiting for the model before the server answers 503
    batch_wait_ms: float = 2.0  # how long the model thread waits for more requests to merge
    max_merged_items: int = 256  # items the model thread merges into one call

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not math.isfinite(value):
                raise ConfigError(f"serve limit {f.name}={value}: must be a finite number")
            if not value > 0 and not (f.name == "batch_wait_ms" and value == 0):
                raise ConfigError(f"serve limit {f.name}={value}: must be positive")
        # The model thread waits this long for requests still being read; longer would only
        # stall every request behind one slow client.
        if self.batch_wait_ms > MAX_BATCH_WAIT_MS:
            raise ConfigError(
                f"serve limit batch_wait_ms={self.batch_wait_ms}: at most {MAX_BATCH_WAIT_MS}"
            )
