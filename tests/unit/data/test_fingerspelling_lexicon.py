import argparse
import hashlib
from collections import Counter
from pathlib import Path

import pytest

from signclip.cli import import_data
from signclip.data.formats.report import ImportReport
from signclip.errors import ConfigError, ManifestError
from signclip.testing import fake_holistic_pose, pose_bytes


def run_import(source, out, *extra):
    parser = argparse.ArgumentParser()
    import_data.add_arguments(parser)
    argv = ["fingerspelling", str(source), "--out", str(out), "--no-progress", "--workers", "1"]
    args = parser.parse_args([*argv, *extra])
    report = ImportReport("fingerspelling", str(source))
    return args.layout_module.import_dataset(Path(source), out, args, report), report


@pytest.fixture(scope="module")
def index_csv(shared_data):
    return shared_data / "fingerspelling" / "index.csv"


def test_imports_every_letter_of_the_real_lexicon(index_csv, tmp_path):
    records, report = run_import(index_csv, tmp_path)
    assert report.problems == []
    assert len(records) == 155
    assert Counter(r.sign_language for r in records) == {
        "ase": 26,
        "gsg": 30,
        "ise": 40,
        "ssp": 30,
        "swl": 29,
    }
    assert {r.split for r in records} == {"train"}
    first = records[0]
    assert (first.text, first.spoken_language, first.sign_language) == ("A", "en", "ase")
    assert first.clip_id == first.pose_path.stem
    assert first.pose_path.parent == index_csv.parent / "ase"


def test_hold_out_one_sign_language(index_csv, tmp_path):
    records, _ = run_import(index_csv.parent, tmp_path, "--test-language", "ise")
    assert {r.sign_language for r in records if r.split == "test"} == {"ise"}
    assert Counter(r.split for r in records) == {"train": 115, "test": 40}


def test_seeded_fraction_hashes_seed_and_clip_id(index_csv, tmp_path):
    first, _ = run_import(index_csv, tmp_path, "--test-fraction", "0.2", "--seed", "3")
    again, _ = run_import(index_csv, tmp_path, "--test-fraction", "0.2", "--seed", "3")
    other, _ = run_import(index_csv, tmp_path, "--test-fraction", "0.2", "--seed", "4")
    assert first == again
    assert first != other

    def expected(clip_id):
        digest = hashlib.sha256(f"3:{clip_id}".encode()).digest()
        return "test" if int.from_bytes(digest[:8], "big") / 2**64 < 0.2 else "train"

    assert [r.split for r in first] == [expected(r.clip_id) for r in first]


def test_bad_rows_and_files_are_reported(tmp_path):
    (tmp_path / "ase").mkdir()
    (tmp_path / "ase" / "a.pose").write_bytes(pose_bytes(fake_holistic_pose(num_frames=3)))
    (tmp_path / "ase" / "c.pose").write_bytes(b"")
    index = tmp_path / "index.csv"
    index.write_text(
        "path,spoken_language,signed_language,words\n"
        "ase/a.pose,en,ase,A\n"
        "ase/b.pose,en,ase,B\n"
        "ase/c.pose,en,ase,C\n"
        "ase/d.pose,en,,D\n"
        "ase/a.pose,en,ase,A\n"
    )
    records, report = run_import(index, tmp_path / "out")
    assert [r.clip_id for r in records] == ["a"]
    assert report.counts() == {
        "duplicate-id": 1,
        "malformed-row": 1,
        "missing-pose": 1,
        "unreadable-file": 1,
    }


def test_unusable_index_and_split_options_are_errors(tmp_path):
    index = tmp_path / "index.csv"
    index.write_text("path,spoken_language,words\nase/a.pose,en,A\n")
    with pytest.raises(ManifestError, match="missing column 'signed_language'"):
        run_import(index, tmp_path / "out")
    with pytest.raises(ManifestError, match="no such file"):
        run_import(tmp_path / "absent.csv", tmp_path / "out")
    with pytest.raises(ConfigError, match="exceed 1"):
        run_import(index, tmp_path / "out", "--test-fraction", "0.7", "--dev-fraction", "0.5")
    with pytest.raises(ConfigError, match="both choose the test split"):
        run_import(index, tmp_path / "out", "--test-fraction", "0.2", "--test-language", "ase")
