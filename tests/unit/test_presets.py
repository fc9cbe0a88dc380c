"""Every bundled preset loads and builds offline; the paper presets have the published size."""

import pytest
import torch

from signclip.batch import PoseBatch
from signclip.config import load_config, preset_names
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.text_encoder import OFFLINE_CONFIGS
from signclip.pose.features import feature_layout

OFFLINE = "model.text_pretrained=false"
# Reference §1: E7.2 (12 pose layers) 217M parameters, the 6-layer baseline 175M.
PUBLISHED_SIZES = {
    ("paper-e7.2", ()): 217e6,
    ("paper-e7.2", ("model.pose_layers=6",)): 175e6,
    ("paper-sign-vq-zscore", ()): 217e6,
}


def build(cfg, device="cpu"):
    tokenizer = build_tokenizer(cfg.model)
    with torch.device(device):
        model = build_model(cfg.model, cfg.pose, feature_layout(cfg.pose).num_features, tokenizer)
    return model, tokenizer


def count_with_published_vocabulary(model, text_model: str) -> int:
    """Parameters, with each word-embedding table sized to the text model's own vocabulary (the
    offline build may use a stand-in tokenizer of another size)."""
    vocab = OFFLINE_CONFIGS[text_model]["vocab_size"]
    total = 0
    for name, param in model.named_parameters():
        if name.endswith("word_embeddings.weight"):
            total += vocab * param.shape[1]
        else:
            total += param.numel()
    return total


def test_the_paper_presets_are_bundled():
    assert {"paper-e7.2", "paper-sign-vq-zscore", "fingerclip", "finetune"} <= set(preset_names())


@pytest.mark.parametrize("name", preset_names())
def test_preset_builds_offline_and_embeds(name):
    cfg = load_config(name, [OFFLINE])
    if cfg.model.arch == "paper":
        small = ["model.text_layers=1", "model.pose_layers=1", "model.max_frames=8"]
    else:
        small = [
            "model.text_layers=1",
            "model.pose_layers=1",
            "model.pose_width=32",
            "model.pose_heads=2",
            "model.pose_ffn=32",
            "model.max_frames=8",
        ]
    cfg = load_config(name, [OFFLINE, *small])
    model, tokenizer = build(cfg)
    model.eval()
    features = torch.randn(2, 5, feature_layout(cfg.pose).num_features)
    mask = torch.ones(2, 5, dtype=torch.bool)
    with torch.no_grad():
        pose = model.encode_pose(PoseBatch(features, mask))
        text = model.encode_text(tokenizer(["<en> <ase> house", "<en> <ase> tree"]))
    assert pose.shape == text.shape == (2, model.embedding_size)
    assert torch.isfinite(pose).all() and torch.isfinite(text).all()


@pytest.mark.parametrize(("name", "extra"), list(PUBLISHED_SIZES))
def test_paper_preset_has_the_published_parameter_count(name, extra):
    cfg = load_config(name, [OFFLINE, *extra])
    model, _ = build(cfg, device="meta")  # full size, no memory
    count = count_with_published_vocabulary(model, cfg.model.text_model)
    assert count == pytest.approx(PUBLISHED_SIZES[(name, extra)], rel=0.01)


def test_fingerclip_matches_the_paper_setup():
    cfg = load_config("fingerclip", [OFFLINE])
    assert feature_layout(cfg.pose).num_features == 63  # dominant hand, 21 points x 3
    assert cfg.model.text_model == "bert-base-uncased" and cfg.model.pose_layers == 6
    assert cfg.augment.affine_std > 0 and cfg.train.batch_size == 35
    model, _ = build(cfg, device="meta")
    text_vocab = model.text_encoder.model.embeddings.word_embeddings.weight.shape[0]
    assert text_vocab >= OFFLINE_CONFIGS["bert-base-uncased"]["vocab_size"]


def test_finetune_recipe_is_the_papers():
    cfg = load_config("finetune")
    assert (cfg.train.batch_size, cfg.train.warmup_steps, cfg.train.epochs) == (256, 122, 25)
    assert cfg.train.lr == 5e-5 and cfg.loss.duplicate_texts == "mask"


def test_e72_matches_the_reference_recipe():
    cfg = load_config("paper-e7.2", [OFFLINE])
    assert feature_layout(cfg.pose).num_features == 609 and cfg.pose.fps is None
    assert cfg.augment.speed_std == 0.2 and cfg.augment.affine_std == cfg.augment.flip_p == 0
    m = cfg.model
    assert (m.text_model, m.language_tags, m.max_frames, m.pose_layers) == (
        "bert-base-cased",
        "text",
        256,
        12,
    )
    assert m.pose_init_from_text and m.projection_dim is None and not m.normalize
    assert m.logit_scale_init == 1.0 and not m.learnable_scale
    assert (cfg.loss.reduction, cfg.loss.duplicate_texts) == ("sum", "negatives")
    t = cfg.train
    assert (t.batch_size, t.lr, t.warmup_steps, t.epochs, t.weight_decay) == (
        448,
        5e-5,
        1000,
        25,
        0,
    )
    assert (t.schedule, t.grad_clip, t.betas) == ("constant", 2.0, (0.9, 0.98))
