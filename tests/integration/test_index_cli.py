import csv
import json
import shutil

import numpy as np
import pytest

from signclip.cli.main import main
from signclip.data.manifest import read_manifest
from signclip.index import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.testing import fake_holistic_pose
from tests.integration.cli import run_cli


@pytest.fixture(scope="module")
def built(trained_run, tmp_path_factory):
    """The tiny run's clips indexed once through the CLI; shared, so tests below only read it."""
    run, manifest = trained_run
    out = tmp_path_factory.mktemp("index") / "idx"
    code = main(
        [
            "index",
            "build",
            "--model",
            str(run.model),
            "--manifest",
            str(manifest),
            "--out",
            str(out),
            "--no-progress",
            "--workers",
            "1",
            "--batch-size",
            "5",
        ]
    )
    assert code == 0
    return run.model, manifest, out


@pytest.fixture(scope="module")
def encoder(built):
    return SignCLIPEncoder.from_pretrained(built[0], device="cpu")


def read_rows(manifest):
    with open(manifest, newline="") as f:
        return list(csv.DictReader(f))


def test_build_stores_every_clip_as_the_encoder_embeds_it(built, encoder):
    _, manifest, out = built
    index = SignIndex.load(out)
    rows = read_rows(manifest)
    assert [r.clip_id for r in index.records] == [row["id"] for row in rows]
    expected = encoder.embed_poses([manifest.parent / row["pose"] for row in rows])
    np.testing.assert_allclose(index.vectors, expected, atol=1e-5)
    assert index.model["path"] == str(built[0].absolute())


def test_info(capsys, built):
    code, out, _ = run_cli(capsys, "index", "info", built[2])
    assert code == 0
    assert "clips:      16" in out and "ase 16" in out and "cosine" in out


def test_text_search_ranks_like_the_models_similarity(capsys, built, encoder):
    code, out, _ = run_cli(
        capsys, "search", "--index", built[2], "--text", "house", "--json", "-k", "5"
    )
    assert code == 0
    hits = json.loads(out)
    index = SignIndex.load(built[2])
    prompt = encoder.embed_texts(["<en> <ase> house"])
    scores = encoder.similarity(index.vectors, prompt)[:, 0]
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:5]
    assert [h["clip_id"] for h in hits] == [index.records[i].clip_id for i in order]
    np.testing.assert_allclose([h["score"] for h in hits], scores[order], atol=1e-5)
    assert [h["rank"] for h in hits] == [1, 2, 3, 4, 5]


def test_pose_search_finds_the_clip_itself_first(capsys, built):
    _, manifest, out = built
    pose = manifest.parent / "tree-2.pose"
    code, text, _ = run_cli(capsys, "search", "--index", out, "--pose", pose, "-k", "3")
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split() == ["rank", "score", "text", "lang", "id"]
    rank, score, word, language, clip_id = lines[1].split()
    assert (rank, word, language, clip_id) == ("1", "tree", "ase", "tree-2")
    assert float(score) == pytest.approx(1.0, abs=1e-4)
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--text", "house", "--sign-language", "xyz"], "--sign-language 'xyz'"),
        (["--text", "house", "-k", "0"], "-k must be at least 1"),
        (["--pose", "/no/such.pose"], "/no/such.pose"),
    ],
)
def test_bad_queries_are_one_line_errors(capsys, built, argv, message):
    code, _, err = run_cli(capsys, "search", "--index", built[2], *argv)
    assert code == 1 and message in err
    assert err.count("\n") == 1


def test_missing_index(capsys, tmp_path):
    code, _, err = run_cli(capsys, "search", "--index", tmp_path / "none", "--text", "house")
    assert code == 1 and "no such index" in err and err.count("\n") == 1


def test_build_refuses_to_overwrite_without_force(capsys, built, tmp_path):
    model, manifest, out = built
    code, _, err = run_cli(
        capsys, "index", "build", "--model", model, "--manifest", manifest, "--out", out
    )
    assert code == 1 and "--force" in err


def write_more_clips(folder, ids, bad=()):
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "more.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "pose", "text", "spoken_language", "sign_language", "split"])
        for n, clip_id in enumerate(ids):
            path = folder / f"{clip_id}.pose"
            if clip_id in bad:
                path.write_bytes(b"broken")
            else:
                with path.open("wb") as out:
                    fake_holistic_pose(num_frames=15 + n, seed=500 + n).write(out)
            writer.writerow([clip_id, path.name, "boat", "de", "gsg", "test"])
    return manifest


def test_add_then_refuse_duplicates(capsys, built, tmp_path):
    out = built[2]
    copy = tmp_path / "copy"
    SignIndex.load(out).save(copy)
    more = write_more_clips(tmp_path / "more", ["boat-1", "boat-2", "boat-3"], bad=("boat-2",))
    code, text, err = run_cli(
        capsys,
        "index",
        "add",
        "--index",
        copy,
        "--manifest",
        more,
        "--no-progress",
        "--workers",
        "1",
    )
    assert code == 0, err
    assert "added 2 of 3 clips" in text and "boat-2" in err
    index = SignIndex.load(copy)
    assert len(index) == 18 and index.get("boat-3").sign_language == "gsg"
    code, text, _ = run_cli(
        capsys,
        "search",
        "--index",
        copy,
        "--text",
        "boat",
        "--json",
        "-k",
        "3",
        "--sign-language",
        "gsg",
    )
    assert {h["clip_id"] for h in json.loads(text)} == {"boat-1", "boat-3"}
    code, _, err = run_cli(capsys, "index", "add", "--index", copy, "--manifest", more)
    assert code == 1 and "'boat-1'" in err and "nothing added" in err
    assert len(SignIndex.load(copy)) == 18
    # --skip-existing leaves out boat-1 and boat-3: only the broken boat-2 is tried, and fails.
    code, _, err = run_cli(
        capsys, "index", "add", "--index", copy, "--manifest", more, "--skip-existing"
    )
    assert code == 1 and "boat-2" in err and "boat-1" not in err
    assert len(SignIndex.load(copy)) == 18


def test_a_different_model_is_refused(capsys, built, tmp_path):
    model, _, out = built
    other = tmp_path / "other-model"
    shutil.copytree(model, other)
    config = json.loads((other / "signclip.json").read_text())
    config["model"]["dropout"] = 0.25
    (other / "signclip.json").write_text(json.dumps(config))
    code, _, err = run_cli(capsys, "search", "--index", out, "--text", "house", "--model", other)
    assert code == 1 and "not the one this index was built with" in err


def test_a_broken_clip_is_reported_not_fatal_and_faiss_is_saved(capsys, built, tmp_path):
    model = built[0]
    more = write_more_clips(tmp_path / "more", ["a", "b", "c"], bad=("a",))
    out = tmp_path / "idx"
    code, text, err = run_cli(
        capsys,
        "index",
        "build",
        "--model",
        model,
        "--manifest",
        more,
        "--out",
        out,
        "--no-progress",
        "--workers",
        "1",
        "--faiss",
    )
    assert code == 0 and "indexed 2 of 3 clips" in text
    assert "skipped clip a:" in err
    code, text, _ = run_cli(capsys, "index", "info", out)
    assert "faiss:      saved" in text
    code, text, _ = run_cli(
        capsys,
        "search",
        "--index",
        out,
        "--pose",
        more.parent / "c.pose",
        "--backend",
        "faiss",
        "--json",
    )
    assert code == 0 and json.loads(text)[0]["clip_id"] == "c"


def test_a_manifest_with_features_only_is_indexed_and_searched(
    capsys, tmp_path, dictionary_and_model
):
    manifest, model = dictionary_and_model  # written by `synth --cache-only`: no .pose files
    out = tmp_path / "idx"
    code, printed, err = run_cli(
        capsys, "index", "build", "--model", model, "--manifest", manifest, "--out", out,
        "--no-progress", "--workers", "1",
    )  # fmt: skip
    clips = len(read_manifest(manifest))
    assert code == 0, err
    assert f"indexed {clips} of {clips} clips" in printed
    code, printed, _ = run_cli(capsys, "search", "--index", out, "--text", "house", "-k", "3")
    assert code == 0 and len(printed.strip().splitlines()) == 1 + 3  # header and 3 clips
