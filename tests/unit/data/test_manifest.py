import json
from pathlib import Path

import pytest

from signclip.data.manifest import ClipRecord, read_manifest, write_manifest
from signclip.errors import ManifestError

HEADER = "id,pose,text,spoken_language,sign_language,split"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_records_with_absolute_paths(tmp_path):
    manifest = write(
        tmp_path / "m.csv",
        f"{HEADER},signer\n"
        "a,poses/a.pose,house,en,ase,train,s1\n"
        "b,/data/b.pose, tree ,de,gsg,dev,\n",
    )
    a, b = read_manifest(manifest)
    assert a == ClipRecord("a", tmp_path / "poses" / "a.pose", "house", "en", "ase", "train", "s1")
    assert b.pose_path == Path("/data/b.pose")
    assert b.text == "tree"
    assert b.signer is None


def test_relative_paths_resolve_against_the_manifest_folder_not_the_cwd(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    manifest = write(tmp_path / "sub" / "m.csv", f"{HEADER}\na,../x/a.pose,t,en,ase,train\n")
    monkeypatch.chdir("/")
    (record,) = read_manifest(manifest)
    assert record.pose_path == tmp_path / "x" / "a.pose"
    assert record.pose_path.is_absolute()


def test_gloss_column_is_the_text_when_there_is_no_text_column(tmp_path):
    manifest = write(
        tmp_path / "m.csv",
        "id,pose,gloss,spoken_language,sign_language,split\na,a.pose,HOUSE1A,de,gsg,test\n",
    )
    assert read_manifest(manifest)[0].text == "HOUSE1A"


def test_csv_with_byte_order_mark(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"{HEADER}\na,a.pose,t,en,ase,train\n", encoding="utf-8-sig")
    assert read_manifest(manifest)[0].clip_id == "a"


def test_jsonl_rows_with_numbers_and_blank_lines(tmp_path):
    rows = [
        {"id": 7, "pose": "a.pose", "text": "one", "spoken_language": "en"},
        {"id": "b", "pose": "b.pose", "gloss": "TWO", "spoken_language": "en"},
    ]
    lines = [json.dumps({**r, "sign_language": "ase", "split": "train"}) for r in rows]
    manifest = write(tmp_path / "m.jsonl", lines[0] + "\n\n" + lines[1] + "\n")
    first, second = read_manifest(manifest)
    assert first.clip_id == "7"
    assert (second.text, second.signer) == ("TWO", None)


def test_missing_pose_files_are_not_a_manifest_error(tmp_path):
    manifest = write(tmp_path / "m.csv", f"{HEADER}\na,nowhere.pose,t,en,ase,train\n")
    assert not read_manifest(manifest)[0].pose_path.exists()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.csv", "id,pose,text,spoken_language,split\n", "line 1: missing column 'sign_language'"),
        ("m.csv", "id,pose,spoken_language,sign_language,split\n", "missing column 'text (or"),
        ("m.csv", f"{HEADER}\na,a.pose,,en,ase,train\n", "line 2: empty 'text'"),
        ("m.csv", f"{HEADER}\na,a.pose,t,en,ase\n", "line 2: empty 'split'"),
        (
            "m.csv",
            f"{HEADER}\na,a.pose,t,en,ase,train\nb,b.pose,t,en,ase,train\na,c.pose,t,en,ase,dev\n",
            "line 4: duplicate id 'a' (first on line 2)",
        ),
        ("m.csv", f"{HEADER}\n", "no rows"),
        ("m.jsonl", "", "no rows"),
        ("m.jsonl", '{"id": "a",\n', "line 1: not valid JSON"),
        ("m.jsonl", "[1, 2]\n", "line 1: expected a JSON object"),
        ("m.jsonl", '{"id": "a", "pose": "a.pose", "text": "t"}\n', "line 1: missing field"),
        (
            "m.jsonl",
            '{"id": "a", "pose": "a.pose", "text": ["t"], "spoken_language": "en", '
            '"sign_language": "ase", "split": "train"}\n',
            "'text' must be a string, got list",
        ),
        ("m.tsv", f"{HEADER}\n", "unknown extension '.tsv'"),
    ],
)
def test_errors_name_the_file_the_line_and_the_fault(tmp_path, name, text, message):
    manifest = write(tmp_path / name, text)
    with pytest.raises(ManifestError) as info:
        read_manifest(manifest)
    assert message in str(info.value)
    assert str(manifest) in str(info.value)
    assert "\n" not in str(info.value)


def test_a_missing_manifest_is_a_manifest_error(tmp_path):
    with pytest.raises(ManifestError, match="no such file"):
        read_manifest(tmp_path / "absent.csv")


@pytest.mark.parametrize("name", ["out.csv", "out.jsonl"])
def test_write_then_read_gives_the_same_records(tmp_path, name):
    records = [
        ClipRecord("a", tmp_path / "poses" / "a.pose", "house, big", "en", "ase", "train", "s1"),
        ClipRecord("b", Path("/elsewhere/b.pose"), 'say "hi"', "de", "gsg", "test", None),
    ]
    path = tmp_path / name
    write_manifest(records, path)
    assert read_manifest(path) == records
    # Inside the manifest's folder relative (the folder can move), outside absolute.
    assert "poses/a.pose" in path.read_text()
    assert str(tmp_path) not in path.read_text()
    assert "/elsewhere/b.pose" in path.read_text()


def test_write_refuses_an_unknown_extension(tmp_path):
    with pytest.raises(ManifestError, match="unknown extension"):
        write_manifest([], tmp_path / "out.txt")
