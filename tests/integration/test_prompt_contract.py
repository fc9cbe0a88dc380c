"""A model trained with its own prompt is evaluated, recognised, searched, served, analysed,
embedded and fine-tuned with that prompt, read from its folder."""

import json

import numpy as np
import pytest

from signclip.config import load_config
from signclip.index.query import search_text
from signclip.index.store import SignIndex
from signclip.inference import SignCLIPEncoder
from signclip.training.loop import train
from signclip.training.pretrained import config_from_folder

from .cli import run_cli
from .conftest import tiny_overrides, write_tiny_dataset

SENTENCE = "Sign {text} in {sign_language}."


@pytest.fixture(scope="module")
def sentence_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sentence")
    manifest = write_tiny_dataset(root / "data")
    cfg = load_config(
        "tiny", tiny_overrides(manifest, root / "run", f"data.prompt={SENTENCE}", "train.epochs=1")
    )
    return train(cfg), manifest, root


def test_the_folder_records_the_prompt(sentence_run):
    run, _, _ = sentence_run
    for folder in (run.last, run.best):
        assert json.loads((folder / "signclip.json").read_text())["prompt"] == SENTENCE


def test_eval_and_recognize_use_the_folders_prompt(capsys, sentence_run):
    run, manifest, root = sentence_run
    out = root / "metrics.json"
    code, printed, _ = run_cli(
        capsys, "eval", "--model", run.model, "--manifest", manifest, "--split", "dev", "--out", out
    )
    assert code == 0 and "prompts like 'Sign friend in ase.'" in printed
    assert json.loads(out.read_text())["prompt"] == SENTENCE
    out = root / "recognition.json"
    argv = ["recognize", "--model", run.model, "--manifest", manifest, "--test-split", "dev"]
    code, _, _ = run_cli(capsys, *argv, "--methods", "zero-shot", "--no-progress", "--out", out)
    assert code == 0
    assert json.loads(out.read_text())["methods"]["zero-shot"]["templates"] == [SENTENCE]


def test_embed_glosses_in_the_folders_prompt(capsys, sentence_run):
    run, _, root = sentence_run
    out = root / "glosses.npz"
    argv = ["embed", "--model", run.model, "--gloss", "house", "tree", "--out", out]
    code, _, err = run_cli(capsys, *argv)
    assert code == 1 and "--sign-language and --spoken-language" in err
    code, _, _ = run_cli(capsys, *argv, "--sign-language", "ase", "--spoken-language", "en")
    assert code == 0
    saved = np.load(out)
    assert list(saved["ids"]) == ["Sign house in ase.", "Sign tree in ase."]
    encoder = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    expected = encoder.embed_texts(["Sign house in ase.", "Sign tree in ase."])
    np.testing.assert_allclose(saved["embeddings"], expected, atol=1e-6)


def test_search_serve_and_analyze_prompt_as_trained(capsys, sentence_run):
    run, manifest, root = sentence_run
    index_dir = root / "index"
    argv = ["index", "build", "--model", run.model, "--manifest", manifest, "--out", index_dir]
    assert run_cli(capsys, *argv, "--no-progress", "--workers", "1")[0] == 0
    encoder = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    asked = []
    embed_texts = encoder.embed_texts
    encoder.embed_texts = lambda texts: asked.extend(texts) or embed_texts(texts)
    search_text(encoder, SignIndex.load(index_dir), "house", k=3)
    assert asked == ["Sign house in ase."]

    from fastapi.testclient import TestClient

    from signclip.serve.app import create_app

    served = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    with TestClient(create_app(served, SignIndex.load(index_dir))) as client:
        answer = client.post("/api/search", json={"text": "house", "k": 3}).json()
        info = client.get("/api/info").json()
    assert answer["prompts"] == ["Sign house in ase."]
    assert info["prompt"] == SENTENCE

    out = root / "analysis"
    argv = ["analyze", "--model", run.model, "--manifest", manifest, "--out", out]
    assert run_cli(capsys, *argv, "--method", "pca", "--no-progress")[0] == 0
    report = json.loads((out / "analysis.json").read_text())
    assert report["language_id"]["prompts"] == ["Sign  in ase."]


def test_finetuning_keeps_the_folders_prompt_unless_told_otherwise(sentence_run):
    run, manifest, _ = sentence_run
    recipe = load_config("finetune", [f"data.manifest={manifest}"])
    assert config_from_folder(recipe, run.model).data.prompt == SENTENCE
    chosen = load_config("finetune", [f"data.manifest={manifest}", "data.prompt={text}"])
    assert config_from_folder(chosen, run.model, keep_prompt=True).data.prompt == "{text}"
