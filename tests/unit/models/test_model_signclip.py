"""SignCLIP built by the factory, trained one step, saved and loaded, in both architectures."""

import json

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import AutoTokenizer, BertConfig

from signclip.batch import Batch, PoseBatch
from signclip.config import LossConfig, ModelConfig, PoseConfig
from signclip.errors import ConfigError, ModelFolderError
from signclip.losses import ContrastiveLoss
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.io import CONFIG_FILE, WEIGHTS_FILE, load_model, save_model
from signclip.models.pose_encoder import PaperPoseEncoder, PoseEncoder
from signclip.models.text_encoder import MINILM_NAME, resolve_text_model

F = 12
PROMPT = "<{spoken_language}> <{sign_language}> {text}"
TEXTS = ["<en> <ase> house", "<en> <ase> house", "<en> <bfi> a tall tree", "<de> <gsg> Haus"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> str:
    """A local 2-layer, 32-wide BERT folder (config + the MiniLM tokenizer), for arch paper."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=40,
    )
    config.save_pretrained(folder)
    AutoTokenizer.from_pretrained(resolve_text_model(MINILM_NAME)).save_pretrained(folder)
    return str(folder)


def default_cfg(**changes) -> ModelConfig:
    base = {
        "text_pretrained": False,
        "text_layers": 1,
        "text_max_length": 16,
        "max_frames": 16,
        "pose_width": 32,
        "pose_layers": 2,
        "pose_heads": 4,
        "pose_ffn": 64,
    }
    return ModelConfig(**{**base, **changes})


def paper_cfg(text_model: str, **changes) -> ModelConfig:
    base = {
        "arch": "paper",
        "text_model": text_model,
        "text_pretrained": False,
        "language_tags": "text",
        "text_max_length": 16,
        "max_frames": 16,
        "pose_width": 32,
        "pose_layers": 2,
        "pose_heads": 4,
        "pose_ffn": 64,
        "pose_init_from_text": True,
        "normalize": False,
        "logit_scale_init": 1.0,
        "learnable_scale": False,
    }
    return ModelConfig(**{**base, **changes})


def make(cfg: ModelConfig, zscore: bool = False):
    torch.manual_seed(0)
    tokenizer = build_tokenizer(cfg)
    tokenizer.add_language_tags(["<en>", "<ase>", "<bfi>", "<de>", "<gsg>"])
    model = build_model(cfg, PoseConfig(zscore=zscore), F, tokenizer)
    return model, tokenizer


def make_batch(tokenizer, lengths=(5, 16, 9, 3)) -> Batch:
    gen = torch.Generator().manual_seed(1)
    frames = max(lengths)
    mask = torch.arange(frames).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    features = torch.randn(len(lengths), frames, F, generator=gen) * mask.unsqueeze(-1)
    text_ids = torch.tensor([0, 0, 1, 2])
    clip_ids = [f"clip{i}" for i in range(len(lengths))]
    return Batch(PoseBatch(features, mask), tokenizer(TEXTS), text_ids, clip_ids)


def test_default_model_shapes_and_scale():
    model, tokenizer = make(default_cfg())
    assert isinstance(model.pose_encoder, PoseEncoder)
    assert model.embedding_size == 384  # the text width: no projection_dim
    assert isinstance(model.pose_projection, torch.nn.Linear)  # 32 -> 384
    assert model.text_encoder.model.get_input_embeddings().num_embeddings == len(tokenizer)
    assert model.logit_scale.item() == pytest.approx(1 / 0.07, rel=1e-5)
    assert model.log_logit_scale.requires_grad
    with torch.no_grad():
        model.log_logit_scale.fill_(10.0)
    assert model.logit_scale.item() == 100.0
    model.eval()
    with torch.no_grad():
        out = model(make_batch(tokenizer))
    assert out.pose_emb.shape == out.text_emb.shape == (4, 384)
    torch.testing.assert_close(out.pose_emb.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(out.text_emb.norm(dim=-1), torch.ones(4))


def test_projection_dim_projects_both_towers():
    model, tokenizer = make(default_cfg(projection_dim=24))
    assert model.embedding_size == 24
    with torch.no_grad():
        out = model.eval()(make_batch(tokenizer))
    assert out.pose_emb.shape == out.text_emb.shape == (4, 24)


def test_paper_model_layout(tiny_bert):
    model, tokenizer = make(paper_cfg(tiny_bert))
    assert isinstance(model.pose_encoder, PaperPoseEncoder)
    assert isinstance(model.pose_projection, torch.nn.Identity)
    assert model.embedding_size == 32
    assert model.logit_scale.item() == 1.0
    assert "log_logit_scale" not in dict(model.named_parameters())
    # Language tags stay word-pieces: nothing was added to the vocabulary.
    assert len(tokenizer) == 30522
    mine = model.pose_encoder.bert.state_dict()
    theirs = model.text_encoder.model.state_dict()
    assert all(torch.equal(value, theirs[key]) for key, value in mine.items())
    with torch.no_grad():
        out = model.eval()(make_batch(tokenizer))
    assert out.pose_emb.shape == (4, 32)
    assert not torch.allclose(out.pose_emb.norm(dim=-1), torch.ones(4))  # not normalised


def test_paper_pose_sizes_must_match_the_text_model(tiny_bert):
    with pytest.raises(ConfigError, match="pose_width"):
        make(paper_cfg(tiny_bert, pose_width=64))


def test_init_from_text_needs_arch_paper():
    with pytest.raises(ConfigError, match="arch"):
        make(default_cfg(pose_init_from_text=True))


def test_wrong_feature_count_is_refused():
    model, tokenizer = make(default_cfg())
    batch = make_batch(tokenizer)
    with pytest.raises(ValueError, match=f"expects {F}"):
        model.encode_pose(PoseBatch(batch.pose.features[..., :5], batch.pose.mask))


@pytest.mark.parametrize("arch", ["default", "paper"])
def test_one_training_step(arch, tiny_bert):
    if arch == "default":
        cfg, loss_cfg = default_cfg(projection_dim=16), LossConfig()
    else:
        cfg = paper_cfg(tiny_bert)
        loss_cfg = LossConfig(reduction="sum", duplicate_texts="negatives")
    model, tokenizer = make(cfg, zscore=True)
    model.standardizer.set_statistics(torch.full((F,), 0.1), torch.full((F,), 2.0))
    batch = make_batch(tokenizer)
    loss = ContrastiveLoss(loss_cfg)(model.train()(batch), batch.text_ids)
    loss.backward()
    assert torch.isfinite(loss)
    grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    assert all(g is None or torch.isfinite(g).all() for g in grads.values())
    assert grads["pose_encoder.frames.linear1.weight"].abs().sum() > 0
    assert grads["text_encoder.model.encoder.layer.0.output.dense.weight"].abs().sum() > 0
    if arch == "default":
        assert grads["log_logit_scale"] is not None


@pytest.mark.parametrize("arch", ["default", "paper"])
def test_save_and_load_give_identical_embeddings(arch, tiny_bert, tmp_path):
    cfg = default_cfg(projection_dim=16) if arch == "default" else paper_cfg(tiny_bert)
    model, tokenizer = make(cfg, zscore=True)
    model.standardizer.set_statistics(torch.linspace(-1, 1, F), torch.linspace(0.5, 2, F))
    save_model(tmp_path / "m", model, tokenizer, prompt=PROMPT)
    loaded, loaded_tokenizer = load_model(tmp_path / "m")
    assert not loaded.training
    assert loaded.model_config == model.model_config and loaded.pose_config == model.pose_config
    batch = make_batch(tokenizer)
    reloaded_batch = make_batch(loaded_tokenizer)
    assert torch.equal(batch.text.input_ids, reloaded_batch.text.input_ids)
    with torch.no_grad():
        before, after = model.eval()(batch), loaded(reloaded_batch)
    torch.testing.assert_close(after.pose_emb, before.pose_emb, atol=1e-6, rtol=0)
    torch.testing.assert_close(after.text_emb, before.text_emb, atol=1e-6, rtol=0)
    torch.testing.assert_close(after.logit_scale, before.logit_scale)


@pytest.fixture
def saved(tmp_path):
    model, tokenizer = make(default_cfg())
    save_model(tmp_path / "m", model, tokenizer, prompt=PROMPT)
    return tmp_path / "m"


def test_saved_folder_layout(saved):
    meta = json.loads((saved / CONFIG_FILE).read_text())
    assert meta["format_version"] == 2 and meta["num_features"] == F
    assert meta["model"]["pose_width"] == 32 and meta["pose"]["preset"] == "reduced-face"
    assert (saved / "tokenizer").is_dir()
    assert json.loads((saved / "text_config" / "config.json").read_text())["num_hidden_layers"] == 1
    assert "log_logit_scale" in load_file(str(saved / WEIGHTS_FILE))


def test_load_missing_folder(tmp_path):
    with pytest.raises(ModelFolderError, match="no such model folder"):
        load_model(tmp_path / "nothing")


@pytest.mark.parametrize("name", [WEIGHTS_FILE, CONFIG_FILE])
def test_load_missing_file(saved, name):
    (saved / name).unlink()
    with pytest.raises(ModelFolderError, match=name):
        load_model(saved)


def test_load_unknown_and_missing_keys(saved):
    weights = load_file(str(saved / WEIGHTS_FILE))
    weights["surprise"] = torch.zeros(1)
    del weights["pose_encoder.norm.weight"]
    save_file(weights, str(saved / WEIGHTS_FILE))
    with pytest.raises(ModelFolderError, match=r"1 missing .*norm\.weight.*1 unknown .*surprise"):
        load_model(saved)


def test_load_mismatched_shapes(saved):
    meta = json.loads((saved / CONFIG_FILE).read_text())
    meta["model"]["pose_ffn"] = 48
    (saved / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFolderError, match="another shape"):
        load_model(saved)


def test_load_bad_config(saved):
    meta = json.loads((saved / CONFIG_FILE).read_text())
    meta["model"]["pose_wdth"] = 32
    (saved / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFolderError, match="pose_wdth"):
        load_model(saved)
    meta["format_version"] = 3
    (saved / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFolderError, match="format_version"):
        load_model(saved)


def test_logit_scale_init_must_fit_under_the_cap():
    with pytest.raises(ConfigError, match="logit_scale_init"):
        make(default_cfg(logit_scale_init=200.0))
    assert make(default_cfg(logit_scale_init=100.0))[0].logit_scale.item() <= 100.0


def test_frozen_text_tower_gets_no_gradient_and_no_dropout():
    model, tokenizer = make(default_cfg(projection_dim=16, freeze_text=True))
    batch = make_batch(tokenizer)
    model.train()
    assert not model.text_encoder.training and model.pose_encoder.training
    loss = ContrastiveLoss(LossConfig())(model(batch), batch.text_ids)
    loss.backward()
    # Only the language tags' rows of the input embedding learn (models/signclip.py).
    embedding = model.text_encoder.model.get_input_embeddings().weight
    text_params = [p for p in model.text_encoder.parameters() if p is not embedding]
    assert all(not p.requires_grad and p.grad is None for p in text_params)
    learning_rows = embedding.grad.abs().sum(dim=1).nonzero().flatten().tolist()
    assert learning_rows and set(learning_rows) <= set(tokenizer.tag_token_ids())
    assert model.text_projection.weight.grad.abs().sum() > 0  # the projection still learns
    assert model.pose_encoder.frames.linear1.weight.grad.abs().sum() > 0
    # dropout stays off in the locked tower: two passes in train mode agree
    first, second = model.encode_text(batch.text), model.encode_text(batch.text)
    assert torch.equal(first, second)
