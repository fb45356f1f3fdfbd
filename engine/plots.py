"""Pictures of training runs (PNG via matplotlib's Agg canvas; no display needed)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from kickgen.engine.atomic import atomic_path

LOSS_TERMS = ("mse", "const", "std", "adv", "gp")


def plot_history(history: list[dict], path: str | Path) -> None:
    """Per-epoch means of the loss terms, one panel each, written atomically to `path`."""
    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(3.2 * len(LOSS_TERMS), 2.8), layout="tight")
    for ax, term in zip(fig.subplots(1, len(LOSS_TERMS), sharex=True), LOSS_TERMS):
        ax.plot(epochs, [h[term] for h in history], linewidth=1.2)
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    with atomic_path(path, force=True, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
