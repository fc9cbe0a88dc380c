"""Skeleton drawings of `.pose` clips, so that a person can look at real and generated signing.

    render_frames(pose, width=400, fps=None, max_frames=None) -> list[PIL.Image.Image]
    render_grid(pose, frames=8, columns=4, width=240, ...) -> PIL.Image.Image (contact sheet)
    render_to_file(pose, "clip.gif" | "clip.mp4" | "clip.png", ...) -> Rendered

`pose` is a pose-format Pose or the path of a `.pose` file. Points are chosen by name: every
MediaPipe Holistic layout (543, 553, 576, 586 and the reduced 178 points) is drawn as body, face
contours and both hands (the signer's left hand blue, right hand red); other layouts (OpenPose)
as the limbs their header declares. Points with confidence 0 are not drawn, nor their bones.
"""

from signclip.render.frames import render_frames, render_grid
from signclip.render.writers import FORMATS, Rendered, render_to_file

__all__ = ["FORMATS", "Rendered", "render_frames", "render_grid", "render_to_file"]
