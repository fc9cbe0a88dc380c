"""Derive the generator's mean face, head placement and hips from real MediaPipe recordings.

    python scripts/derive_face_template.py [--data ../shared/data]
        [--out src/signclip/synth/data/mean_signer.npz]

Only normalised means are stored, never a recording. Inputs: every `.pose` file under `--data`
with a FACE_LANDMARKS component of at least 468 points in raw MediaPipe units (x, y in pixels, z
MediaPipe's small relative depth). Processed files (e.g. the fingerspelling lexicon, whose z was
shifted by ~250) are recognised by their large z and left out.

Steps:
1. Each frame with a complete face: z is scaled by the video width (MediaPipe's z is in units of
   the image width), so the face is in isotropic pixels.
2. Generalised Procrustes: every face is centred and scaled to unit size, rotated (proper
   rotations only) onto the running mean, the mean recomputed; a few rounds.
3. The mean is put in a canonical frame: origin at its centroid, +x from the right eye's outer
   corner (33) to the left one's (263), +y down towards the chin (152) (image axes), +z = x × y
   (away from the camera, as MediaPipe's z); unit = face width (234 to 454).
4. Head placement, from upright frames (shoulders level) with the body's head points visible:
   a 2D similarity maps the template onto each frame's face; the body's NOSE, eyes, ears and
   mouth corners are taken into the face frame, and the face's centre and width into shoulder
   units (origin the shoulder midpoint, unit the shoulder width). Medians over frames; the head
   points are then made left/right symmetric.
5. The hips, from upright frames with both shoulders and hips visible: their distance and their
   midpoint's drop below the shoulders' midpoint, in shoulder widths. Medians over frames.

Stored arrays (float32): `face` [468, 3]; `head_points` [11, 2] (BODY_POINTS[0:11] in face
units, x, y); `face_centre` [2], `face_width`, `hip_width` and `torso` in shoulder units.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from signclip.errors import PoseFileError
from signclip.pose.components import BODY, BODY_POINTS, FACE
from signclip.pose.io import read_pose

REPO = Path(__file__).resolve().parents[1]
FACE_POINTS = 468
RIGHT_EYE_OUTER, LEFT_EYE_OUTER, FOREHEAD, CHIN = 33, 263, 10, 152
RIGHT_CHEEK, LEFT_CHEEK = 234, 454
HEAD_POINTS = BODY_POINTS[:11]  # NOSE ... MOUTH_RIGHT
MIN_VISIBILITY = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--out", type=Path, default=REPO / "src/signclip/synth/data/mean_signer.npz"
    )
    args = parser.parse_args()
    recordings = [r for r in map(load, sorted(args.data.rglob("*.pose"))) if r is not None]
    faces = np.concatenate([faces for _, faces, _ in recordings])
    print(f"{len(recordings)} recordings, {len(faces)} complete faces")
    template = canonical(procrustes_mean(faces))
    placement = head_placement(template, recordings) | hips(recordings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, face=template.astype(np.float32), **placement)
    for key, value in placement.items():
        print(key, np.round(value, 3).tolist())
    print(f"wrote {args.out}")


def load(path: Path) -> tuple[str, np.ndarray, dict[str, np.ndarray]] | None:
    """(name, faces [N, 468, 3] in pixels, body points) of a raw holistic file, else None."""
    try:
        pose = read_pose(path)
    except PoseFileError:
        return None
    names = {c.name: c.points for c in pose.header.components}
    if len(names.get(FACE, ())) < FACE_POINTS or BODY not in names:
        return None
    data = np.asarray(np.ma.getdata(pose.body.data), dtype=np.float64)[:, 0, :, :3]
    confidence = np.asarray(np.ma.getdata(pose.body.confidence))[:, 0]
    face_index = [pose.header.get_point_index(FACE, str(i)) for i in range(FACE_POINTS)]
    complete = (confidence[:, face_index] > 0).all(axis=1)
    faces = data[complete][:, face_index]
    if not len(faces) or np.abs(faces[..., 2]).max() > 1:
        return None  # no face, or not MediaPipe's raw z: a processed file
    faces[..., 2] *= pose.header.dimensions.width
    body_index = [pose.header.get_point_index(BODY, p) for p in BODY_POINTS]
    body = {"xy": data[complete][:, body_index, :2], "vis": confidence[complete][:, body_index]}
    return path.name, faces, body


def normalised(faces: np.ndarray) -> np.ndarray:
    centred = faces - faces.mean(axis=1, keepdims=True)
    return centred / np.linalg.norm(centred, axis=(1, 2), keepdims=True)


def align(faces: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rotate each normalised face onto the reference (Kabsch, no reflections)."""
    u, _, vt = np.linalg.svd(np.einsum("nki,kj->nij", faces, reference))
    flip = np.sign(np.linalg.det(u @ vt))
    u[:, :, -1] *= flip[:, None]
    return faces @ (u @ vt)


def procrustes_mean(faces: np.ndarray, rounds: int = 5) -> np.ndarray:
    faces = normalised(faces)
    mean = faces[0]
    for _ in range(rounds):
        mean = align(faces, mean).mean(axis=0)
        mean /= np.linalg.norm(mean)
    return mean


def canonical(face: np.ndarray) -> np.ndarray:
    x = face[LEFT_EYE_OUTER] - face[RIGHT_EYE_OUTER]
    x /= np.linalg.norm(x)
    down = face[CHIN] - face[FOREHEAD]
    y = down - x * (down @ x)
    y /= np.linalg.norm(y)
    axes = np.stack([x, y, np.cross(x, y)])
    local = (face - face.mean(axis=0)) @ axes.T
    return local / np.linalg.norm(local[LEFT_CHEEK] - local[RIGHT_CHEEK])


def similarity_2d(source: np.ndarray, target: np.ndarray) -> tuple[complex, complex]:
    """(a, b) with target ≈ a * source + b, points as complex numbers (rotation and scale)."""
    s, t = source[:, 0] + 1j * source[:, 1], target[:, 0] + 1j * target[:, 1]
    s0, t0 = s - s.mean(), t - t.mean()
    a = (np.conj(s0) @ t0) / (np.conj(s0) @ s0)
    return a, t.mean() - a * s.mean()


def symmetric(points: np.ndarray) -> np.ndarray:
    """Average each LEFT_/RIGHT_ head point with its partner's mirror image, and centre the nose.

    Faces are symmetric on average; what the few recorded signers' habitual head turn adds is not.
    """
    out = points.copy()
    for i, name in enumerate(HEAD_POINTS):
        if name == "NOSE":
            out[i, 0] = 0.0
            continue
        partner = HEAD_POINTS.index(
            name.replace("LEFT", "@").replace("RIGHT", "LEFT").replace("@", "RIGHT")
        )
        out[i] = (points[i] + points[partner] * [-1, 1]) / 2
    return out


def upright(shoulders: np.ndarray) -> bool:
    """Shoulders level, the signer's left at larger x: a frontal, unrotated video."""
    return bool(shoulders[0] > 0 and abs(shoulders[1]) < 0.3 * shoulders[0])


def hips(recordings) -> dict[str, np.ndarray]:
    names = ("LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_HIP", "RIGHT_HIP")
    index = [BODY_POINTS.index(n) for n in names]
    widths, drops = [], []
    for _, _, body in recordings:
        xy, vis = body["xy"][:, index], body["vis"][:, index]
        for (ls, rs, lh, rh), seen in zip(xy, vis, strict=True):
            if seen.min() < MIN_VISIBILITY or not upright(ls - rs):
                continue
            width = np.linalg.norm(ls - rs)
            widths.append(np.linalg.norm(lh - rh) / width)
            drops.append(((lh + rh) / 2 - (ls + rs) / 2)[1] / width)
    print(f"{len(widths)} upright frames with visible hips")
    return {"hip_width": np.float32(np.median(widths)), "torso": np.float32(np.median(drops))}


def head_placement(template: np.ndarray, recordings) -> dict[str, np.ndarray]:
    head, centres, widths = [], [], []
    left, right = BODY_POINTS.index("LEFT_SHOULDER"), BODY_POINTS.index("RIGHT_SHOULDER")
    for _, faces, body in recordings:
        for face, xy, vis in zip(faces, body["xy"], body["vis"], strict=True):
            shoulders = xy[left] - xy[right]
            if not upright(shoulders) or vis[: len(HEAD_POINTS)].min() < MIN_VISIBILITY:
                continue
            a, b = similarity_2d(template[:, :2], face[:, :2])
            points = xy[: len(HEAD_POINTS)]
            local = ((points[:, 0] + 1j * points[:, 1]) - b) / a
            head.append(np.stack([local.real, local.imag], axis=1))
            width = np.linalg.norm(shoulders)
            mid = (xy[left] + xy[right]) / 2
            centres.append((np.array([b.real, b.imag]) - mid) / width)
            widths.append(abs(a) / width)
    print(f"{len(head)} upright frames for the head placement")
    return {
        "head_points": symmetric(np.median(head, axis=0)).astype(np.float32),
        "face_centre": np.median(centres, axis=0).astype(np.float32),
        "face_width": np.float32(np.median(widths)),
    }


if __name__ == "__main__":
    main()
