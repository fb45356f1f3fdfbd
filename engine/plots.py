"""Pictures (PNG via matplotlib's Agg canvas; no display needed): training curves and
the tempo and sampling studies."""

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
    rows = [(f"{role}", study["notes_s"].get(role, [])) for role in ("snare", "bass", "kick")]
    rows += [(f"code {i}", study["onsets_s"][i]) for i in study["picked"]]
    fig = Figure(figsize=(9, 0.32 * len(rows) + 1.2), layout="tight")
    ax = fig.subplots()
    for y, (label, times) in enumerate(rows):
        times = [t for t in times if start <= t < stop]
        color = "#888888" if y < 2 else "#c0392b" if y == 2 else "#1f3b4d"
        ax.vlines(times, y - 0.35, y + 0.35, color=color, linewidth=2)
    for t in downbeats:
        if start <= t < stop:
            ax.axvline(t, color="#bbbbbb", linewidth=0.8, zorder=0)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(start, stop)
    ax.set_xlabel("time (s); grey lines are bar starts")
    ax.set_title(f"{study['song']}: kicks of {len(study['picked'])} sampled codes "
                 f"(diversity 1−F {study['diversity_picked']:.2f}, plausible {study['plausible_share']:.0%})")
    _save(fig, path)
