"""Original (fairseq) checkpoints -> paper-mode model folders, checked against an independent
computation of the original's embeddings written here with plain tensor operations."""

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from signclip.inference import SignCLIPEncoder
from signclip.models.io import CONFIG_FILE, TOKENIZER_DIR
from signclip.models.original_checkpoint import convert_original
from signclip.models.original_keys import plan_keys, project_key
from signclip.models.original_reader import OriginalCheckpointError, read_original
from signclip.models.text_encoder import MINILM_NAME, resolve_text_model
from signclip.text.tokenizer import SETTINGS_FILE

FEATURES = 609  # reduced-face, the paper-e7.2 preset's pose features
WIDTH, HEADS, FFN = 32, 4, 64
MAX_FRAMES = 16
POSITIONS = 64
VIDEO_LAYERS, TEXT_LAYERS = 1, 2


def write_text_model(folder: Path) -> Path:
    """A local 'text model': a tiny BERT config and the bundled MiniLM (BERT) tokenizer."""
    tokenizer = AutoTokenizer.from_pretrained(resolve_text_model(MINILM_NAME))
    tokenizer.save_pretrained(folder)
    tiny_bert(TEXT_LAYERS, len(tokenizer)).save_pretrained(folder)
    return folder


def tiny_bert(layers: int, vocab: int) -> BertConfig:
    return BertConfig(
        vocab_size=vocab,
        hidden_size=WIDTH,
        num_hidden_layers=layers,
        num_attention_heads=HEADS,
        intermediate_size=FFN,
        max_position_embeddings=POSITIONS,
    )


def original_state_dict(vocab: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights in the original's key layout, poolers and old position-id buffers included.

    Every tensor is perturbed, so LayerNorm gains and biases differ from 1 and 0 and a mix-up
    between any two parameters changes the embeddings.
    """
    torch.manual_seed(seed)
    state = {}
    video = BertModel(tiny_bert(VIDEO_LAYERS, vocab))
    text = BertModel(tiny_bert(TEXT_LAYERS, vocab))
    for prefix, bert in (("mmmodel.video_encoder.bert.", video), ("mmmodel.text_encoder.", text)):
        for key, value in bert.state_dict().items():
            state[prefix + key] = value
        state[prefix + "embeddings.position_ids"] = torch.arange(POSITIONS).unsqueeze(0)
    mlp = "mmmodel.video_encoder.videomlp."
    state[mlp + "linear1.weight"] = torch.randn(WIDTH, FEATURES) / math.sqrt(FEATURES)
    state[mlp + "linear1.bias"] = torch.zeros(WIDTH)
    state[mlp + "LayerNorm.weight"] = torch.ones(WIDTH)
    state[mlp + "LayerNorm.bias"] = torch.zeros(WIDTH)
    state[mlp + "linear2.weight"] = torch.randn(WIDTH, WIDTH) / math.sqrt(WIDTH)
    state[mlp + "linear2.bias"] = torch.zeros(WIDTH)
    gen = torch.Generator().manual_seed(seed + 1)
    return {
        key: value + 0.1 * torch.randn(value.shape, generator=gen)
        if value.is_floating_point()
        else value
        for key, value in state.items()
    }


def write_checkpoint(path: Path, state: dict, **extra) -> Path:
    payload = {"model": state, "args": argparse.Namespace(max_video_len=MAX_FRAMES), **extra}
    torch.save(payload, path)
    return path


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """(checkpoint path, its state dict, text model folder) shared by this module's tests."""
    root = tmp_path_factory.mktemp("original")
    text_model = write_text_model(root / "text-model")
    vocab = len(AutoTokenizer.from_pretrained(text_model))
    state = original_state_dict(vocab)
    return write_checkpoint(root / "checkpoint_best.pt", state), state, text_model


@pytest.fixture(scope="module")
def converted(original, tmp_path_factory):
    checkpoint, _, text_model = original
    out = tmp_path_factory.mktemp("converted") / "model"
    convert_original(checkpoint, out, text_model=str(text_model))
    return out


# --- the original's definition, written from the state dict alone ------------------------------


def layer_norm(x, state, prefix, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * state[prefix + "weight"] + state[prefix + "bias"]


def linear(x, state, prefix):
    return x @ state[prefix + "weight"].T + state[prefix + "bias"]


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def bert_layers(x, attend, state, prefix, layers):
    """Post-LN BERT layers on x [L, W]; `attend` [L] marks keys that may be attended to."""
    length = x.shape[0]
    head = WIDTH // HEADS
    for n in range(layers):
        p = f"{prefix}encoder.layer.{n}."

        def heads(t):
            return t.view(length, HEADS, head).transpose(0, 1)

        q = heads(linear(x, state, p + "attention.self.query."))
        k = heads(linear(x, state, p + "attention.self.key."))
        v = heads(linear(x, state, p + "attention.self.value."))
        scores = q @ k.transpose(1, 2) / math.sqrt(head)
        scores = scores.masked_fill(~attend, float("-inf"))
        context = (scores.softmax(-1) @ v).transpose(0, 1).reshape(length, WIDTH)
        x = layer_norm(
            linear(context, state, p + "attention.output.dense.") + x,
            state,
            p + "attention.output.LayerNorm.",
            1e-12,
        )
        inner = gelu(linear(x, state, p + "intermediate.dense."))
        x = layer_norm(
            linear(inner, state, p + "output.dense.") + x, state, p + "output.LayerNorm.", 1e-12
        )
    return x


def embed_sequence(tokens, state, prefix):
    """BERT embeddings of token vectors [L, W]: + positions 0..L-1 + token type 0, LayerNorm."""
    positions = state[prefix + "embeddings.position_embeddings.weight"][: tokens.shape[0]]
    token_type = state[prefix + "embeddings.token_type_embeddings.weight"][0]
    return layer_norm(
        tokens + positions + token_type, state, prefix + "embeddings.LayerNorm.", 1e-12
    )


def original_pose_embedding(frames: np.ndarray, state, cls_id: int, sep_id: int) -> torch.Tensor:
    """[CLS] + frames zero-padded to the context + [SEP]; mean over all but [CLS], real only."""
    prefix = "mmmodel.video_encoder.bert."
    mlp = "mmmodel.video_encoder.videomlp."
    count = len(frames)
    padded = torch.zeros(MAX_FRAMES, FEATURES)
    padded[:count] = torch.from_numpy(frames)
    # The original runs the padding frames through its MLP too; the mask then hides them.
    hidden = gelu(linear(padded, state, mlp + "linear1."))
    tokens = linear(layer_norm(hidden, state, mlp + "LayerNorm.", 1e-5), state, mlp + "linear2.")
    words = state[prefix + "embeddings.word_embeddings.weight"]
    sequence = torch.cat([words[cls_id : cls_id + 1], tokens, words[sep_id : sep_id + 1]])
    attend = torch.zeros(MAX_FRAMES + 2, dtype=torch.bool)
    attend[: count + 1] = True
    attend[-1] = True
    out = bert_layers(embed_sequence(sequence, state, prefix), attend, state, prefix, VIDEO_LAYERS)
    pooled = attend.clone()
    pooled[0] = False
    return out[pooled].mean(0)


def original_text_embedding(ids: list[int], state) -> torch.Tensor:
    """[CLS] word-pieces [SEP]; mean over the word-pieces and [SEP]."""
    prefix = "mmmodel.text_encoder."
    words = state[prefix + "embeddings.word_embeddings.weight"][torch.tensor(ids)]
    attend = torch.ones(len(ids), dtype=torch.bool)
    out = bert_layers(embed_sequence(words, state, prefix), attend, state, prefix, TEXT_LAYERS)
    return out[1:].mean(0)


# --- tests ---------------------------------------------------------------------------------------


def test_embeddings_and_scores_match_the_original_definition(original, converted):
    _, state, _ = original
    encoder = SignCLIPEncoder.from_pretrained(converted, device="cpu")
    rng = np.random.default_rng(3)
    # Lengths from 1 to the full context, batched together: padding must not change anything.
    clips = [rng.normal(size=(n, FEATURES)).astype(np.float32) for n in (1, 5, 11, MAX_FRAMES)]
    texts = ["<en> <ase> house", "<en> <gsg> a much longer phrase about a tree"]
    hf = encoder.tokenizer.tokenizer
    cls_id, sep_id = hf.cls_token_id, hf.sep_token_id
    expected_pose = torch.stack([original_pose_embedding(c, state, cls_id, sep_id) for c in clips])
    ids = [hf(t)["input_ids"] for t in texts]
    assert all(i[0] == cls_id and i[-1] == sep_id for i in ids)
    expected_text = torch.stack([original_text_embedding(i, state) for i in ids])

    pose = encoder.embed_features(clips)
    text = encoder.embed_texts(texts)
    np.testing.assert_allclose(pose, expected_pose.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(text, expected_text.numpy(), rtol=1e-4, atol=1e-4)
    # Raw dot products: no normalisation, no temperature.
    scores = (expected_pose @ expected_text.T).numpy()
    np.testing.assert_allclose(encoder.similarity(pose, text), scores, rtol=1e-4, atol=1e-3)
    assert not np.allclose(np.linalg.norm(pose, axis=1), 1.0)


def test_settings_come_from_the_checkpoint(converted):
    encoder = SignCLIPEncoder.from_pretrained(converted, device="cpu")
    cfg = encoder.model.model_config
    assert (cfg.arch, cfg.max_frames, cfg.pose_layers, cfg.text_layers) == (
        "paper",
        MAX_FRAMES,
        VIDEO_LAYERS,
        TEXT_LAYERS,
    )
    assert (cfg.normalize, float(encoder.model.logit_scale)) == (False, 1.0)
    assert encoder.num_features == FEATURES
    # The original's prompt and windows travel with the converted folder.
    assert encoder.prompt("house", "en", "ase") == "<en> <ase> house"
    assert encoder.contract.language_tags == "text"
    assert (encoder.contract.window_frames, encoder.contract.window_stride) == (
        MAX_FRAMES,
        MAX_FRAMES // 2,
    )


def test_texts_keep_at_most_61_word_pieces_as_in_the_original(original, converted):
    _, state, _ = original
    meta = json.loads((converted / CONFIG_FILE).read_text())
    settings = json.loads((converted / TOKENIZER_DIR / SETTINGS_FILE).read_text())
    assert meta["model"]["text_max_length"] == settings["max_length"] == 63
    encoder = SignCLIPEncoder.from_pretrained(converted, device="cpu")
    hf = encoder.tokenizer.tokenizer
    words = [str(100 + i) for i in range(70)]  # one word-piece each
    pieces = hf(" ".join(words), add_special_tokens=False)["input_ids"]
    assert len(pieces) == 70
    for count in (60, 61, 70):
        ids = [hf.cls_token_id, *pieces[: min(count, 61)], hf.sep_token_id]
        text = encoder.embed_texts([" ".join(words[:count])])
        expected = original_text_embedding(ids, state).numpy()
        np.testing.assert_allclose(text[0], expected, rtol=1e-4, atol=1e-4)


def test_key_plan_covers_every_original_key(original):
    _, state, _ = original
    plan = plan_keys(list(state))
    assert plan.unknown == []
    assert set(plan.dropped) == {
        "mmmodel.video_encoder.bert.pooler.dense.weight",
        "mmmodel.video_encoder.bert.pooler.dense.bias",
        "mmmodel.text_encoder.pooler.dense.weight",
        "mmmodel.text_encoder.pooler.dense.bias",
        "mmmodel.video_encoder.bert.embeddings.position_ids",
        "mmmodel.text_encoder.embeddings.position_ids",
    }
    assert project_key("mmmodel.video_encoder.videomlp.LayerNorm.bias") == (
        "pose_encoder.frames.layer_norm.bias"
    )
    assert project_key("mmmodel.video_projection.linear.weight") == "pose_projection.weight"


def convert_error(tmp_path, original, state, **extra) -> str:
    _, _, text_model = original
    path = write_checkpoint(tmp_path / "bad.pt", state, **extra)
    with pytest.raises(OriginalCheckpointError) as info:
        convert_original(path, tmp_path / "out", text_model=str(text_model))
    message = str(info.value)
    assert "\n" not in message
    assert not (tmp_path / "out").exists()
    return message


def test_missing_key_is_named(tmp_path, original):
    state = dict(original[1])
    del state["mmmodel.text_encoder.encoder.layer.1.output.dense.bias"]
    del state["mmmodel.video_encoder.videomlp.LayerNorm.weight"]
    message = convert_error(tmp_path, original, state)
    assert "2 missing key(s)" in message
    assert "mmmodel.text_encoder.encoder.layer.1.output.dense.bias" in message
    assert "mmmodel.video_encoder.videomlp.LayerNorm.weight" in message


def test_extra_key_is_named(tmp_path, original):
    state = dict(original[1])
    state["mmmodel.video_encoder.videoconv.conv1d_0.weight"] = torch.zeros(3)
    message = convert_error(tmp_path, original, state)
    assert "1 unexpected key(s), first mmmodel.video_encoder.videoconv.conv1d_0.weight" in message


def test_key_renamed_to_nothing_is_unexpected(tmp_path, original):
    state = dict(original[1])
    state["mmmodel.text_encoder.embeddings.extra.weight"] = torch.zeros(3)
    message = convert_error(tmp_path, original, state)
    assert "unexpected key(s), first mmmodel.text_encoder.embeddings.extra.weight" in message


def test_wrong_shape_is_named(tmp_path, original):
    state = dict(original[1])
    key = "mmmodel.video_encoder.bert.encoder.layer.0.attention.self.key.weight"
    state[key] = torch.zeros(WIDTH, WIDTH + 1)
    message = convert_error(tmp_path, original, state)
    assert f"1 key(s) of the wrong shape, first {key}: [{WIDTH}, {WIDTH + 1}]" in message


def test_feature_count_must_fit_the_preset(tmp_path, original):
    state = dict(original[1])
    state["mmmodel.video_encoder.videomlp.linear1.weight"] = torch.zeros(WIDTH, 534)
    message = convert_error(tmp_path, original, state)
    assert "534 features per frame" in message and "sign-vq" in message


def test_text_model_must_fit(tmp_path, original):
    checkpoint, _, _ = original
    with pytest.raises(OriginalCheckpointError, match="hidden_size 768, the checkpoint's text"):
        convert_original(checkpoint, tmp_path / "out", text_model="bert-base-cased")


def test_context_must_fit_the_positions(tmp_path, original):
    message = convert_error(
        tmp_path, original, original[1], args=argparse.Namespace(max_video_len=POSITIONS)
    )
    assert f"max_frames {POSITIONS} (from the checkpoint)" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "empty file"), (b"not a pickle at all", "not a PyTorch checkpoint")],
)
def test_non_checkpoint_files(tmp_path, content, expected):
    path = tmp_path / "file.pt"
    path.write_bytes(content)
    with pytest.raises(OriginalCheckpointError, match=expected):
        read_original(path)


def test_checkpoint_without_model(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(OriginalCheckpointError, match="no 'model' state dict; top-level keys"):
        read_original(path)


def test_nan_weights_are_refused(tmp_path):
    path = tmp_path / "nan.pt"
    torch.save({"model": {"mmmodel.x": torch.tensor([1.0, float("nan")])}}, path)
    with pytest.raises(OriginalCheckpointError, match=r"mmmodel\.x holds NaN"):
        read_original(path)


class _Settings:
    """A settings object of a class the reader must not import (like omegaconf's DictConfig)."""

    def __init__(self):
        self.dataset = {"max_video_len": 12, "bert_name": "bert-base-cased"}


class _Trap:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_foreign_objects_are_read_inert_and_never_run(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "foreign.pt"
    state = {"mmmodel.x": torch.ones(2, dtype=torch.float16)}
    torch.save({"model": state, "cfg": _Settings(), "extra_state": _Trap(marker)}, path)
    checkpoint = read_original(path)
    assert not marker.exists()
    assert checkpoint.settings == {"max_video_len": 12, "bert_name": "bert-base-cased"}
    assert "posix.mkdir" in checkpoint.stand_ins or "nt.mkdir" in checkpoint.stand_ins
    assert checkpoint.state["mmmodel.x"].dtype == torch.float32


def test_existing_model_is_not_overwritten(tmp_path, original, converted):
    checkpoint, _, text_model = original
    with pytest.raises(OriginalCheckpointError, match="already holds a model"):
        convert_original(checkpoint, converted, text_model=str(text_model))
