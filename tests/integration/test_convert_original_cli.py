"""`signclip convert-original` end to end: a checkpoint in the original layout -> a model folder
that `signclip embed` and `SignCLIPEncoder` use."""

import json

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from signclip.cli.main import main
from signclip.inference import SignCLIPEncoder
from signclip.models.original_checkpoint import REPORT_FILE
from tests.unit.models.test_original_checkpoint import (
    FEATURES,
    MAX_FRAMES,
    original_state_dict,
    original_text_embedding,
    write_checkpoint,
    write_text_model,
)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-original")
    text_model = write_text_model(root / "text-model")
    state = original_state_dict(len(AutoTokenizer.from_pretrained(text_model)), seed=7)
    return write_checkpoint(root / "checkpoint_best.pt", state), state, text_model


def test_convert_then_embed(tmp_path, checkpoint, capsys):
    path, state, text_model = checkpoint
    out = tmp_path / "model"
    code = main(["convert-original", str(path), "--out", str(out), "--text-model", str(text_model)])
    printed = capsys.readouterr().out
    assert code == 0
    # Two position-id buffers and two poolers of two tensors each were dropped.
    assert "2 id buffer (recomputed)" in printed and "4 BERT pooler (never used)" in printed
    assert f"max_frames {MAX_FRAMES} (from the checkpoint)" in printed

    report = json.loads((out / REPORT_FILE).read_text())
    assert report["renamed"] + sum(report["dropped"].values()) == len(state)
    assert report["settings_found"] == {"max_video_len": MAX_FRAMES}

    text = "<en> <ase> house"
    emb_file = tmp_path / "text.npz"
    assert main(["embed", "--model", str(out), "--text", text, "--out", str(emb_file)]) == 0
    encoder = SignCLIPEncoder.from_pretrained(out, device="cpu")
    ids = encoder.tokenizer.tokenizer(text)["input_ids"]
    expected = original_text_embedding(ids, state).numpy()
    np.testing.assert_allclose(np.load(emb_file)["embeddings"][0], expected, rtol=1e-4, atol=1e-4)
    # A clip longer than the context is windowed rather than refused.
    long_clip = np.random.default_rng(0).normal(size=(3 * MAX_FRAMES, FEATURES)).astype("f4")
    assert encoder.embed_features([long_clip]).shape == (1, encoder.model.embedding_size)


def test_errors_are_one_line(tmp_path, checkpoint, capsys):
    _, state, text_model = checkpoint
    broken = dict(state)
    del broken["mmmodel.video_encoder.videomlp.linear2.bias"]
    path = write_checkpoint(tmp_path / "broken.pt", broken)
    code = main(
        [
            "convert-original",
            str(path),
            "--out",
            str(tmp_path / "m"),
            "--text-model",
            str(text_model),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("signclip convert-original: error: ")
    assert "1 missing key(s), first mmmodel.video_encoder.videomlp.linear2.bias" in err

    junk = tmp_path / "notes.txt"
    junk.write_text("these are notes, not weights\n")
    assert main(["convert-original", str(junk), "--out", str(tmp_path / "m2")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a PyTorch checkpoint" in err


def test_foreign_settings_are_announced(tmp_path, checkpoint, capsys):
    _, state, text_model = checkpoint
    path = tmp_path / "with-cfg.pt"
    torch.save({"model": state, "cfg": _Config()}, path)
    out = tmp_path / "model"
    code = main(["convert-original", str(path), "--out", str(out), "--text-model", str(text_model)])
    captured = capsys.readouterr()
    assert code == 0
    assert "read as inert placeholders, none was imported or run" in captured.err
    assert "_Config" in captured.err
    assert f"max_frames {MAX_FRAMES} (from the checkpoint)" in captured.out


class _Config:
    def __init__(self):
        self.model = {"max_video_len": MAX_FRAMES}
