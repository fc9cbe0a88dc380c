"""Text tower, pose towers and the z-score standardizer, each on its own."""

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from signclip.config import ModelConfig
from signclip.errors import ConfigError
from signclip.models.pose_encoder import PaperPoseEncoder, PoseEncoder, paper_pose_config
from signclip.models.standardize import MIN_STD, PointStandardizer
from signclip.models.text_encoder import (
    MINILM_NAME,
    TextEncoder,
    build_text_encoder,
    load_text_config,
    resolve_text_model,
)
from signclip.text.tokenizer import TextTokenizer

F = 12
CLS, SEP = 1, 2


def tiny_pose_cfg(**changes) -> ModelConfig:
    base = {"pose_width": 32, "pose_layers": 2, "pose_heads": 4, "pose_ffn": 64, "max_frames": 16}
    return ModelConfig(**{**base, **changes})


def tiny_bert_config(layers: int = 2) -> BertConfig:
    return BertConfig(
        vocab_size=20,
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=24,
    )


def clips(lengths: list[int], frames: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Random features [B, frames, F], zero on padding, and their mask."""
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(len(lengths), frames, F, generator=gen)
    mask = torch.arange(frames).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    return features * mask.unsqueeze(-1), mask


# --- text tower ---------------------------------------------------------------------------------


def test_resolve_text_model():
    folder = resolve_text_model(MINILM_NAME)
    assert (Path(folder) / "model.safetensors").is_file()
    assert resolve_text_model(folder) == folder
    assert resolve_text_model("bert-base-cased") == "bert-base-cased"


def test_bert_base_cased_shape_without_network():
    config = load_text_config(ModelConfig(text_model="bert-base-cased", text_pretrained=False))
    shape = (
        config.num_hidden_layers,
        config.hidden_size,
        config.num_attention_heads,
        config.intermediate_size,
        config.vocab_size,
        config.max_position_embeddings,
        config.type_vocab_size,
    )
    assert shape == (12, 768, 12, 3072, 28996, 512, 2)


def test_random_text_encoder_is_cut_and_sized_to_the_tokenizer():
    cfg = ModelConfig(text_pretrained=False, text_layers=1)
    encoder = build_text_encoder(cfg, vocab_size=30600)
    assert len(encoder.model.encoder.layer) == 1
    assert encoder.model.get_input_embeddings().num_embeddings == 30600
    assert encoder.model.pooler is None


def test_text_layers_beyond_the_model_is_a_config_error():
    with pytest.raises(ConfigError, match="text_layers"):
        build_text_encoder(ModelConfig(text_pretrained=False, text_layers=7), 0)


@pytest.mark.parametrize("arch", ["default", "paper"])
def test_text_pooling(arch):
    torch.manual_seed(0)
    encoder = build_text_encoder(ModelConfig(arch=arch, text_pretrained=False, text_layers=1), 0)
    encoder.eval()
    ids = torch.tensor([[101, 2000, 2001, 102, 0], [101, 2003, 2004, 2005, 102]])
    mask = (ids != 0).long()
    with torch.no_grad():
        hidden = encoder.model(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = encoder(ids, mask)
    first = 1 if arch == "paper" else 0  # the paper leaves [CLS] out, keeps [SEP]
    for row in range(2):
        real = int(mask[row].sum())
        expected = hidden[row, first:real].mean(dim=0)
        torch.testing.assert_close(pooled[row], expected, atol=1e-6, rtol=1e-5)


def test_pretrained_minilm_puts_related_words_together():
    cfg = ModelConfig(text_max_length=16)
    tok = TextTokenizer.from_pretrained(resolve_text_model(MINILM_NAME), 16, "special", True)
    encoder = build_text_encoder(cfg, len(tok)).eval()
    with torch.no_grad():
        batch = tok(["house", "home", "banana"])
        emb = torch.nn.functional.normalize(encoder(batch.input_ids, batch.attention_mask), dim=-1)
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.1


# --- default pose tower -------------------------------------------------------------------------


def test_pose_padding_never_changes_an_embedding():
    torch.manual_seed(0)
    encoder = PoseEncoder(tiny_pose_cfg(), F).eval()
    features, mask = clips([4, 16, 9], 16)
    for context in (torch.no_grad, torch.inference_mode, torch.enable_grad):
        with context():
            batched = encoder(features, mask)
            for row, length in enumerate([4, 16, 9]):
                alone = encoder(features[row : row + 1, :length], mask[row : row + 1, :length])
                torch.testing.assert_close(batched[row], alone[0], atol=1e-5, rtol=0)


def test_pose_content_of_padding_is_ignored():
    torch.manual_seed(0)
    encoder = PoseEncoder(tiny_pose_cfg(), F).eval()
    features, mask = clips([5, 8], 8)
    noisy = features + torch.randn_like(features) * (~mask).unsqueeze(-1)
    with torch.no_grad():
        torch.testing.assert_close(encoder(features, mask), encoder(noisy, mask), atol=1e-6, rtol=0)


@pytest.mark.parametrize("encoder_kind", ["default", "paper"])
def test_more_frames_than_max_frames_is_refused(encoder_kind):
    if encoder_kind == "default":
        encoder = PoseEncoder(tiny_pose_cfg(max_frames=8), F)
    else:
        encoder = PaperPoseEncoder(tiny_bert_config(), F, 8, CLS, SEP)
    features, mask = clips([9], 9)
    with pytest.raises(ValueError, match="max_frames=8"):
        encoder(features, mask)


def test_clip_without_frames_does_not_poison_the_batch():
    encoder = PoseEncoder(tiny_pose_cfg(), F).eval()
    features, mask = clips([0, 5], 6)
    out = encoder(features, mask)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[0], torch.zeros(32))


def test_width_must_split_into_heads():
    with pytest.raises(ConfigError, match="pose_heads"):
        PoseEncoder(tiny_pose_cfg(pose_heads=5), F)


# --- paper pose tower ---------------------------------------------------------------------------


class Recorder:
    """Captures what PaperPoseEncoder hands to BERT."""

    def __init__(self, encoder: PaperPoseEncoder):
        self.embeds = self.mask = None
        encoder.bert.register_forward_pre_hook(self.hook, with_kwargs=True)

    def hook(self, module, args, kwargs):
        self.embeds = kwargs["inputs_embeds"].detach().clone()
        self.mask = kwargs["attention_mask"].detach().clone()


def test_paper_sequence_layout():
    max_frames = 16
    encoder = PaperPoseEncoder(tiny_bert_config(), F, max_frames, CLS, SEP).eval()
    recorder = Recorder(encoder)
    features, mask = clips([3, 7], 7)
    with torch.no_grad():
        encoder(features, mask)
        frames = encoder.frames(features)
    words = encoder.bert.embeddings.word_embeddings.weight.detach()
    assert recorder.embeds.shape == (2, max_frames + 2, 32)
    for row, length in enumerate([3, 7]):
        assert torch.equal(recorder.embeds[row, 0], words[CLS])
        assert torch.equal(recorder.embeds[row, max_frames + 1], words[SEP])
        torch.testing.assert_close(recorder.embeds[row, 1 : length + 1], frames[row, :length])
        assert not recorder.embeds[row, 8 : max_frames + 1].any()
        expected = [1] + [1] * length + [0] * (max_frames - length) + [1]
        assert recorder.mask[row].tolist() == expected


def test_paper_pooling_excludes_cls_and_includes_sep():
    max_frames = 16
    torch.manual_seed(0)
    encoder = PaperPoseEncoder(tiny_bert_config(), F, max_frames, CLS, SEP).eval()
    features, mask = clips([3, 10], 10, seed=1)
    with torch.no_grad():
        pooled = encoder(features, mask)
        for row, length in enumerate([3, 10]):
            # Built here by hand, one clip at a time, position by position.
            words = encoder.bert.embeddings.word_embeddings.weight
            tokens = torch.zeros(1, max_frames + 2, 32)
            tokens[0, 0] = words[CLS]
            tokens[0, max_frames + 1] = words[SEP]
            tokens[0, 1 : length + 1] = encoder.frames(features[row, :length])
            attention = torch.zeros(1, max_frames + 2, dtype=torch.long)
            attention[0, : length + 1] = 1
            attention[0, max_frames + 1] = 1
            positions = torch.arange(max_frames + 2).unsqueeze(0)
            hidden = encoder.bert(
                inputs_embeds=tokens,
                attention_mask=attention,
                position_ids=positions,
                token_type_ids=torch.zeros_like(positions),
            ).last_hidden_state[0]
            kept = [*range(1, length + 1), max_frames + 1]
            expected = torch.stack([hidden[i] for i in kept]).mean(dim=0)
            torch.testing.assert_close(pooled[row], expected, atol=1e-5, rtol=1e-5)


def test_paper_pose_tower_starts_as_the_text_model():
    torch.manual_seed(0)
    text = BertModel(tiny_bert_config(layers=3), add_pooling_layer=False)
    encoder = PaperPoseEncoder(paper_pose_config(text.config, 2, 0.1), F, 16, CLS, SEP)
    encoder.init_from_text(text)
    theirs = text.state_dict()
    mine = encoder.bert.state_dict()
    assert set(mine) == {k for k in theirs if not k.startswith("encoder.layer.2.")}
    for key, value in mine.items():
        assert torch.equal(value, theirs[key]), key
    assert encoder.bert.config.num_hidden_layers == 2
    assert text.config.num_hidden_layers == 3  # the text config is copied, never changed


def test_paper_init_needs_enough_text_layers():
    text = BertModel(tiny_bert_config(layers=1), add_pooling_layer=False)
    encoder = PaperPoseEncoder(paper_pose_config(text.config, 2, 0.1), F, 16, CLS, SEP)
    with pytest.raises(ConfigError, match="pose_init_from_text"):
        encoder.init_from_text(text)


def test_paper_needs_room_for_cls_and_sep():
    with pytest.raises(ConfigError, match="max_frames"):
        PaperPoseEncoder(tiny_bert_config(), F, 23, CLS, SEP)


def test_paper_padding_never_changes_an_embedding():
    torch.manual_seed(0)
    encoder = PaperPoseEncoder(tiny_bert_config(), F, 16, CLS, SEP).eval()
    features, mask = clips([4, 16], 16)
    with torch.no_grad():
        batched = encoder(features, mask)
        alone = encoder(features[:1, :4], mask[:1, :4])
    torch.testing.assert_close(batched[0], alone[0], atol=1e-5, rtol=0)


def test_text_encoder_from_config_matches_the_paper_pooling_flag():
    encoder = TextEncoder.from_config(tiny_bert_config(), "paper")
    assert encoder.skip_first and encoder.width == 32


# --- standardizer -------------------------------------------------------------------------------


def test_standardizer_is_the_identity_until_set():
    features, _ = clips([3], 3)
    torch.testing.assert_close(PointStandardizer(F)(features), features)


def test_standardizer_z_scores_and_keeps_zeros():
    standardizer = PointStandardizer(3)
    standardizer.set_statistics(torch.tensor([1.0, -2.0, 0.5]), torch.tensor([2.0, 0.5, 0.0]))
    # The third feature never varied: its std is raised to MIN_STD instead of dividing by 0.
    features = torch.tensor([[[3.0, 0.0, 0.5 + 10 * MIN_STD]], [[0.0, -1.5, 0.0]]])
    expected = torch.tensor([[[1.0, 0.0, 10.0]], [[0.0, 1.0, 0.0]]])
    torch.testing.assert_close(standardizer(features), expected, rtol=1e-3, atol=1e-5)


def test_standardizer_rejects_bad_statistics():
    standardizer = PointStandardizer(3)
    with pytest.raises(ValueError, match="shape"):
        standardizer.set_statistics(torch.zeros(4), torch.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        standardizer.set_statistics(torch.tensor([0.0, float("nan"), 0.0]), torch.ones(3))
