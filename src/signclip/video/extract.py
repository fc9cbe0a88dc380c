"""One video → one Pose in the stored convention (see `pose.convention`).

x and y become pixels of the frame, z stays MediaPipe's relative depth (as pose-format's own
Holistic conversion stores it), the header carries the frame size, and fps is the video's.
Confidence is the landmark's visibility for the body (what MediaPipe reports for it) and 1 for
detected face and hand points; every point of an undetected part has confidence 0 and is masked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pose_format import Pose

from signclip.pose.convention import holistic_header, make_pose, to_stored
from signclip.video.decode import probe, read_frames
from signclip.video.errors import VideoError
from signclip.video.holistic import NUM_BODY_POINTS, frame_landmarks, load_mediapipe, new_holistic


def video_to_pose(video: Path, max_frames: int | None = None) -> Pose:
    """Holistic landmarks of every frame (of the first `max_frames` when given).

    `max_frames` serves quick looks at long videos: Holistic only tracks forward in time, so the
    first N frames come out exactly as they would in the full run.
    """
    mediapipe = load_mediapipe()
    info = probe(video)
    holistic = new_holistic(mediapipe)
    points, visibility = [], []
    try:
        for frame in read_frames(video, max_frames):
            if frame.shape[:2] != (info.height, info.width):
                raise VideoError(
                    f"{video}: frame {len(points)} is {frame.shape[1]}x{frame.shape[0]}, "
                    f"the video {info.width}x{info.height}"
                )
            xyz, seen = frame_landmarks(holistic.process(frame))
            points.append(xyz)
            visibility.append(seen)
    finally:
        holistic.close()
    if not points:
        raise VideoError(f"{video}: zero frames (no frame could be decoded)", "empty-sequence")
    xyz, confidence = to_stored(np.stack(points), info.width, info.height)
    body = confidence[:, :NUM_BODY_POINTS] > 0
    confidence[:, :NUM_BODY_POINTS] = np.where(body, np.stack(visibility), 0)
    # A detected body point that MediaPipe calls invisible (visibility 0) reads as missing: mask it.
    xyz[confidence == 0] = 0
    return make_pose(xyz, confidence, info.fps, holistic_header(info.width, info.height))
