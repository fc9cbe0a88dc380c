import json

import numpy as np
import pytest

from signclip.cli.main import main
from signclip.data.manifest import read_manifest
from signclip.inference import SignCLIPEncoder
from tests.integration.cli import run_cli


def recognize_dev(capsys, run, manifest, *extra):
    """`signclip recognize` on the tiny run with the dev clips as the test split."""
    return run_cli(
        capsys, "recognize", "--model", run.model, "--manifest", manifest,
        "--test-split", "dev", "--no-progress", *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def recognised(trained_run, tmp_path_factory):
    """One recognize run on the tiny model: dev clips are the test split."""
    run, manifest = trained_run
    out = tmp_path_factory.mktemp("recognize") / "result.json"
    code = main(
        [
            "recognize",
            "--model",
            str(run.model),
            "--manifest",
            str(manifest),
            "--test-split",
            "dev",
            "--shots",
            "1",
            "100",
            "--template",
            "<{spoken_language}> <{sign_language}> {gloss}",
            "--template",
            "{gloss}",
            "--probe-c",
            "10",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    return run, manifest, json.loads(out.read_text())


def reference_embeddings(run, manifest, split):
    """Clips embedded straight from their .pose files (no feature cache), by split."""
    encoder = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    records = [r for r in read_manifest(manifest) if r.split == split]
    return encoder, records, encoder.embed_poses([r.pose_path for r in records])


def test_result_lists_every_method_with_chance(recognised):
    _, _, result = recognised
    assert set(result["methods"]) == {
        "zero-shot",
        "few-shot k=1",
        "knn k=1",
        "few-shot k=100",
        "knn k=100",
        "prompt+prototype k=1",
        "prompt+prototype k=100",
        "probe",
    }
    assert result["classes"] == 4 and result["test_clips"] == 4
    for metrics in result["methods"].values():
        assert metrics["chance"]["top1"] == 0.25 and metrics["chance"]["top5"] == 1.0
        assert 0.0 <= metrics["top1"] <= metrics["top5"] == 1.0
        assert set(metrics["per_class_top1"]) == {"house", "tree", "water", "friend"}
    # 3 train clips per gloss: k=100 uses all of them and says so
    assert result["methods"]["few-shot k=100"]["support_size"] == 12
    assert result["methods"]["few-shot k=100"]["classes_short_of_shots"] == {
        "house": 3,
        "tree": 3,
        "water": 3,
        "friend": 3,
    }
    assert result["methods"]["knn k=100"]["n_neighbors"] == 3
    assert result["methods"]["few-shot k=1"]["support_size"] == 4
    assert result["methods"]["probe"]["c"] == 10.0


def test_signers_shared_by_the_splits_are_reported(recognised):
    _, _, result = recognised
    # the tiny dataset's dev clips are all signed by s1, who also signs a quarter of train
    assert result["signers"]["shared_signers"] == ["s1"]
    assert result["signers"]["overlapping_test_clips"] == 4
    assert result["signers"]["overlapping_train_clips"] == 4
    assert "not signer-independent" in result["warnings"][0]


def test_zero_shot_and_prototypes_match_a_reference_from_pose_files(recognised):
    run, manifest, result = recognised
    encoder, test, test_emb = reference_embeddings(run, manifest, "dev")
    _, train, train_emb = reference_embeddings(run, manifest, "train")
    classes = list(dict.fromkeys(r.text for r in test))
    prompts = [[f"<en> <ase> {c}" for c in classes], list(classes)]
    text = np.mean([encoder.embed_texts(p) for p in prompts], axis=0)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    train_texts = np.array([r.text for r in train])
    prototypes = np.stack([train_emb[train_texts == c].mean(axis=0) for c in classes])
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)  # noqa: E731
    scorers = {
        "zero-shot": lambda emb: text @ emb,
        "few-shot k=100": lambda emb: prototypes @ emb,
        "prompt+prototype k=100": lambda emb: unit(text) @ unit(emb) + unit(prototypes) @ unit(emb),
    }
    for method, score in scorers.items():
        hits = 0
        for emb, record in zip(test_emb, test, strict=True):
            scores = score(emb)
            truth = classes.index(record.text)
            # pessimistic ties, as the metrics count them
            hits += all(scores[truth] > s for c, s in enumerate(scores) if c != truth)
        assert result["methods"][method]["top1"] == pytest.approx(hits / len(test))


def test_strict_refuses_shared_signers_in_one_line(capsys, trained_run):
    run, manifest = trained_run
    code, _, err = recognize_dev(capsys, run, manifest, "--methods", "zero-shot", "--strict")
    assert code == 1 and "signer" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--test-split", "nosuch"], "nosuch"),
        (["--template", "{nosuch} {gloss}"], "nosuch"),
        (["--shots", "0"], "shots"),
    ],
)
def test_bad_inputs_give_one_line(capsys, trained_run, extra, named):
    run, manifest = trained_run
    code, _, err = recognize_dev(capsys, run, manifest, *extra)
    assert code == 1 and named in err and err.count("\n") == 1


def test_missing_model_folder(capsys, tiny_manifest, tmp_path):
    code, _, err = run_cli(
        capsys, "recognize", "--model", str(tmp_path / "none"), "--manifest", str(tiny_manifest)
    )
    assert code == 1 and "none" in err and err.count("\n") == 1


def test_a_class_list_adds_the_glosses_no_test_clip_shows(capsys, trained_run, tmp_path):
    run, manifest = trained_run
    dev = list(dict.fromkeys(r.text for r in read_manifest(manifest) if r.split == "dev"))
    # WLASL's layout: index<TAB>gloss, with classes that no test clip shows around the real ones.
    listing = tmp_path / "classes.txt"
    listing.write_text("".join(f"{i}\t{g}\n" for i, g in enumerate(["zz-a", *dev, "zz-b"])))
    out = tmp_path / "result.json"
    code, _, _ = recognize_dev(
        capsys, run, manifest, "--methods", "zero-shot", "--classes", str(listing),
        "--out", str(out),
    )  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text())
    assert result["classes"] == len(dev) + 2
    assert result["methods"]["zero-shot"]["chance"]["top1"] == pytest.approx(1 / (len(dev) + 2))


def test_a_class_list_missing_a_test_gloss_is_refused(capsys, trained_run, tmp_path):
    run, manifest = trained_run
    listing = tmp_path / "classes.txt"
    listing.write_text("only-this\n")
    code, _, err = recognize_dev(capsys, run, manifest, "--classes", str(listing))
    assert code == 1 and "not among the 1 given classes" in err and err.count("\n") == 1
