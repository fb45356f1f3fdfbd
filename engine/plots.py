"""Pictures (PNG via matplotlib's Agg canvas; no display needed): training curves, the
tempo and sampling studies, and per-song scores against the looped-bar baseline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kickgen.engine.util.atomic import atomic_path

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
    _save(fig, path)


def _save(fig: Figure, path: str | Path) -> None:
    with atomic_path(path, force=True, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def plot_tempo_invariance(study: dict, path: str | Path) -> None:
    """Agreement F per stretch factor (mean bar, one dot per song), like the paper's Fig. 3."""
    factors = list(study["mean_f"])
    fig = Figure(figsize=(6, 3.6), layout="tight")
    ax = fig.subplots()
    xs = range(len(factors))
    ax.bar(xs, [study["mean_f"][f] for f in factors], color="#7aa6c2", width=0.6, label="mean")
    for x, f in zip(xs, factors):
        values = [s["agreement_f"][f] for s in study["songs"]]
        ax.scatter([x] * len(values), values, s=10, color="#1f3b4d", alpha=0.6, zorder=3)
    ax.axhline(0.8, color="#c0392b", linewidth=1, linestyle="--", label="goal 0.8")
    ax.set_xticks(list(xs), [f"{float(f):.0%} tempo" for f in factors])
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("agreement F (50 ms)")
    ax.set_title("style code held across tempi: kicks vs. original, time-scaled")
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def plot_sampling(study: dict, path: str | Path, *, bars: int = 4) -> None:
    """The song's parts and the kicks of the picked sampled codes over its first bars,
    one row each, like the paper's Fig. 2."""
    downbeats = study["downbeats_s"]
    start = downbeats[0] if downbeats else 0.0
    stop = downbeats[bars] if len(downbeats) > bars else start + 8.0
    rows = [(role, study["notes_s"][role]) for role in ("snare", "bass", "kick") if study["notes_s"].get(role)]
    n_context = len(rows)
    labels = study.get("labels") or [f"code {i}" for i in study["picked"]]
    rows += [(label, study["onsets_s"][i]) for label, i in zip(labels, study["picked"])]
    fig = Figure(figsize=(9, 0.32 * len(rows) + 1.2), layout="tight")
    ax = fig.subplots()
    for y, (label, times) in enumerate(rows):
        times = [t for t in times if start <= t < stop]
        label = rows[y][0]
        color = "#c0392b" if label == "kick" else "#888888" if y < n_context else "#1f3b4d"
        ax.vlines(times, y - 0.35, y + 0.35, color=color, linewidth=2)
    for t in downbeats:
        if start <= t < stop:
            ax.axvline(t, color="#bbbbbb", linewidth=0.8, zorder=0)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(start, stop)
    ax.set_xlabel("time (s); grey lines are bar starts")
    plausible = f", plausible {study['plausible_share']:.0%}" if "plausible_share" in study else ""
    ax.set_title(f"{study['song']}: kicks of {len(study['picked'])} sampled codes "
                 f"(diversity 1−F {study['diversity_picked']:.2f}{plausible})")
    _save(fig, path)


def plot_song_scores(documents: dict[str, dict], path: str | Path) -> None:
    """Per song, style transfer to self F against the looped-commonest-bar baseline's F,
    one colour per `kickgen eval` document (keyed by its label, drawn in order); above
    the diagonal the model beats the loop."""
    fig = Figure(figsize=(5.2, 5), layout="tight")
    ax = fig.subplots()
    for (label, document), color in zip(documents.items(), ("#1f3b4d", "#c0392b", "#27ae60", "#8e44ad")):
        songs = document["songs"]
        ax.scatter([s["baselines"]["looped_bar"]["f"] for s in songs], [s["self_transfer"]["f"] for s in songs],
                   s=12, alpha=0.6, color=color, label=f"{label} ({len(songs)} songs)")
    ax.plot([0, 1], [0, 1], color="#888888", linewidth=0.8, linestyle="--")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("looped commonest bar F")
    ax.set_ylabel("style transfer to self F")
    ax.set_title("per song: the model's held style code vs. the song's own loop", fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)


def plot_render(
    context: np.ndarray, curve: np.ndarray, kicks_s: np.ndarray, path: str | Path, *, fps: float,
    downbeats_s: np.ndarray, old_kicks_s: np.ndarray | None = None, title: str = "", bars: int = 8,
) -> None:
    """The context curves (4, T), the generated kick curve (T,) with its picked kicks, and
    the song's own kicks when it has some, over its first `bars` bars, like the paper's
    figures."""
    stop_s = downbeats_s[bars] if len(downbeats_s) > bars else len(curve) / fps
    n = min(len(curve), int(stop_s * fps) + 1)
    t = np.arange(n) / fps
    names = ("snare", "bass", "beat", "downbeat")
    fig = Figure(figsize=(11, 6), layout="tight")
    axes = fig.subplots(len(names) + 1, 1, sharex=True)
    for ax, name, row in zip(axes, names, context):
        ax.plot(t, row[:n], color="#555555", linewidth=0.8)
        ax.set_ylabel(name, fontsize=8)
    ax = axes[-1]
    ax.plot(t, curve[:n], color="#1f3b4d", linewidth=0.9, label="generated curve")
    shown = kicks_s[kicks_s < stop_s]
    top = float(curve[:n].max()) if n else 1.0
    ax.vlines(shown, top * 1.05, top * 1.3, color="#c0392b", linewidth=1.5, label="picked kicks")
    if old_kicks_s is not None:
        old = old_kicks_s[old_kicks_s < stop_s]
        ax.vlines(old, top * 1.35, top * 1.6, color="#27ae60", linewidth=1.5, label="song's own kicks")
    ax.set_ylabel("kick", fontsize=8)
    ax.set_xlabel("time (s)")
    ax.legend(loc="upper right", fontsize=7, ncols=3)
    for a in axes:
        for d in downbeats_s[downbeats_s < stop_s]:
            a.axvline(d, color="#cccccc", linewidth=0.6, zorder=0)
    axes[0].set_title(title)
    _save(fig, path)


def plot_code_path(code_path: np.ndarray, style, path: str | Path, *, fps: float, title: str = "") -> None:
    """A song's code path (K, T): its frames projected on their two main axes (PCA),
    coloured by k-means cluster, with the style's code (a bar of codes: one star per
    step, numbered); and the path over time."""
    frames = code_path.T - code_path.T.mean(axis=0)
    _, _, axes_t = np.linalg.svd(frames, full_matrices=False)
    xy = frames @ axes_t[:2].T
    centres = (style.code.reshape(len(style.code), -1).T - code_path.T.mean(axis=0)) @ axes_t[:2].T
    labels = style.labels if style.labels is not None else np.zeros(len(xy), int)
    fig = Figure(figsize=(11, 4), layout="tight")
    left, right = fig.subplots(1, 2, width_ratios=(1, 2))
    left.scatter(xy[:, 0], xy[:, 1], c=labels, cmap="tab10", s=4, alpha=0.6)
    left.scatter(centres[:, 0], centres[:, 1], marker="*", s=260 if len(centres) == 1 else 90, color="black",
                 label="style code" if len(centres) == 1 else "style code, per bar step")
    if len(centres) > 1:
        for step, (x, y) in enumerate(centres):
            left.annotate(str(step), (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    left.set_title(f"k = {style.k}, Davies–Bouldin {style.davies_bouldin:.2f}, chosen {style.share:.0%}", fontsize=9)
    left.set_xlabel("PC 1")
    left.set_ylabel("PC 2")
    left.legend(fontsize=8)
    seconds = code_path.shape[1] / fps
    right.imshow(code_path, aspect="auto", cmap="coolwarm", extent=(0, seconds, code_path.shape[0] - 0.5, -0.5))
    right.scatter(np.arange(len(labels)) / fps, np.full(len(labels), -1.2), c=labels, cmap="tab10", s=2,
                  marker="s", clip_on=False)
    right.set_xlabel("time (s)")
    right.set_ylabel("code dimension")
    right.set_title(title or "code path (strip above: cluster of each frame)", fontsize=9)
    _save(fig, path)
