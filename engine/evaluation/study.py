"""The model study's table: every arm of `make study` (a folder holding its training
history.json and its eval-midi.json / eval-audio.json on the validation songs) in one row
per domain, beside the figures the acceptance reads."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("ground-truth F", "self-transfer F", "looped bar F", "own − other styles", "own − zero code",
           "F drop, downbeat moved", "epochs", "hours")


def arm_rows(arm: Path) -> list[str]:
    """One Markdown row per evaluated domain of an arm's folder."""
    history_file = arm / "history.json"
    history = json.loads(history_file.read_text()) if history_file.exists() else []
    epochs = history[-1]["epoch"] if history else 0
    hours = sum(h["seconds"] for h in history) / 3600
    rows = []
    for domain in ("midi", "audio"):
        path = arm / f"eval-{domain}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        mean, steering = document["mean"], document.get("steering", {})
        cells = [mean["ground_truth"]["f"], mean["self_transfer"]["f"], mean["baselines"]["looped_bar"]["f"],
                 steering.get("own_minus_other"), steering.get("own_minus_zero"), steering.get("bar_shift_drop")]
        rows.append(f"| {arm.name} | {domain} | " + " | ".join("–" if c is None else f"{c:.3f}" for c in cells)
                    + f" | {epochs} | {hours:.2f} |")
    return rows


def study_lines(study: Path) -> list[str]:
    """The study section: a table of every arm folder under `study` that has been evaluated."""
    rows = [row for arm in sorted(p for p in study.iterdir() if p.is_dir()) for row in arm_rows(arm)]
    if not rows:
        return []
    return ["## Model study (validation songs, same epochs for every arm)", "",
            "| arm | domain | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|", *rows, ""]
