import json

import pytest
import torch

from signclip.errors import ModelFolderError
from signclip.models.text_encoder import MINILM_NAME, resolve_text_model
from signclip.text.tokenizer import SETTINGS_FILE, TextTokenizer


def make(max_length: int = 16, mode: str = "special") -> TextTokenizer:
    return TextTokenizer.from_pretrained(
        resolve_text_model(MINILM_NAME), max_length, mode, local_only=True
    )


def test_pads_to_the_longest_text_in_the_batch():
    tok = make()
    batch = tok(["house", "a much longer sentence"])
    assert batch.input_ids.dtype == torch.int64
    assert batch.attention_mask.dtype == torch.int64
    lengths = batch.attention_mask.sum(dim=1).tolist()
    assert batch.input_ids.shape[1] == max(lengths)
    assert lengths[0] < lengths[1]
    assert batch.input_ids[0, 0] == tok.cls_token_id
    assert batch.input_ids[0, lengths[0] - 1] == tok.sep_token_id


def test_truncates_at_max_length_keeping_sep():
    tok = make(max_length=6)
    batch = tok(["one two three four five six seven eight nine ten"])
    assert batch.input_ids.shape == (1, 6)
    assert batch.input_ids[0, -1] == tok.sep_token_id


def test_empty_list_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        make()([])


def test_special_tags_become_single_tokens():
    tok = make()
    before = len(tok)
    assert tok.add_language_tags(["<en>", "<ase>", "<de-CH>", "<en>"]) == 3
    assert len(tok) == before + 3
    assert tok.add_language_tags(["<en>"]) == 0
    ids = tok(["<de-CH> <ase> Haus"]).input_ids[0].tolist()
    vocab = tok.tokenizer.get_vocab()
    assert ids[1:3] == [vocab["<de-CH>"], vocab["<ase>"]]


def test_text_mode_keeps_tags_as_word_pieces():
    tok = make(mode="text")
    before = len(tok)
    assert tok.add_language_tags(["<en>", "<ase>"]) == 0
    assert len(tok) == before
    pieces = tok.tokenizer.tokenize("<en> <ase> house")
    assert pieces[:3] == ["<", "en", ">"]


def test_save_and_load_tokenise_identically(tmp_path):
    tok = make(max_length=12)
    tok.add_language_tags(["<en>", "<gsg>"])
    tok.save(tmp_path / "tok")
    loaded = TextTokenizer.load(tmp_path / "tok")
    texts = ["<en> <gsg> Haus", "<en> <gsg> a rather long sentence that gets truncated"]
    a, b = tok(texts), loaded(texts)
    assert torch.equal(a.input_ids, b.input_ids)
    assert torch.equal(a.attention_mask, b.attention_mask)
    assert (loaded.max_length, loaded.language_tags, len(loaded)) == (12, "special", len(tok))


def test_load_without_settings_names_the_file(tmp_path):
    with pytest.raises(ModelFolderError, match=SETTINGS_FILE):
        TextTokenizer.load(tmp_path)


def test_load_with_broken_settings_names_the_folder(tmp_path):
    make().save(tmp_path)
    (tmp_path / SETTINGS_FILE).write_text(json.dumps({"max_length": 8}))
    with pytest.raises(ModelFolderError, match=str(tmp_path)):
        TextTokenizer.load(tmp_path)


def test_unknown_tag_mode_is_rejected():
    with pytest.raises(ValueError, match="language_tags"):
        make(mode="tokens")
