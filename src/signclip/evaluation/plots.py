"""Figures of a run: the loss curve and recall@k against chance (PNG, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: works on machines without a screen
import matplotlib.pyplot as plt


def plot_loss(rows: list[dict], out: Path) -> Path:
    """Training loss per logged step and, on a second axis, the dev retrieval score that picks
    the best checkpoint, from metrics.jsonl rows."""
    train = [(r["step"], r["loss"]) for r in rows if r["kind"] == "train" and "loss" in r]
    val = [(r["step"], r["score"]) for r in rows if r["kind"] == "val" and "score" in r]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    if train:
        ax.plot(*zip(*train, strict=True), label="training loss", color="#1f77b4")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("InfoNCE loss")
    ax.grid(alpha=0.3)
    handles = ax.get_legend_handles_labels()
    if val:
        dev = ax.twinx()
        dev.plot(*zip(*val, strict=True), "o-", label="dev retrieval score", color="#d62728")
        dev.set_ylabel("mean R@1/5/10, both directions")
        dev.set_ylim(0, 1)
        extra = dev.get_legend_handles_labels()
        handles = (handles[0] + extra[0], handles[1] + extra[1])
    if handles[0]:
        ax.legend(*handles, loc="center right")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def plot_recall(metrics: dict, out: Path, ks: tuple[int, ...] = (1, 5, 10)) -> Path:
    """Bars of R@k in both directions with the chance level of each drawn over them."""
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    width = 0.38
    for offset, (key, label, colour) in zip(
        (-width / 2, width / 2),
        (("text_to_pose", "text→sign", "#1f77b4"), ("pose_to_text", "sign→text", "#ff7f0e")),
        strict=True,
    ):
        xs = [i + offset for i in range(len(ks))]
        ax.bar(xs, [metrics[key][f"R@{k}"] for k in ks], width, label=label, color=colour)
        chance = [metrics["chance"][key][f"R@{k}"] for k in ks]
        ax.scatter(xs, chance, marker="_", s=400, color="black", zorder=3)
    ax.scatter([], [], marker="_", s=200, color="black", label="chance")
    ax.set_xticks(range(len(ks)), [f"R@{k}" for k in ks])
    ax.set_ylim(0, 1)
    ax.set_ylabel("recall on held-out signers")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out
