"""A locked text tower still learns its language tags, and nothing else of it."""

import torch

from signclip.batch import Batch, PoseBatch
from signclip.config import load_config
from signclip.losses import info_nce
from signclip.models.factory import build_model, build_tokenizer
from signclip.pose.features import feature_layout
from signclip.training.optim import build_optimizer

TAGS = ["<en>", "<ase>", "<gsg>"]
PROMPTS = ["<en> <ase> house", "<en> <gsg> house", "<en> <ase> tree", "<en> <gsg> tree"]


def locked_model():
    # The demo's text tower (pretrained MiniLM, locked) with a small pose tower.
    small = [
        "model.pose_width=32",
        "model.pose_layers=1",
        "model.pose_ffn=64",
        "model.pose_heads=2",
    ]
    cfg = load_config("demo", [*small, "model.max_frames=16"])
    tokenizer = build_tokenizer(cfg.model)
    tokenizer.add_language_tags(TAGS)
    torch.manual_seed(0)
    num_features = feature_layout(cfg.pose).num_features
    model = build_model(cfg.model, cfg.pose, num_features, tokenizer)
    return cfg, model, tokenizer, num_features


def train_steps(cfg, model, tokenizer, num_features, steps=5):
    optimizer = build_optimizer(model.train(), cfg.train)
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(len(PROMPTS), 10, num_features, generator=generator)
    batch = Batch(
        PoseBatch(features, torch.ones(len(PROMPTS), 10, dtype=torch.bool)),
        tokenizer(PROMPTS),
        torch.arange(len(PROMPTS)),
        [str(i) for i in range(len(PROMPTS))],
    )
    for _ in range(steps):
        out = model(batch)
        info_nce(out.pose_emb, out.text_emb, out.logit_scale, batch.text_ids).backward()
        optimizer.step()
        optimizer.zero_grad()


def test_tag_rows_learn_while_the_rest_of_the_locked_tower_stays_put():
    cfg, model, tokenizer, num_features = locked_model()
    tag_ids = tokenizer.tag_token_ids()
    assert len(tag_ids) == 3
    embedding = model.text_encoder.model.get_input_embeddings().weight
    before = {n: p.detach().clone() for n, p in model.text_encoder.named_parameters()}
    train_steps(cfg, model, tokenizer, num_features)

    after = dict(model.text_encoder.named_parameters())
    changed = [n for n in before if not torch.equal(before[n], after[n])]
    assert changed == ["model.embeddings.word_embeddings.weight"]
    assert not model.text_encoder.training  # locked: no dropout
    rows_changed = (embedding.detach() != before[changed[0]]).any(dim=1).nonzero().flatten()
    assert sorted(rows_changed.tolist()) == tag_ids


def test_language_tags_tell_prompts_apart_after_training():
    cfg, model, tokenizer, num_features = locked_model()

    def similarity() -> float:
        with torch.no_grad():
            emb = model.eval().encode_text(tokenizer(PROMPTS[:2]))
        return float(emb[0] @ emb[1])

    # Added tags start as one shared vector: before training the two prompts are the same text.
    assert similarity() > 1 - 1e-6
    train_steps(cfg, model, tokenizer, num_features)
    assert similarity() < 0.999


def test_unlocked_tags_are_not_weight_decayed():
    _, model, _, _ = locked_model()
    cfg = load_config("tiny", ["train.weight_decay=0.5"])
    optimizer = build_optimizer(model, cfg.train)
    embedding = model.text_encoder.model.get_input_embeddings().weight
    decay_of = {id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]}
    assert decay_of[id(embedding)] == 0.0
    assert 0.5 in decay_of.values()  # the pose tower's matrices still decay
