"""The whole system on a fresh machine in minutes: generate a dictionary, train, evaluate on
held-out signers, search, index the dictionary for `signclip search` and `signclip serve`, and
write a report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.analysis.report import Embedded, embed_clips, language_id
from signclip.config import load_config
from signclip.data.prepared import PreparedData, prepare_data, require_split
from signclip.evaluation.breakdown import cross_language_similarity, language_breakdown
from signclip.evaluation.evaluate import evaluate_clips
from signclip.evaluation.retrieval import format_table
from signclip.index.build import build_index
from signclip.index.identity import model_identity
from signclip.inference import SignCLIPEncoder
from signclip.synth.dataset import SynthSpec
from signclip.synth.generate import generate_dataset
from signclip.training.loop import train

# 12 signers split 70/15/15 give two unseen test signers; 5 signers per sign give every sign
# 3 to 4 training signers to generalise from.
DEMO_SPEC = SynthSpec(concepts=40, languages=3, signers=12, clips_per_sign=5)


@dataclass(frozen=True)
class DemoSettings:
    out: Path
    spec: SynthSpec = DEMO_SPEC
    epochs: int | None = None  # None: the demo preset's
    workers: int = 0
    progress: bool = True


@dataclass
class Search:
    query: str
    results: list[tuple[str, float, bool]]  # (what was found, score, is it correct)


@dataclass
class DemoResult:
    manifest: Path
    model: Path
    index: Path
    metrics: dict
    findings: dict  # per-language results, answer kinds, language identification
    text_searches: list[Search]
    pose_searches: list[Search]
    seconds: dict[str, float]
    example_word: str  # a concept of the dictionary, for the commands the demo suggests
    example_language: str

    def try_commands(self) -> list[str]:
        """Commands that search the demo's dictionary, on the command line and in a browser."""
        return [
            f"signclip search --index {self.index} --text {self.example_word} "
            f"--sign-language {self.example_language}",
            f"signclip serve --model {self.model} --index {self.index} --port 8000"
            "   # then open http://127.0.0.1:8000",
        ]


def run_demo(settings: DemoSettings) -> DemoResult:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    spec = settings.spec
    generated = generate_dataset(
        settings.out / "dictionary", spec, workers=settings.workers, progress=settings.progress
    )
    print(
        f"generated {generated.clips} clips: {spec.concepts} concepts × "
        f"{spec.languages} sign languages, {spec.signers} signers, "
        f"{spec.clips_per_sign} signers per sign "
        f"({', '.join(f'{k} {v}' for k, v in generated.splits.items())})"
    )
    seconds["generate"] = time.perf_counter() - started

    overrides = [
        f"data.manifest={generated.manifest}",
        f"data.cache_dir={settings.out / 'cache'}",
        f"train.out_dir={settings.out / 'run'}",
        f"train.seed={spec.seed}",
        f"train.progress={str(settings.progress).lower()}",
        f"data.workers={settings.workers}",
    ]
    if settings.epochs is not None:
        overrides.append(f"train.epochs={settings.epochs}")
    cfg = load_config("demo", overrides)
    mark = time.perf_counter()
    run = train(cfg)
    seconds["train"] = time.perf_counter() - mark

    mark = time.perf_counter()
    encoder = SignCLIPEncoder.from_pretrained(run.model, device="cpu")
    data = prepare_data(cfg.data, cfg.pose, progress=False)
    test = require_split(data, "test", str(generated.manifest))
    metrics = evaluate_clips(encoder, data, test)
    embedded = embed_clips(encoder, data, test, encoder.contract.prompt)
    findings = what_it_gets_right(encoder, embedded)
    text_searches, pose_searches = example_searches(encoder, data, test, embedded.pose)
    seconds["evaluate"] = time.perf_counter() - mark

    # The whole dictionary, every signer, becomes the index people search after the demo.
    mark = time.perf_counter()
    index = settings.out / "index"
    build_index(
        encoder,
        data.records,
        index,
        progress=False,
        identity=model_identity(run.model),
        cache_dir=settings.out / "cache",
        workers=settings.workers,
    )
    seconds["index"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    example = data.records[int(test[0])]
    return DemoResult(
        generated.manifest,
        run.model,
        index,
        metrics,
        findings,
        text_searches,
        pose_searches,
        seconds,
        example_word=example.text,
        example_language=example.sign_language,
    )


def what_it_gets_right(encoder: SignCLIPEncoder, embedded: Embedded) -> dict:
    """Per sign language: recall, the kinds of wrong answers, whether prompts of one concept in
    two languages differ, and sign-language identification from the pose."""
    scores = encoder.similarity(embedded.pose, embedded.text)
    clip_labels = list(zip(embedded.languages, embedded.concepts, strict=True))
    findings = language_breakdown(scores, clip_labels, embedded.text_labels)
    findings["prompt_similarity_across_languages"] = cross_language_similarity(
        embedded.text, embedded.text_labels
    )
    ident = language_id(encoder, embedded)
    findings["language_id"] = {k: ident[k] for k in ("accuracy", "chance_majority", "prompts")}
    findings["language_id"]["chance_uniform"] = ident["chance_uniform"]
    return findings


def example_searches(
    encoder: SignCLIPEncoder,
    data: PreparedData,
    test: np.ndarray,
    pose_emb: np.ndarray,
    queries: int = 3,
    k: int = 5,
) -> tuple[list[Search], list[Search]]:
    """A few text→sign and sign→text look-ups among the held-out signers' clips, whose
    embeddings `pose_emb` [len(test), E] are given."""
    prompt_rows = np.unique(data.prompt_index[test])
    prompts = [data.prompts[p] for p in prompt_rows]
    text_emb = encoder.embed_texts(prompts)
    scores = encoder.similarity(pose_emb, text_emb)  # [clips, texts]
    rng = np.random.default_rng(0)
    text_searches = []
    for column in rng.choice(len(prompts), size=min(queries, len(prompts)), replace=False):
        best = np.argsort(-scores[:, column])[:k]
        results = [
            (
                _describe(data, test[row]),
                float(scores[row, column]),
                data.prompt_index[test[row]] == prompt_rows[column],
            )
            for row in best
        ]
        text_searches.append(Search(prompts[column], results))
    pose_searches = []
    for row in rng.choice(len(test), size=min(queries, len(test)), replace=False):
        best = np.argsort(-scores[row])[:k]
        results = [
            (prompts[c], float(scores[row, c]), data.prompt_index[test[row]] == prompt_rows[c])
            for c in best
        ]
        pose_searches.append(Search(_describe(data, test[row]), results))
    return text_searches, pose_searches


def print_findings(findings: dict) -> None:
    print("\nby sign language (R@1 in the ranking of every language's clips and texts):")
    for language, row in findings["languages"].items():
        print(
            f"  {language}: {row['clips']} clips, sign→text {row['pose_to_text_R@1']:.3f}, "
            f"text→sign {row['text_to_pose_R@1']:.3f}"
        )
    kinds = findings["pose_to_text_top1"]
    print(
        f"sign→text top-1: right {kinds['correct']:.1%}, right concept in another language "
        f"{kinds['other_language']:.1%}, another concept {kinds['other_concept']:.1%}, both "
        f"wrong {kinds['both_wrong']:.1%}"
    )
    ident = findings["language_id"]
    print(
        f"sign-language identification from the pose: accuracy {ident['accuracy']:.3f} "
        f"(chance {ident['chance_uniform']:.3f}, majority {ident['chance_majority']:.3f})"
    )


def _describe(data: PreparedData, index: int) -> str:
    record = data.records[index]
    return f"{record.clip_id} ({record.sign_language} '{record.text}', signer {record.signer})"


def print_result(result: DemoResult) -> None:
    metrics = result.metrics
    print(
        f"\nheld-out signers: {metrics['clips']} clips, {metrics['texts']} distinct texts "
        "(each number beside its chance level)"
    )
    print(format_table(metrics))
    print_findings(result.findings)
    for title, searches in (
        ("text → sign", result.text_searches),
        ("sign → text", result.pose_searches),
    ):
        print(f"\n{title}")
        for search in searches:
            print(f"  {search.query}")
            for found, score, correct in search.results:
                print(f"    {'✓' if correct else ' '} {score:6.3f}  {found}")
    print(f"\nmodel: {result.model}")
    print(f"index (every clip of the dictionary): {result.index}")
