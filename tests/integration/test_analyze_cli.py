"""`signclip analyze` end to end on a generated multilingual dictionary and a tiny trained model."""

import json
import sys

import numpy as np
import pytest

from signclip.cli.main import main
from signclip.data.manifest import read_manifest

PNG = b"\x89PNG\r\n\x1a\n"
LANGUAGES = 3


def test_analyze_writes_figures_and_report(tmp_path, dictionary_and_model, capsys):
    manifest, model = dictionary_and_model
    out = tmp_path / "analysis"
    args = ["analyze", "--model", str(model), "--manifest", str(manifest), "--out", str(out)]
    args += ["--no-progress", "--max-analogies", "8", "--analogy", "house,tree,water"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "sign-language identification from prompts alone" in printed

    report = json.loads((out / "analysis.json").read_text())
    records = read_manifest(manifest)
    assert report["clips"] == len(records)
    concepts = {r.text for r in records}
    languages = sorted({r.sign_language for r in records})
    # Every concept is signed in all three languages, so each gets a spread.
    assert {row["concept"] for row in report["concept_spread"]} == concepts
    assert all(row["languages"] == LANGUAGES for row in report["concept_spread"])

    ident = report["language_id"]
    assert ident["languages"] == languages
    assert ident["prompts"] == [f"<en> <{lang}>" for lang in languages]
    confusion = np.array(ident["confusion"])
    assert confusion.sum() == len(records)
    assert ident["accuracy"] == pytest.approx(np.trace(confusion) / len(records))

    for space in ("pose", "text"):
        summary = report["analogies"][space]["summary"]
        assert summary["probes"] == 8 and summary["with_answer"] == 8
        assert 0.0 <= summary["mrr"] <= 1.0
    assert len(report["analogies"]["free_text"][0]["neighbours"]) == 5

    expected = {
        "concept_spread.png",
        "language_id_confusion.png",
        *(f"map_{s}_by_{b}.png" for s in ("pose", "text") for b in ("concept", "language")),
    }
    assert set(report["figures"]) == expected
    for name in expected:
        assert (out / name).read_bytes()[:8] == PNG


def test_split_and_pca(tmp_path, dictionary_and_model, capsys):
    manifest, model = dictionary_and_model
    out = tmp_path / "dev"
    args = ["analyze", "--model", str(model), "--manifest", str(manifest), "--out", str(out)]
    assert main([*args, "--split", "dev", "--method", "pca", "--no-progress"]) == 0
    report = json.loads((out / "analysis.json").read_text())
    dev = [r for r in read_manifest(manifest) if r.split == "dev"]
    assert report["clips"] == len(dev) and report["method"] == "pca"


def test_bad_requests_are_one_line(tmp_path, dictionary_and_model, capsys, monkeypatch):
    manifest, model = dictionary_and_model
    base = ["analyze", "--model", str(model), "--manifest", str(manifest), "--no-progress"]
    base += ["--out", str(tmp_path / "x"), "--method", "pca"]
    cases = [
        (["--analogy", "ase:house,ase:nothing"], "three language:concept terms"),
        (["--analogy", "ase:house,bfi:house,bfi:moonlight"], "bfi:moonlight has no clips"),
        (["--split", "nosuchsplit"], "no usable clips in split 'nosuchsplit'"),
        (["--method", "umap"], "pip install umap-learn"),
    ]
    monkeypatch.setitem(sys.modules, "umap", None)  # as on a machine without umap-learn
    for extra, message in cases:
        capsys.readouterr()
        assert main([*base, *extra]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
