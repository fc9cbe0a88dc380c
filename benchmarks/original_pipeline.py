"""The original SignCLIP data path, per sample and in one process, as a speed baseline.

Written plainly the way the original loader worked, one clip at a time: parse the `.pose` file
with pose-format, keep the 33 body points, the 128 face-contour points and both hands by name,
normalise by the shoulders with pose-format's own `normalize`, hide the legs, re-interpolate in
time with pose-format's `interpolate` (scipy `interp1d` per keypoint, the original's temporal
augmentation, here with ratio 1.0) and flatten to float32 [T, 609].

    python benchmarks/original_pipeline.py --help
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.utils.generic import pose_normalization_info

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"

COMPONENTS = ["POSE_LANDMARKS", "FACE_LANDMARKS", "LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS"]
# MediaPipe's FACEMESH_CONTOURS points (lips, eyes, eyebrows, face oval), by point name.
FACE_LANDMARKS = [
    str(i)
    for i in (
        0, 7, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70,
        78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145,
        146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 172, 173, 176,
        178, 181, 185, 191, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288,
        291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334,
        336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386,
        387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466,
    )
]  # fmt: skip
LEGS = [
    f"{side}_{part}"
    for side in ("LEFT", "RIGHT")
    for part in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
]
SPEED_RATIO = 1.0


def original_features(path: Path) -> np.ndarray:
    """One clip through the original-style pipeline: float32 [T, 609]."""
    with open(path, "rb") as f:
        pose = Pose.read(f.read())
    pose = pose.get_components(COMPONENTS, {"FACE_LANDMARKS": FACE_LANDMARKS})
    pose = pose.normalize(pose_normalization_info(pose.header))
    for name in LEGS:
        index = pose.header.get_point_index("POSE_LANDMARKS", name)
        pose.body.data[:, :, index, :] = 0
        pose.body.confidence[:, :, index] = 0
    pose = pose.interpolate(new_fps=pose.body.fps * SPEED_RATIO, kind="linear")
    data = np.nan_to_num(np.ma.filled(pose.body.data, 0))[:, 0, :, :3]
    return data.reshape(len(data), -1).astype(np.float32)


def holistic_files(data: Path) -> list[Path]:
    """The recordings of the full MediaPipe Holistic layouts (543, 576 or 586 points)."""
    files = sorted((data / "fingerspelling").glob("*/*.pose"))
    files += sorted(
        p for p in (data / "dgs-dictionary").glob("*.pose") if p.name != "stitched.pose"
    )
    files += sorted((data / "video" / "autsl").glob("*.pose"))
    files += sorted((data / "pose-format").glob("hand_estimation_*.pose"))
    if not files:
        raise SystemExit(f"no .pose files under {data}")
    return files


def measure(files: list[Path], min_seconds: float) -> tuple[int, float]:
    """Frames and seconds of whole passes over `files`, repeated until `min_seconds` have passed."""
    frames, started = 0, time.perf_counter()
    while True:
        for path in files:
            frames += len(original_features(path))
        seconds = time.perf_counter() - started
        if seconds >= min_seconds:
            return frames, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--seconds", type=float, default=10.0, help="minimum time to measure")
    args = parser.parse_args()
    files = holistic_files(args.data)
    features = original_features(files[0])
    frames, seconds = measure(files, args.seconds)
    print(f"files: {len(files)}, features per frame: {features.shape[1]}")
    print(f"original-style pipeline, 1 process: {frames} frames in {seconds:.1f} s")
    print(f"  {frames / seconds:,.0f} frames/s")


if __name__ == "__main__":
    main()
