"""Training learns: the tiny preset memorises its clips, and the demo recipe generalises to signers
it never saw, tells sign languages apart, and picks its best checkpoint by dev retrieval."""

import json

import numpy as np
import pytest

from signclip.config import load_config
from signclip.data.manifest import ClipRecord, write_manifest
from signclip.data.prepared import prepare_data
from signclip.demo import DemoSettings, run_demo
from signclip.evaluation.evaluate import evaluate_clips, selection_score
from signclip.evaluation.recognition import RecognitionOptions, recognize
from signclip.inference import SignCLIPEncoder
from signclip.testing import fake_holistic_pose
from signclip.training.logs import read_metrics
from signclip.training.loop import train

WORDS = [f"word{i}" for i in range(32)]


def write_clips(folder):
    """32 clips of 32 different texts, every one in the training split."""
    folder.mkdir(parents=True)
    records = []
    for i, word in enumerate(WORDS):
        path = folder / f"{word}.pose"
        with path.open("wb") as out:
            fake_holistic_pose(num_frames=16 + i % 9, seed=1000 + i).write(out)
        records.append(ClipRecord(word, path, word, "en", "ase", "train"))
    manifest = folder / "manifest.csv"
    write_manifest(records, manifest)
    return manifest


def test_tiny_preset_memorises_32_clips(tmp_path):
    manifest = write_clips(tmp_path / "data")
    overrides = [
        f"data.manifest={manifest}",
        f"train.out_dir={tmp_path / 'run'}",
        f"data.cache_dir={tmp_path / 'cache'}",
        "data.workers=1",
        "data.val_split=none",  # no validation: the run only has to memorise
        "model.max_frames=32",
        "train.epochs=30",
        "train.lr=3e-4",
        "train.warmup_steps=10",
    ]
    cfg = load_config("tiny", overrides)
    run = train(cfg)
    encoder = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    data = prepare_data(cfg.data, cfg.pose, progress=False)
    metrics = evaluate_clips(encoder, data, np.arange(len(WORDS)))
    assert metrics["text_to_pose"]["R@1"] >= 0.9
    assert metrics["pose_to_text"]["R@1"] >= 0.9
    assert metrics["chance"]["pose_to_text"]["R@1"] == pytest.approx(1 / 32)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo exactly as `signclip demo` runs it: the whole dictionary, the demo preset."""
    out = tmp_path_factory.mktemp("demo")
    return run_demo(DemoSettings(out=out, progress=False))


@pytest.mark.parametrize("direction", ["text_to_pose", "pose_to_text"])
def test_demo_generalises_to_held_out_signers(demo, direction):
    measured = demo.metrics[direction]["R@1"]
    chance = demo.metrics["chance"][direction]["R@1"]
    assert measured >= 10 * chance, f"R@1 {measured:.3f} against chance {chance:.3f}"


def test_demo_prompts_and_poses_carry_the_sign_language(demo):
    encoder = SignCLIPEncoder.from_pretrained(demo.model, device="cpu")
    ase, gsg = encoder.embed_glosses(["house", "house"], "en", ["ase", "gsg"])
    assert float(ase @ gsg) < 0.99
    similar = demo.findings["prompt_similarity_across_languages"]
    assert similar["max"] < 0.999
    ident = demo.findings["language_id"]
    # Locked tags (all one vector) measured 0.38 here, below always guessing the commonest
    # language (0.41); learned tags 0.48. Signs of one concept differ between the generated
    # languages, but no language has a form of its own, so even each language's mean prompt
    # identifies only about 0.6.
    assert ident["accuracy"] >= ident["chance_uniform"] + 0.1
    assert ident["accuracy"] > ident["chance_majority"]


def test_demo_best_checkpoint_has_the_highest_dev_score(demo):
    rows = [r for r in read_metrics(demo.model.parent.parent) if r["kind"] == "val"]
    assert len(rows) >= 2
    best = max(rows, key=lambda r: r["score"])
    state = json.loads((demo.model / "signclip.json").read_text())
    assert state["prompt"] == "<{spoken_language}> <{sign_language}> {text}"
    # The saved best model scores, on the dev split, what the log says its step scored.
    cfg = load_config(demo.model.parent.parent / "config.yaml", ["train.progress=false"])
    data = prepare_data(cfg.data, cfg.pose, progress=False)
    encoder = SignCLIPEncoder.from_pretrained(demo.model, device="cpu")
    dev = data.split_indices("dev")
    assert selection_score(evaluate_clips(encoder, data, dev)) == pytest.approx(
        best["score"], abs=1e-6
    )


def test_demo_model_recognises_held_out_signs(demo):
    cfg = load_config(demo.model.parent.parent / "config.yaml", ["train.progress=false"])
    data = prepare_data(cfg.data, cfg.pose, progress=False)
    encoder = SignCLIPEncoder.from_pretrained(demo.model, device="cpu")
    options = RecognitionOptions(methods=("zero-shot", "probe"), progress=False)
    result = recognize(encoder, data, options, cfg.data.manifest)
    for method in ("zero-shot", "probe"):
        measured = result["methods"][method]
        assert measured["top1"] >= 5 * measured["chance"]["top1"], method
