"""Config sections check themselves however they are built; `--set` reads values by key type."""

import dataclasses

import pytest

from signclip.config import (
    AugmentConfig,
    Config,
    DataConfig,
    ModelConfig,
    PoseConfig,
    TrainConfig,
    from_dict,
    load_config,
    preset_names,
)
from signclip.errors import ConfigError


def test_direct_construction_refuses_an_unknown_literal():
    with pytest.raises(ConfigError, match=r"config key model\.arch: 'nope' is not one of"):
        ModelConfig(arch="nope")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TrainConfig(lr=0), r"config key train\.lr: 0\.0 must be > 0\.0"),
        (lambda: TrainConfig(epochs=0), r"config key train\.epochs: 0 must be >= 1"),
        (lambda: TrainConfig(max_steps=0), r"train\.max_steps: 0 must be >= 1"),
        (lambda: ModelConfig(text_max_length=1), r"model\.text_max_length: 1 must be >= 2"),
        (lambda: PoseConfig(fps=float("nan")), r"pose\.fps: nan must be > 0\.0"),
        (lambda: AugmentConfig(flip_p=1.5), r"augment\.flip_p: 1\.5 must be <= 1\.0"),
        (lambda: DataConfig(workers=-1), r"data\.workers: -1 must be >= 0"),
    ],
)
def test_direct_construction_refuses_values_out_of_range(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


def test_direct_construction_checks_cheap_types():
    with pytest.raises(ConfigError, match=r"train\.epochs: expected int, got bool"):
        TrainConfig(epochs=True)
    with pytest.raises(ConfigError, match=r"train\.betas\[1\]: expected float, got str"):
        TrainConfig(betas=(0.9, "high"))
    with pytest.raises(ConfigError, match=r"data\.manifest: expected str"):
        DataConfig(manifest=3)


def test_construction_normalises_what_it_accepts():
    cfg = TrainConfig(lr=1, betas=[0.9, 0.95])
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)
    assert cfg.betas == (0.9, 0.95)  # a tuple: the config stays hashable
    assert ModelConfig(text_layers=None).text_layers is None


def test_replace_is_checked_too():
    with pytest.raises(ConfigError, match=r"train\.batch_size"):
        dataclasses.replace(TrainConfig(), batch_size=0)


def test_load_config_and_overrides_name_the_section():
    with pytest.raises(ConfigError, match=r"config key train\.lr: 0\.0 must be > 0\.0"):
        load_config("tiny", ["train.lr=0"])
    with pytest.raises(ConfigError, match=r"config key model\.arch: 'nope'"):
        load_config("tiny", ["model.arch=nope"])
    with pytest.raises(ConfigError, match=r"model\.pose_heads: 0 must be >= 1"):
        from_dict(Config, {"model": {"pose_heads": 0}}, "")


def test_yaml_file_is_checked(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("train:\n  epochs: 0\n")
    with pytest.raises(ConfigError, match=r"config key train\.epochs: 0 must be >= 1"):
        load_config(path)


@pytest.mark.parametrize(
    ("override", "key", "expected"),
    [
        (
            "data.prompt=Sign {text} in {sign_language}.",
            "prompt",
            "Sign {text} in {sign_language}.",
        ),
        ("data.val_split=no", "val_split", "no"),
        ("data.train_split=2024", "train_split", "2024"),
        ("data.manifest=clips: all.csv", "manifest", "clips: all.csv"),
        ("data.cache_dir=null", "cache_dir", None),
        ("data.cache_dir=~", "cache_dir", None),
        ("data.cache_dir=", "cache_dir", None),
        ("data.cache_dir=2024", "cache_dir", "2024"),
    ],
)
def test_text_overrides_are_taken_verbatim(override, key, expected):
    assert getattr(load_config("tiny", [override]).data, key) == expected


def test_literal_override_is_text_and_still_checked():
    assert load_config("tiny", ["train.precision=fp16"]).train.precision == "fp16"
    with pytest.raises(ConfigError, match=r"train\.precision: 'yes' is not one of"):
        load_config("tiny", ["train.precision=yes"])


def test_typed_overrides_are_parsed_as_yaml():
    cfg = load_config(
        "tiny",
        [
            "train.lr=1e-3",
            "train.betas=[0.9,0.95]",
            "train.progress=no",
            "data.strict=true",
            "train.max_steps=7",
            "pose.fps=25",
            "model.text_layers=null",
        ],
    )
    assert cfg.train.lr == pytest.approx(1e-3) and isinstance(cfg.train.lr, float)
    assert cfg.train.betas == (0.9, 0.95)
    assert cfg.train.progress is False and cfg.data.strict is True
    assert cfg.train.max_steps == 7 and cfg.pose.fps == 25.0
    assert cfg.model.text_layers is None


def test_bad_overrides_are_refused_by_key():
    with pytest.raises(ConfigError, match=r"unknown config key 'train\.lrr'"):
        load_config("tiny", ["train.lrr=1e-3"])
    with pytest.raises(ConfigError, match=r"unknown config key 'trian'"):
        load_config("tiny", ["trian.lr=1e-3"])
    with pytest.raises(ConfigError, match=r"override train\.lr\.x: train\.lr is not a section"):
        load_config("tiny", ["train.lr.x=1"])
    with pytest.raises(ConfigError, match=r"train\.epochs: expected int, got str"):
        load_config("tiny", ["train.epochs=many"])
    with pytest.raises(ConfigError, match=r"override train\.betas=\[0\.9,: not a valid value"):
        load_config("tiny", ["train.betas=[0.9,"])
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config("tiny", ["train.lr"])


@pytest.mark.parametrize("name", preset_names())
def test_every_bundled_preset_loads(name):
    assert isinstance(load_config(name), Config)


@pytest.mark.parametrize("template", ["{gloss} in {sign_language}", "Sign {text", "{0} {text}"])
def test_prompt_with_unknown_placeholders_is_refused(template):
    with pytest.raises(ConfigError, match=r"config key data\.prompt"):
        load_config("tiny", [f"data.prompt={template}"])
    with pytest.raises(ConfigError, match=r"config key data\.prompt"):
        DataConfig(prompt=template)
