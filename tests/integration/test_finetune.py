import csv
import json

import pytest
import torch
from safetensors.torch import load_file

from signclip.errors import SignclipError
from tests.integration.cli import run_cli


def downstream_manifest(source, target, test_split="test"):
    """The tiny dataset as another sign language (a tag the model has not seen), dev -> test."""
    with source.open() as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["sign_language"] = "bfi"
        row["pose"] = str(source.parent / row["pose"])
        if row["split"] == "dev":
            row["split"] = test_split
    with target.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def finetune_args(model, manifest, out_dir, *extra):
    return [
        "finetune",
        "--model",
        str(model),
        "--manifest",
        str(manifest),
        "--set",
        f"train.out_dir={out_dir}",
        "--set",
        "train.batch_size=4",
        "--set",
        "train.warmup_steps=1",
        "--set",
        "train.epochs=1",
        "--set",
        "train.lr=1e-3",
        "--set",
        "train.progress=false",
        "--set",
        "data.workers=1",
        *extra,
    ]


def test_finetune_changes_weights_keeps_architecture_and_resumes(capsys, trained_run, tmp_path):
    run, manifest = trained_run
    downstream = downstream_manifest(manifest, tmp_path / "downstream.csv")
    out = tmp_path / "ft"
    code, _, err = run_cli(
        capsys, *finetune_args(run.model, downstream, out, "--set", "train.max_steps=1")
    )
    assert code == 0, err
    code, printed, err = run_cli(capsys, *finetune_args(run.model, downstream, out, "--resume"))
    assert code == 0, err
    tuned = out / "checkpoints" / "last"
    before, after = (
        load_file(str(run.model / "model.safetensors")),
        load_file(str(tuned / "model.safetensors")),
    )
    # the new sign-language tag added one token row; every other weight kept its shape
    grown = {k for k in before if before[k].shape != after[k].shape}
    assert all("word_embeddings" in k for k in grown) and len(grown) == 1
    assert any(not torch.equal(before[k], after[k]) for k in before if k not in grown)
    saved = json.loads((run.model / "signclip.json").read_text())
    tuned_cfg = json.loads((tuned / "signclip.json").read_text())
    assert tuned_cfg["model"] == saved["model"] and tuned_cfg["pose"] == saved["pose"]
    progress = torch.load(tuned / "trainer_state.pt", weights_only=False)["progress"]
    assert progress["epoch"] == 1 and progress["step"] == 3  # 12 train clips, batch 4
    assert (out / "metrics.jsonl").is_file()
    recognition = json.loads((out / "recognition.json").read_text())
    zero_shot = recognition["methods"]["zero-shot"]
    assert zero_shot["classes"] == 4 and zero_shot["chance"]["top1"] == 0.25
    assert "zero-shot" in printed


def test_finetune_refuses_bad_inputs_in_one_line(capsys, trained_run, tmp_path):
    run, manifest = trained_run
    no_test = downstream_manifest(manifest, tmp_path / "no-test.csv", test_split="dev")
    cases = [
        (finetune_args(tmp_path / "missing", manifest, tmp_path / "a"), "missing"),
        (finetune_args(run.model, no_test, tmp_path / "b"), "'test'"),
        (
            finetune_args(run.model, no_test, tmp_path / "c", "--set", "model.pose_layers=9"),
            "model",
        ),
        # dev picks the best checkpoint: it cannot also be the recognition test split
        (finetune_args(run.model, manifest, tmp_path / "d", "--test-split", "dev"), "validation"),
    ]
    for argv, named in cases:
        code, _, err = run_cli(capsys, *argv)
        assert code == 1 and named in err and err.count("\n") == 1, err
    # refused before any training: no run folder was started
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("section", ["model", "pose"])
def test_init_from_refuses_a_run_config_that_differs_from_the_folder(trained_run, section):
    from signclip.config import load_config
    from signclip.data.prepared import prepare_data
    from signclip.errors import ConfigError
    from signclip.training.pretrained import config_from_folder, load_initial_model

    run, manifest = trained_run
    cfg = config_from_folder(load_config("tiny", [f"data.manifest={manifest}"]), run.model)
    data = prepare_data(cfg.data, cfg.pose, progress=False)
    changed = {"model": "model.pose_layers=7", "pose": "pose.preset=sign-vq"}[section]
    other = load_config("tiny", [f"data.manifest={manifest}", changed])
    other = type(cfg)(**{**cfg.__dict__, section: getattr(other, section)})
    with pytest.raises(ConfigError, match=f"{section}\\."):
        load_initial_model(other, data)


def test_a_run_saved_before_a_config_key_existed_still_resumes(tiny_manifest, tmp_path):
    import yaml

    from signclip.config import load_config
    from signclip.training.loop import train

    overrides = [
        f"data.manifest={tiny_manifest}",
        f"train.out_dir={tmp_path / 'old'}",
        "data.workers=1",
        "model.max_frames=32",
        "train.epochs=1",
    ]
    train(load_config("tiny", [*overrides, "train.max_steps=1"]))
    saved = tmp_path / "old" / "config.yaml"
    old = yaml.safe_load(saved.read_text())
    # as written before these keys existed (one defaults to None, one to 0)
    del old["train"]["init_from"], old["data"]["bucket_size"]
    saved.write_text(yaml.safe_dump(old))
    resumed = train(load_config("tiny", overrides), resume=True)
    assert resumed.last.is_dir()
    # a key set away from its default is still a change that blocks resuming
    old["data"]["bucket_size"] = 4
    saved.write_text(yaml.safe_dump(old))
    with pytest.raises(SignclipError, match="bucket_size"):
        train(load_config("tiny", overrides), resume=True)
    # a damaged settings file is refused by name, not guessed at
    for text, named in (("", "not a run's settings"), ("train: null\n", "not a run's settings")):
        saved.write_text(text)
        with pytest.raises(SignclipError, match=named):
            train(load_config("tiny", overrides), resume=True)
    del old["model"]
    saved.write_text(yaml.safe_dump(old))
    with pytest.raises(SignclipError, match="section 'model' is missing"):
        train(load_config("tiny", overrides), resume=True)
    saved.unlink()
    with pytest.raises(SignclipError, match="cannot read"):
        train(load_config("tiny", overrides), resume=True)
