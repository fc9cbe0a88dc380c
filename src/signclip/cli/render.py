"""signclip render: a `.pose` clip as a skeleton animation (GIF, MP4) or a PNG contact sheet."""

from __future__ import annotations

import argparse

HELP = "draw a .pose clip as a skeleton animation (.gif, .mp4) or a contact sheet (.png)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pose", metavar="CLIP.pose", help="the .pose file to draw")
    parser.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help=".gif (loops), .mp4 (needs imageio-ffmpeg) or .png (a sheet of evenly spaced frames)",
    )
    parser.add_argument(
        "--fps", type=float, help="playback rate (default: the clip's own; a GIF plays at most 50)"
    )
    parser.add_argument(
        "--width",
        type=int,
        help="picture width in pixels (default 400; for .png each frame's, default 240)",
    )
    parser.add_argument("--max-frames", type=int, metavar="N", help="draw only the first N frames")
    parser.add_argument(
        "--frames", type=int, default=8, metavar="N", help="frames on a .png sheet (default 8)"
    )


def run(args: argparse.Namespace) -> int:
    # Imported here so that `signclip --help` does not load Pillow.
    from pathlib import Path

    from signclip.render import render_to_file

    sheet = Path(args.out).suffix.lower() == ".png"
    width = args.width or (240 if sheet else 400)
    done = render_to_file(
        args.pose, args.out, width=width, fps=args.fps, max_frames=args.max_frames,
        sheet_frames=args.frames,
    )  # fmt: skip
    if done.fps is None:
        what = f"a sheet of {done.frames} frames"
    else:
        what = f"{done.frames} frames at {done.fps:g} fps"
    print(f"rendered {what} ({done.width}×{done.height}) → {done.path}")
    return 0
