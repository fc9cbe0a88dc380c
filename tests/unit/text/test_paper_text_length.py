"""Paper presets cut texts as the original SignCLIP does: [CLS], at most 61 word-pieces, [SEP]."""

import pytest

from signclip.config import load_config
from signclip.models.factory import build_tokenizer

PAPER_PRESETS = ("paper-e7.2", "paper-sign-vq-zscore", "fingerclip")


def numbers(count: int) -> list[str]:
    # Each of "100".."999" is one word-piece in BERT vocabularies, and their order is visible.
    return [str(100 + i) for i in range(count)]


@pytest.fixture(scope="module", params=PAPER_PRESETS)
def tokenizer(request):
    # Random weights: bert-base-cased/uncased cannot be downloaded here, so the bundled MiniLM
    # tokenizer stands in with the preset's length and tag settings.
    cfg = load_config(request.param, ["model.text_pretrained=false"])
    assert cfg.model.text_max_length == 63
    return build_tokenizer(cfg.model)


@pytest.mark.parametrize(("pieces", "kept"), [(60, 60), (61, 61), (62, 61), (70, 61)])
def test_a_text_keeps_its_first_61_word_pieces(tokenizer, pieces, kept):
    words = numbers(pieces)
    assert len(tokenizer.tokenizer.tokenize(" ".join(words))) == pieces
    batch = tokenizer([" ".join(words)])
    ids = batch.input_ids[0].tolist()
    assert batch.attention_mask[0].tolist() == [1] * (kept + 2)
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.tokenizer.convert_ids_to_tokens(ids[1:-1]) == words[:kept]


def test_a_long_text_beside_a_short_one_is_cut_the_same(tokenizer):
    long, short = " ".join(numbers(70)), "house"
    alone = tokenizer([long]).input_ids[0]
    batch = tokenizer([short, long])
    assert batch.input_ids.shape == (2, 63)
    assert batch.input_ids[1].tolist() == alone.tolist()
