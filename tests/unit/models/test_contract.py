"""The model folder's contract: prompt template, tag mode, text length and windows travel with the
weights, and the facade reads them from there."""

import json

import numpy as np
import pytest

from signclip.errors import ConfigError, ModelFolderError
from signclip.inference import SignCLIPEncoder, window_starts
from signclip.models.contract import ModelContract
from signclip.models.io import CONFIG_FILE, VERSION_1_PROMPT, load_contract, save_model
from tests.unit.serve.helpers import tiny_model

SENTENCE = "Sign {text} in {sign_language}."


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract") / "model"
    model, tokenizer = tiny_model()
    save_model(folder, model, tokenizer, prompt=SENTENCE, window_stride=8)
    return folder


def test_folder_records_the_whole_contract(folder):
    meta = json.loads((folder / CONFIG_FILE).read_text())
    assert meta["prompt"] == SENTENCE
    assert meta["windows"] == {"frames": 32, "stride": 8}
    contract = load_contract(folder)
    assert contract == ModelContract(SENTENCE, "special", 64, 32, 8)


def test_facade_prompts_and_embeds_glosses_with_the_folders_template(folder):
    encoder = SignCLIPEncoder.from_pretrained(folder, device="cpu")
    assert encoder.prompt("house", "en", "ase") == "Sign house in ase."
    glosses = encoder.embed_glosses(["house", "tree"], "en", ["ase", "bfi"])
    texts = encoder.embed_texts(["Sign house in ase.", "Sign tree in bfi."])
    np.testing.assert_array_equal(glosses, texts)
    with pytest.raises(ValueError, match="sign_language: 1 values for 2 glosses"):
        encoder.embed_glosses(["house", "tree"], "en", ["ase"])


def test_overrides_replace_the_folders_prompt_and_stride(folder):
    encoder = SignCLIPEncoder.from_pretrained(
        folder, device="cpu", prompt="<{spoken_language}> <{sign_language}> {text}", window_stride=4
    )
    assert encoder.prompt("house", "en", "ase") == "<en> <ase> house"
    assert encoder.contract.window_stride == 4


def test_long_clips_are_windowed_with_the_folders_stride(folder):
    encoder = SignCLIPEncoder.from_pretrained(folder, device="cpu")
    clip = np.random.default_rng(0).normal(size=(70, encoder.num_features)).astype(np.float32)
    # Reference: the mean of the windows at the recorded stride, each embedded alone.
    starts = window_starts(70, 32, 8)
    assert starts == [0, 8, 16, 24, 32, 38]
    windows = np.stack([encoder.embed_features([clip[s : s + 32]])[0] for s in starts])
    pooled = windows.mean(axis=0)
    pooled /= np.linalg.norm(pooled)
    np.testing.assert_allclose(encoder.embed_features([clip])[0], pooled, atol=1e-5)


def test_version_1_folders_read_with_the_template_they_were_trained_with(folder, tmp_path):
    meta = json.loads((folder / CONFIG_FILE).read_text())
    old = {k: v for k, v in meta.items() if k not in ("prompt", "windows")}
    old["format_version"] = 1
    (tmp_path / CONFIG_FILE).write_text(json.dumps(old))
    assert load_contract(tmp_path) == ModelContract(VERSION_1_PROMPT, "special", 64, 32, 16)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt": "{gloss} in {sign_language}"}, "only {text}"),
        ({"prompt": None}, "'prompt' \\(text\\)"),
        ({"windows": {"frames": 64, "stride": 8}}, "exceeds the model's context"),
        ({"windows": {"frames": 32, "stride": 0}}, "window stride 0"),
        ({"windows": {"frames": 32, "stride": "8"}}, "must be integers"),
    ],
)
def test_damaged_contract_is_refused_in_one_line(folder, tmp_path, change, message):
    meta = {**json.loads((folder / CONFIG_FILE).read_text()), **change}
    (tmp_path / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFolderError, match=message) as caught:
        load_contract(tmp_path)
    assert "\n" not in str(caught.value)


def test_contract_refuses_a_stride_that_skips_frames():
    with pytest.raises(ConfigError, match="window stride 40"):
        ModelContract(SENTENCE, "special", 64, 32, 40)
