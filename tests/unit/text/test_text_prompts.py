import pytest

from signclip.errors import ConfigError
from signclip.text.prompts import language_tags, make_prompt

TEMPLATE = "<{spoken_language}> <{sign_language}> {text}"


def test_make_prompt_fills_the_template():
    assert make_prompt(TEMPLATE, "house", "en", "ase") == "<en> <ase> house"


def test_make_prompt_keeps_braces_in_the_text():
    assert make_prompt(TEMPLATE, "a {b}", "en", "ase") == "<en> <ase> a {b}"


def test_make_prompt_names_an_unknown_field():
    with pytest.raises(ConfigError, match="gloss"):
        make_prompt("<{spoken_language}> {gloss}", "house", "en", "ase")


@pytest.mark.parametrize(
    ("prompt", "tags"),
    [
        ("<en> <ase> house", ["<en>", "<ase>"]),
        ("<de-CH> <sgg> Haus", ["<de-CH>", "<sgg>"]),
        ("  <zh-Hans-CN>   <csl> 房子", ["<zh-Hans-CN>", "<csl>"]),
        ("house <en>", []),
        ("<en> house <ase>", ["<en>"]),
        ("<en><ase>house", ["<en>", "<ase>"]),
        ("<> <1x> house", []),
        ("", []),
    ],
)
def test_language_tags_only_at_the_start(prompt, tags):
    assert language_tags(prompt) == tags


def test_language_tags_of_a_made_prompt():
    assert language_tags(make_prompt(TEMPLATE, "<b> hi", "en", "bfi")) == ["<en>", "<bfi>"]
