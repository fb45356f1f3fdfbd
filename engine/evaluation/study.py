"""The model study's table: every arm of `make study` (a folder holding its training
history.json and its eval-midi.json / eval-audio.json on the validation songs), as a
compact summary (kept beside the report's other JSON files) and one row per arm and
domain, beside the figures the acceptance reads."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = {"ground_truth_f": "ground-truth F", "self_transfer_f": "self-transfer F", "looped_bar_f": "looped bar F",
           "own_minus_other": "own − other styles", "own_minus_zero": "own − zero code",
           "bar_shift_drop": "F drop, downbeat moved", "diversity": "sampling diversity",
           "plausible": "plausible"}


def arm_summary(arm: Path) -> dict:
    """An arm's figures: epochs, hours of training, and per evaluated domain its songs
    and the `COLUMNS` figures."""
    history_file = arm / "history.json"
    history = json.loads(history_file.read_text()) if history_file.exists() else []
    summary = {"epochs": history[-1]["epoch"] if history else 0,
               "hours": round(sum(h["seconds"] for h in history) / 3600, 2)}
    for domain in ("midi", "audio"):
        path = arm / f"eval-{domain}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        mean, steering, sampling = document["mean"], document.get("steering", {}), document.get("sampling", {})
        summary[domain] = {
            "songs": document["n_songs"], "ground_truth_f": mean["ground_truth"]["f"],
            "self_transfer_f": mean["self_transfer"]["f"], "looped_bar_f": mean["baselines"]["looped_bar"]["f"],
            "own_minus_other": steering.get("own_minus_other"), "own_minus_zero": steering.get("own_minus_zero"),
            "bar_shift_drop": steering.get("bar_shift_drop"), "diversity": sampling.get("mean_diversity_picked"),
            "plausible": sampling.get("mean_plausible_share"),
        }
    return summary


def study_summary(study: Path) -> dict:
    """Every evaluated arm folder under `study`: {arm: `arm_summary`}."""
    arms = {arm.name: arm_summary(arm) for arm in sorted(p for p in study.iterdir() if p.is_dir())}
    return {name: arm for name, arm in arms.items() if "midi" in arm or "audio" in arm}


def study_lines(summary: dict) -> list[str]:
    """The study section of the report, from `study_summary`."""
    rows = []
    for name, arm in summary.items():
        for domain in ("midi", "audio"):
            if domain in arm:
                cells = ["–" if arm[domain][key] is None else f"{arm[domain][key]:.3f}" for key in COLUMNS]
                rows.append(f"| {name} | {domain} | " + " | ".join(cells) + f" | {arm['epochs']} |")
    if not rows:
        return []
    songs = sorted({arm[d]["songs"] for arm in summary.values() for d in ("midi", "audio") if d in arm})
    return ["## Model study", "",
            (f"Each arm of `make study` trained from scratch for the same epochs on the corpus `make corpus` "
             f"builds now (options in the README); every row is evaluated on its {'/'.join(map(str, songs))} "
             f"validation songs, sampling over the first 12. A row not trained by the study (the shipped "
             f"model) shows its own epochs."), "",
            "| arm | domain | " + " | ".join(COLUMNS.values()) + " | epochs |",
            "|---" * (len(COLUMNS) + 3) + "|", *rows, ""]
