"""Figures of the analysis: labelled 2-D maps, the concept-spread ranking, a confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: works on machines without a screen
import matplotlib.pyplot as plt
import numpy as np

# Above this many categories a legend is unreadable; names are written at the group centres.
LEGEND_LIMIT = 20
NAME_LIMIT = 80


def _colours(count: int) -> list:
    if count <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(count)]
    if count <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(count)]
    # Many categories: hues spread evenly, with alternating lightness so neighbours differ.
    hsv = plt.get_cmap("hsv")
    return [
        (*(c * (0.65 if i % 2 else 1.0) for c in hsv(i / count)[:3]), 1.0) for i in range(count)
    ]


def plot_map(points: np.ndarray, labels: Sequence[str], title: str, out: Path) -> Path:
    """Scatter of [N, 2] points coloured by label; a legend or names at the label centres."""
    names = sorted(set(labels))
    colour = dict(zip(names, _colours(len(names)), strict=True))
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=120)
    for name in names:
        rows = labels == name
        ax.scatter(*points[rows].T, s=14, color=colour[name], label=name, alpha=0.8, lw=0)
    if len(names) <= LEGEND_LIMIT:
        ax.legend(fontsize=7, markerscale=1.5, loc="best", ncol=2 if len(names) > 10 else 1)
    elif len(names) <= NAME_LIMIT:
        for name in names:
            x, y = np.median(points[labels == name], axis=0)
            ax.annotate(name, (x, y), fontsize=6, ha="center", va="center", alpha=0.85)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_spread(ranking: list[dict], out: Path, shown: int = 25) -> Path:
    """Horizontal bars: the `shown` lowest-spread concepts and, if there are more, the highest."""
    rows = ranking if len(ranking) <= 2 * shown else [*ranking[:shown], *ranking[-shown:]]
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.22 * len(rows) + 1)), dpi=120)
    ys = np.arange(len(rows))[::-1]
    values = [r["spread"] for r in rows]
    cut = len(rows) < len(ranking)
    # Green marks the lowest-spread half when the middle of the ranking is left out.
    colours = ["#2ca02c" if i < shown or not cut else "#7f7f7f" for i in range(len(rows))]
    ax.barh(ys, values, color=colours)
    ax.set_yticks(ys, [f"{r['concept']} ({r['languages']})" for r in rows], fontsize=7)
    if cut:
        ax.axhline(ys[shown - 1] - 0.5, color="black", lw=0.8, ls="--")
        ax.set_title(
            f"concept spread across sign languages: lowest and highest {shown} of {len(ranking)}",
            fontsize=9,
        )
    else:
        ax.set_title("concept spread across sign languages (lowest first)", fontsize=9)
    ax.set_xlabel("mean pairwise cosine distance of per-language mean pose embeddings")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_confusion(confusion: list[list[int]], names: Sequence[str], title: str, out: Path) -> Path:
    matrix = np.asarray(confusion)
    size = max(5.0, 0.45 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size), dpi=120)
    ax.imshow(matrix, cmap="Blues")
    if len(names) <= 25:
        peak = matrix.max() if matrix.size else 0
        for (i, j), count in np.ndenumerate(matrix):
            colour = "white" if count > peak / 2 else "black"
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("predicted language")
    ax.set_ylabel("true language")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
