"""Dataset figures from `stats.compute_stats`: PNG files drawn with matplotlib (Agg, no display).

Like the dataset figures of the SignCLIP paper: clips per sign language, the distribution of clip
lengths, concepts per sign language with the distribution of clips per concept, and the rates of
missing hands per sign language.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Beyond this many sign languages the bars would be unreadable: the largest ones are drawn.
MAX_BARS = 40
HAND_COLOURS = {"left": "tab:blue", "right": "tab:orange", "both": "tab:red"}


def write_plots(stats: dict, out: Path) -> list[Path]:
    """Draw every figure into `out`; the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "clips_per_language.png": _clips_per_language,
        "lengths.png": _lengths,
        "concepts.png": _concepts,
        "missing_hands.png": _missing_hands,
    }
    written = []
    for name, draw in figures.items():
        figure = draw(plt, stats)
        figure.tight_layout()
        figure.savefig(out / name, dpi=110)
        plt.close(figure)
        written.append(out / name)
    return written


def _languages(stats: dict) -> list[tuple[str, dict]]:
    return list(stats["sign_languages"].items())[:MAX_BARS]


def _height(n: int) -> float:
    return max(2.5, 0.28 * n + 1.2)


def _clips_per_language(plt, stats: dict):
    languages = _languages(stats)
    figure, axis = plt.subplots(figsize=(7, _height(len(languages))))
    names = [name for name, _ in languages][::-1]
    counts = [row["clips"] for _, row in languages][::-1]
    axis.barh(names, counts, color="tab:blue")
    for y, count in enumerate(counts):
        axis.text(count, y, f" {count}", va="center", fontsize=8)
    axis.set_xlabel("clips")
    axis.set_title(f"Clips per sign language ({stats['clips']} clips)")
    axis.margins(x=0.12)
    return figure


def _lengths(plt, stats: dict):
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for axis, key, unit in (
        (axes[0], "length_frames", "frames"),
        (axes[1], "length_seconds", "seconds"),
    ):
        d = stats[key]
        axis.set_xlabel(f"clip length ({unit})")
        axis.set_ylabel("clips")
        if not d.get("count"):
            axis.set_title(f"Clip lengths in {unit}: no data")
            continue
        hist = d["histogram"]
        edges = np.array(hist["edges"])
        axis.bar(edges[:-1], hist["counts"], width=np.diff(edges), align="edge", color="tab:gray")
        for name, style in (("median", "-"), ("p95", "--")):
            axis.axvline(d[name], color="tab:red", linestyle=style, label=f"{name} {d[name]:.3g}")
        axis.legend(fontsize=8)
        axis.set_title(f"Clip lengths in {unit} (mean {d['mean']:.3g})")
    return figure


def _concepts(plt, stats: dict):
    from matplotlib.ticker import MaxNLocator

    languages = _languages(stats)
    figure, axes = plt.subplots(
        1, 2, figsize=(11, _height(len(languages))), gridspec_kw={"width_ratios": [1, 1.2]}
    )
    names = [name for name, _ in languages][::-1]
    concepts = [row["concepts"] for _, row in languages][::-1]
    axes[0].barh(names, concepts, color="tab:green")
    axes[0].set_xlabel("distinct concepts (texts)")
    axes[0].set_title("Concepts per sign language")
    d = stats["concepts"]["clips_per_concept"]
    axes[1].set_xlabel("clips per concept")
    axes[1].set_ylabel("concepts")
    if d.get("count"):
        edges = np.array(d["histogram"]["edges"])
        counts = d["histogram"]["counts"]
        axes[1].bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="tab:green")
        axes[1].axvline(d["median"], color="tab:red", label=f"median {d['median']:.3g}")
        axes[1].legend(fontsize=8)
        axes[1].set_xlim(edges[0] - 0.5, edges[-1] + 0.5)
        axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set_title(f"Clips per concept ({stats['concepts']['count']} concepts)")
    return figure


def _missing_hands(plt, stats: dict):
    languages = _languages(stats)
    figure, axis = plt.subplots(figsize=(7, _height(len(languages)) + 0.4))
    y = np.arange(len(languages))[::-1]
    bar = 0.27
    for k, (hand, colour) in enumerate(HAND_COLOURS.items()):
        rates = [row["missing_hands"][hand] for _, row in languages]
        values = [np.nan if r is None else r for r in rates]
        offset = y + (1 - k) * bar
        axis.barh(offset, values, height=bar, color=colour, label=f"{hand} missing")
        for row, value in zip(offset, rates, strict=True):
            label = "n/a" if value is None else f"{value:.2f}"
            axis.text(0 if value is None else value, row, f" {label}", va="center", fontsize=6)
    axis.set_yticks(y, [name for name, _ in languages])
    axis.set_xlim(0, 1.1)
    axis.set_xlabel("fraction of frames")
    axis.set_title("Missing hands per sign language")
    axis.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    return figure
