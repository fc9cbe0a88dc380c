import argparse
import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from signclip.data.formats import semlex
from signclip.data.formats.report import ImportReport
from signclip.errors import ManifestError
from signclip.pose.io import read_pose

# The published header: pandas' unnamed index column first, then the metadata, then (a few of)
# the ASL-LEX phonological feature columns.
HEADER = [
    "", "video_id", "signer_id", "duration", "split", "label_type", "label", "Handshape",
    "Major Location",
]  # fmt: skip
RECORDINGS = {
    "aB3dE5gH7jK9mN1pQ2rS": "sgg-words/essen.pose",
    "zY8xW6vU4tS2rQ0pO9nM": "sgg-words/kinder.pose",
    "Lm4Nb6Vc8Xz0Aq2Ws4Ed": "sgg-words/pizza.pose",
}


def row(index, video_id, label, split="train", signer="P12", label_type="asllex"):
    return [str(index), video_id, signer, "1.93", split, label_type, label, "flat_b", "neutral"]


def write_metadata(folder: Path, rows, header=HEADER) -> Path:
    path = folder / "semlex_metadata.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(source: Path, out: Path, poses: Path, *options: str):
    parser = argparse.ArgumentParser()
    semlex.add_arguments(parser)
    args = parser.parse_args(["--poses", str(poses), "--workers", "1", *options])
    args.no_progress = True  # the import command's own option
    report = ImportReport(semlex.LAYOUT, str(source))
    out.mkdir(exist_ok=True)
    return semlex.import_dataset(source, out, args, report), report


@pytest.fixture()
def poses(tmp_path, shared_data):
    folder = tmp_path / "poses"
    folder.mkdir()
    for video_id, relative in RECORDINGS.items():
        shutil.copy(shared_data / relative, folder / f"{video_id}.pose")
    return folder


@pytest.fixture()
def metadata(tmp_path):
    ids = list(RECORDINGS)
    return write_metadata(
        tmp_path,
        [
            row(0, ids[0], "oh_i_see_2", "train", "P12"),
            row(1, ids[1], "30_minute ", "val", "P3"),
            row(2, ids[2], "release, rescue", "test", ""),
        ],
    )


def test_records_follow_the_metadata(tmp_path, metadata, poses):
    records, report = run(metadata, tmp_path / "out", poses)
    assert report.problems == []
    assert [(r.clip_id, r.text, r.split, r.signer) for r in records] == [
        ("aB3dE5gH7jK9mN1pQ2rS", "oh i see", "train", "P12"),
        ("zY8xW6vU4tS2rQ0pO9nM", "30 minute", "dev", "P3"),
        ("Lm4Nb6Vc8Xz0Aq2Ws4Ed", "release, rescue", "test", None),
    ]
    assert {(r.spoken_language, r.sign_language) for r in records} == {("en", "ase")}
    # Clean recordings are named where they are, unchanged.
    assert [r.pose_path for r in records] == [(poses / f"{i}.pose").absolute() for i in RECORDINGS]


def test_raw_labels_and_folder_source(tmp_path, metadata, poses):
    records, _ = run(metadata.parent, tmp_path / "out", poses, "--raw-labels")
    assert [r.text for r in records] == ["oh_i_see_2", "30_minute", "release, rescue"]


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("book", "book"),
        ("oh_i_see_2", "oh i see"),
        ("9_oclock", "9 oclock"),
        ("last year", "last year"),
        (" 30_minute ", "30 minute"),
        ("think_chin_12", "think chin"),
    ],
)
def test_label_clean_up(label, text):
    assert semlex.clean_label(label) == text


def test_bad_rows_are_reported_and_left_out(tmp_path, poses):
    ids = list(RECORDINGS)
    metadata = write_metadata(
        tmp_path,
        [
            row(0, ids[0], "book"),
            row(1, ids[0], "book", "test"),  # the metadata repeats videos across splits
            row(2, ids[1], "na"),
            row(3, ids[1], "_3"),
            row(4, ids[2], "cup", "holdout"),
            row(5, "", "cup"),
            row(6, "../escape", "cup"),
            row(7, ids[2], "cup")[:5],
            [*row(8, ids[2], "cup"), "extra"],
            row(9, "missing0000000000000", "cup"),
            row(10, ids[2], "cup"),
        ],
    )
    records, report = run(metadata, tmp_path / "out", poses)
    assert [(r.clip_id, r.text) for r in records] == [(ids[0], "book"), (ids[2], "cup")]
    assert report.counts() == {
        "duplicate-id": 1,
        "malformed-row": 5,
        "missing-pose": 1,
        "unknown-label": 2,
    }
    items = {(p.kind, p.item) for p in report.problems}
    assert ("duplicate-id", ids[0]) in items
    assert ("missing-pose", "missing0000000000000") in items
    assert {p.item for p in report.problems if p.kind == "malformed-row"} == {
        f"semlex_metadata.csv line {n}" for n in (6, 7, 8, 9, 10)
    }
    assert "first on line 2" in next(p.detail for p in report.problems if p.kind == "duplicate-id")


def test_all_missing_and_nan_recordings(tmp_path, poses, shared_data):
    ids = list(RECORDINGS)
    source = read_pose(poses / f"{ids[1]}.pose")
    data = np.ma.getdata(source.body.data).copy()
    data[:, 0, :10] = np.nan  # the first ten points of every frame are NaN
    confidence = np.ma.getdata(source.body.confidence)
    source.body.data = np.ma.masked_array(data)
    with (poses / f"{ids[1]}.pose").open("wb") as f:
        source.write(f)
    source.body.confidence = np.zeros_like(confidence)
    with (poses / f"{ids[2]}.pose").open("wb") as f:
        source.write(f)
    metadata = write_metadata(tmp_path, [row(i, v, "book") for i, v in enumerate(ids)])
    out = tmp_path / "out"
    records, report = run(metadata, out, poses)
    assert [p.kind for p in report.problems] == ["empty-sequence"]
    assert report.problems[0].item == ids[2]
    cleaned = read_pose(records[1].pose_path)
    assert records[1].pose_path == (out / "poses" / f"{ids[1]}.pose").absolute()
    cleaned_data = np.ma.getdata(cleaned.body.data)
    assert np.isfinite(cleaned_data).all()
    assert (np.ma.getdata(cleaned.body.confidence)[:, 0, :10] == 0).all()
    np.testing.assert_array_equal(cleaned_data[:, 0, 10:], data[:, 0, 10:])


def test_unusable_metadata_is_one_error(tmp_path, poses):
    with pytest.raises(ManifestError, match="no such file"):
        run(tmp_path / "semlex_metadata.csv", tmp_path / "out", poses)
    path = write_metadata(tmp_path, [], header=["", "video_id", "signer_id", "split", "gloss"])
    with pytest.raises(ManifestError, match="missing column 'label'") as info:
        run(path, tmp_path / "out", poses)
    assert "(columns: (unnamed), video_id, signer_id, split, gloss)" in str(info.value)
    path.write_bytes(b'"video_id","label","split"\nab\xff\xfe,book,train\n')
    with pytest.raises(ManifestError, match="not UTF-8"):
        run(path, tmp_path / "out", poses)
