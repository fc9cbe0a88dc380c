"""The demo's report: a markdown page with the retrieval table, plots, searches and a sign."""

from __future__ import annotations

from pathlib import Path

from signclip.data.manifest import read_manifest
from signclip.demo import DemoResult, Search
from signclip.evaluation.plots import plot_loss, plot_recall
from signclip.render import render_grid
from signclip.training.logs import read_metrics

SETTING = (
    "The test signers never appear in training, and each sign was seen from only a few training "
    "signers."
)


def write_report(result: DemoResult, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    run_dir = result.model.parent.parent
    plot_loss(read_metrics(run_dir), out / "loss.png")
    plot_recall(result.metrics, out / "recall.png")
    sign = _render_a_test_sign(result.manifest, out / "sign.png")
    m = result.metrics
    lines = [
        "# signclip demo",
        "",
        f"Dictionary: `{result.manifest}`; model: `{result.model}`.",
        "",
        f"Held-out signers: {m['clips']} clips, {m['texts']} distinct texts.",
        "",
        "| direction | R@1 | R@5 | R@10 | median rank |",
        "|---|---|---|---|---|",
        _row("text→sign", m["text_to_pose"]),
        _row("text→sign, chance", m["chance"]["text_to_pose"]),
        _row("sign→text", m["pose_to_text"]),
        _row("sign→text, chance", m["chance"]["pose_to_text"]),
        "",
        SETTING,
        "",
        *findings_lines(result.findings),
        "",
        "![loss](loss.png)",
        "",
        "![recall](recall.png)",
        "",
        "## Searches among the held-out signers' clips",
        "",
        *_searches("text → sign", result.text_searches),
        *_searches("sign → text", result.pose_searches),
        "## Try it",
        "",
        "Search the whole dictionary by text, or by dropping a `.pose` file on the web page:",
        "",
        "```bash",
        *result.try_commands(),
        "```",
        "",
        "## A generated sign",
        "",
        f"![sign]({sign.name})",
        "",
        "## Time",
        "",
        *[f"- {stage}: {s:.0f} s" for stage, s in result.seconds.items()],
        "",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines))
    return report


def findings_lines(findings: dict) -> list[str]:
    """What the model gets right and wrong, by sign language, as measured on the test signers."""
    kinds = findings["pose_to_text_top1"]
    ident = findings["language_id"]
    lines = [
        "## What it gets right and wrong",
        "",
        "| sign language | clips | sign→text R@1 | text→sign R@1 |",
        "|---|---|---|---|",
        *[
            f"| {language} | {row['clips']} | {row['pose_to_text_R@1']:.3f} | "
            f"{row['text_to_pose_R@1']:.3f} |"
            for language, row in findings["languages"].items()
        ],
        "",
        f"Sign→text top-1 answers: {kinds['correct']:.1%} right; "
        f"{kinds['other_language']:.1%} the right concept in another sign language; "
        f"{kinds['other_concept']:.1%} another concept of the right sign language; "
        f"{kinds['both_wrong']:.1%} wrong in both.",
        "",
        f"Sign-language identification from the pose alone (prompts such as "
        f"`{ident['prompts'][0]}`): accuracy {ident['accuracy']:.3f}, chance "
        f"{ident['chance_uniform']:.3f} (always the commonest language: "
        f"{ident['chance_majority']:.3f}).",
    ]
    similar = findings["prompt_similarity_across_languages"]
    if similar is not None:
        lines += [
            "",
            f"Prompts of one concept in two sign languages: cosine {similar['mean']:.3f} on "
            f"average (at most {similar['max']:.3f}) over {similar['pairs']} pairs; 1.000 would "
            "mean the text side cannot tell the languages apart.",
        ]
    return lines


def _row(label: str, part: dict) -> str:
    values = [f"{part[f'R@{k}']:.3f}" for k in (1, 5, 10)]
    return f"| {label} | {' | '.join(values)} | {part['median_rank']:.1f} |"


def _searches(title: str, searches: list[Search]) -> list[str]:
    lines = [f"### {title}", ""]
    for search in searches:
        lines.append(f"- `{search.query}`")
        lines.extend(
            f"  {i}. {'✓' if ok else '✗'} {score:.3f} — {found}"
            for i, (found, score, ok) in enumerate(search.results, 1)
        )
    return [*lines, ""]


def _render_a_test_sign(manifest: Path, out: Path) -> Path:
    record = next(r for r in read_manifest(manifest) if r.split == "test")
    title = f"{record.sign_language} '{record.text}', signer {record.signer}"
    render_grid(record.pose_path, frames=8, columns=4, title=title).save(out)
    return out
