"""The dataset: determinism, manifest and held-out signers, in-memory features, CLI, lexicon."""

import argparse
import collections
import dataclasses

import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.data.manifest import read_manifest
from signclip.errors import ConfigError
from signclip.pose.features import load_features
from signclip.synth import lexicon, phonology
from signclip.synth.dataset import SynthSpec, make_pose, plan_clips
from signclip.synth.generate import generate_dataset, iter_features
from signclip.synth.writer import pose_bytes


def contents(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.pose")}


def test_the_same_seed_gives_the_same_bytes_with_any_number_of_workers(
    synth_spec, synth_dataset, tmp_path
):
    folder, _ = synth_dataset
    again = tmp_path / "two-workers"
    generate_dataset(again, synth_spec, workers=2, progress=False)
    assert contents(again) == contents(folder)
    assert (again / "manifest.csv").read_text() == (folder / "manifest.csv").read_text()


def test_another_seed_gives_other_clips(synth_spec):
    plan = plan_clips(synth_spec)[0]
    other = dataclasses.replace(synth_spec, seed=synth_spec.seed + 1)
    assert pose_bytes(make_pose(synth_spec, plan)) != pose_bytes(make_pose(other, plan))


def test_growing_the_dataset_keeps_the_existing_clips(synth_spec):
    spec = synth_spec
    bigger = dataclasses.replace(spec, concepts=spec.concepts + 3, languages=spec.languages + 1)
    plan = plan_clips(spec)[-1]
    assert plan in plan_clips(bigger)
    assert pose_bytes(make_pose(spec, plan)) == pose_bytes(make_pose(bigger, plan))


def test_manifest_rows_and_held_out_signers(synth_spec, synth_dataset):
    _, report = synth_dataset
    records = read_manifest(report.manifest)
    assert len(records) == report.clips
    assert all(r.pose_path.is_file() for r in records)
    assert {r.spoken_language for r in records} == {"en"}
    assert {r.sign_language for r in records} == {"ase", "bfi", "gsg"}
    assert {r.text for r in records} == set(lexicon.CONCEPTS[: synth_spec.concepts])
    signers = collections.defaultdict(set)
    for r in records:
        signers[r.split].add(r.signer)
    assert signers["train"] and signers["dev"] and signers["test"]
    assert not signers["train"] & (signers["dev"] | signers["test"])
    assert not signers["dev"] & signers["test"]
    per_sign = collections.defaultdict(list)
    for r in records:
        per_sign[(r.text, r.sign_language)].append(r)
    for clips in per_sign.values():
        assert len({r.signer for r in clips}) == synth_spec.clips_per_sign
        assert any(r.split == "train" for r in clips)


@pytest.mark.parametrize("preset", ["reduced-face", "dominant-hand"])
def test_in_memory_features_equal_the_written_files_features(synth_spec, synth_dataset, preset):
    folder, _ = synth_dataset
    cfg = PoseConfig(preset=preset)
    plans = plan_clips(synth_spec)[:4]
    computed = iter_features(synth_spec, cfg, plans=plans)
    for plan, (clip_id, features) in zip(plans, computed, strict=True):
        assert clip_id == plan.clip_id
        np.testing.assert_array_equal(features, load_features(folder / plan.relative_path, cfg))


def test_cli_writes_a_dataset(tmp_path, capsys):
    from signclip.cli import synth

    parser = argparse.ArgumentParser()
    synth.add_arguments(parser)
    sizes = ["--concepts", "2", "--languages", "1", "--signers", "3"]
    args = parser.parse_args(["--out", str(tmp_path), *sizes, "--workers", "1", "--no-progress"])
    assert synth.run(args) == 0
    assert "6 clips" in capsys.readouterr().out
    assert len(read_manifest(tmp_path / "manifest.csv")) == 6


@pytest.mark.parametrize(
    "field, value", [("concepts", 0), ("signers", 0), ("iconicity", 1.5), ("languages", 10**6)]
)
def test_impossible_specs_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        SynthSpec(**{field: value})


def test_language_codes_and_concept_words():
    assert [lexicon.language_code(i) for i in range(3)] == ["ase", "bfi", "gsg"]
    assert lexicon.language_code(len(lexicon.SIGN_LANGUAGES)) == "qaa"
    codes = [lexicon.language_code(i) for i in range(lexicon.MAX_LANGUAGES)]
    assert len(set(codes)) == len(codes)
    words = [lexicon.concept_word(i) for i in range(3 * len(lexicon.CONCEPTS))]
    assert len(set(words)) == len(words)
    assert lexicon.concept_word(len(lexicon.CONCEPTS)) == f"{lexicon.CONCEPTS[0]} 2"


def core(form: phonology.SignForm):
    """What makes a sign recognisable: all but movement size, repetitions and face."""
    hand = form.dominant
    return (hand.handshape, hand.location, hand.fingers, hand.palm, form.movement.kind,
            form.movement.direction, form.two_handed)  # fmt: skip


def test_iconicity_is_the_share_of_concepts_signed_alike_across_languages():
    for iconicity in (0.0, 0.3, 1.0):
        shared = [
            len({core(lexicon.sign_form(0, c, lang, iconicity, 0.0)) for lang in range(5)}) == 1
            for c in range(120)
        ]
        assert np.mean(shared) == pytest.approx(iconicity, abs=0.1)


def test_concepts_of_a_language_differ_and_minimal_pairs_differ_in_one_parameter():
    forms = [lexicon.sign_form(0, c, 0, 0.3, 0.1) for c in range(300)]
    assert len({core(f) for f in forms}) > 0.97 * len(forms)
    rng = np.random.default_rng(0)
    for form in forms[:50]:
        pair = phonology.change_one(form, rng)
        assert pair != form
        hand, other = form.dominant, pair.dominant
        changes = [hand.handshape != other.handshape, hand.location != other.location,
                   (hand.fingers, hand.palm) != (other.fingers, other.palm),
                   form.movement != pair.movement]  # fmt: skip
        assert sum(changes) == 1
