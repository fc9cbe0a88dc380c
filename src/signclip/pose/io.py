"""Reading `.pose` files, with every failure turned into one `PoseFileError` line.

pose-format alone accepts some broken files silently: a v0.1 body derives its frame count from
the bytes left, so a cut file yields fewer frames whose confidences are misread coordinates. The
body size is therefore checked against the header before pose-format parses the body.

Coordinate values are not judged here: `features.extract_features` turns corrupt ones (NaN,
infinite, beyond ±1e6) into missing points, because Poses built in memory reach it too.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader
from pose_format.utils.reader import BufferReader

from signclip.errors import PoseFileError

_FLOAT = struct.Struct("<f")
# Bytes between the header and the frame data: (fps, frames, people).
_V01_PREFIX = struct.Struct("<HHH")
_V02_PREFIX = struct.Struct("<fIH")

# Parsed headers by their exact bytes. Parsing a holistic header costs ~5 ms, several times the
# body; pose-format remembers only the last one, which misses whenever layouts or video sizes
# alternate in a dataset. Headers are shared between the Poses read, so nobody may mutate them.
_MAX_HEADERS = 64
_HEADERS: dict[bytes, PoseHeader] = {}
_HEADER_LENGTHS: set[int] = set()


def read_pose(source: str | Path | bytes, name: str | None = None) -> Pose:
    """Parse a `.pose` file (header versions 0.0, 0.1, 0.2) from a path or its bytes.

    `name` is the file named in error messages (default: the path, or "<bytes>").
    """
    name = name or (str(source) if not isinstance(source, bytes | bytearray) else "<bytes>")
    buffer = _load(source, name)
    if not buffer:
        raise PoseFileError(f"{name}: empty file (0 bytes)")
    reader = BufferReader(buffer)
    header = _read_header(buffer, reader, name)
    _check_body_size(header, buffer, reader.read_offset, name)
    try:
        body = NumPyPoseBody.read(header, reader)
    except Exception as exc:
        raise PoseFileError(f"{name}: truncated or corrupt body ({_why(exc)})") from exc
    frames, people = body.data.shape[:2]
    if frames == 0:
        raise PoseFileError(f"{name}: zero frames")
    if people == 0:
        raise PoseFileError(f"{name}: no person in any frame")
    return Pose(header, body)


def _load(source: str | Path | bytes, name: str) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PoseFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise PoseFileError(f"{name}: is a directory, not a .pose file") from None
    except OSError as exc:
        raise PoseFileError(f"{name}: cannot be read ({_why(exc)})") from exc


def _read_header(buffer: bytes, reader: BufferReader, name: str) -> PoseHeader:
    if len(buffer) < _FLOAT.size:
        raise PoseFileError(f"{name}: truncated ({len(buffer)} bytes, not even a header)")
    (version,) = _FLOAT.unpack_from(buffer)
    if not _known_version(version):
        raise PoseFileError(f"{name}: {_describe_bad_version(version, buffer)}")
    header = _cached_header(buffer, reader)
    if header is None:
        try:
            header = PoseHeader.read(reader)
        except Exception as exc:
            raise PoseFileError(f"{name}: truncated or corrupt header ({_why(exc)})") from exc
        _remember_header(buffer[: reader.read_offset], header)
    if header.total_points() == 0:
        raise PoseFileError(f"{name}: the header lists no points")
    return header


def _cached_header(buffer: bytes, reader: BufferReader) -> PoseHeader | None:
    for length in tuple(_HEADER_LENGTHS):  # a snapshot: another thread may add meanwhile
        header = _HEADERS.get(buffer[:length])
        if header is not None:
            reader.read_offset = length
            return header
    return None


def _remember_header(raw: bytes, header: PoseHeader) -> None:
    if len(_HEADERS) >= _MAX_HEADERS:
        _HEADERS.clear()
        _HEADER_LENGTHS.clear()
    _HEADERS[raw] = header
    _HEADER_LENGTHS.add(len(raw))


def _known_version(version: float) -> bool:
    # pose-format's own dispatch: exactly 0 for v0.0, rounded for the float32-stored 0.1 and 0.2.
    return version == 0 or round(version, 3) in (0.1, 0.2)


def _describe_bad_version(version: float, buffer: bytes) -> str:
    looks_like_version = math.isfinite(version) and 0.05 < version < 10
    if looks_like_version and abs(version - round(version, 1)) < 1e-6:
        return f"unsupported .pose version {version:.1f} (known: 0.0, 0.1, 0.2)"
    start = buffer[:8].hex(" ")
    return f"not a .pose file (it starts with bytes {start})"


def _check_body_size(header: PoseHeader, buffer: bytes, offset: int, name: str) -> None:
    version = round(header.version, 3)
    if version == 0:
        return  # v0.0 stores frames one by one; pose-format's parse fails on a cut file
    prefix = _V01_PREFIX if version == 0.1 else _V02_PREFIX
    if len(buffer) - offset < prefix.size:
        raise PoseFileError(f"{name}: truncated (the file ends after the header)")
    _, frames, people = prefix.unpack_from(buffer, offset)
    if people == 0:
        raise PoseFileError(f"{name}: no person in any frame")
    frame_bytes = people * header.total_points() * (header.num_dims() + 1) * 4
    body = len(buffer) - offset - prefix.size
    # v0.1 stores the frame count in 16 bits, so only its remainder can be compared.
    stored = body // frame_bytes
    declared_ok = stored % 65536 == frames if version == 0.1 else stored == frames
    if body % frame_bytes == 0 and declared_ok:
        return
    declared = f"{frames} frames of {frame_bytes} bytes were declared"
    if body < frames * frame_bytes:
        raise PoseFileError(f"{name}: truncated (body holds {body} bytes; {declared})")
    raise PoseFileError(f"{name}: corrupt (body holds {body} bytes; {declared})")


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no detail"
    return f"{type(exc).__name__}: {text}"[:200]
