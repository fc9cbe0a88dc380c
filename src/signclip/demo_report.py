"""The demo's report: a markdown page with the retrieval table, plots, searches and a sign."""

from __future__ import annotations

from pathlib import Path

from signclip.data.manifest import read_manifest
from signclip.demo import DemoResult, Search
from signclip.evaluation.plots import plot_loss, plot_recall
from signclip.render import render_grid
from signclip.training.logs import read_metrics

WHY_HARD = (
    "The test signers never appear in training: their body proportions, camera placement, speed, "
    "amplitude and handedness are new, and each sign was seen from only a few training "
    "signers. Some signs differ from another sign of the same language "
    "in a single parameter (minimal pairs), and iconic concepts share one form across sign "
    "languages, so `<en> <ase> X` and `<en> <gsg> X` can look identical: sign→text cannot tell "
    "them apart from the pose alone, which caps R@1 below 100 %."
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
        WHY_HARD,
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
