"""Recall by metrical position: which of a song's kicks a method finds, by where each
kick sits in its beat (on the beat, the eighth off-beat, a sixteenth off-beat, or off
the sixteenth grid: triplets, swing, pushes). It shows which rhythms a model misses."""

from __future__ import annotations

import mir_eval
import numpy as np

from kickgen.engine.evaluation.metrics import WINDOW_S

POSITIONS = ("beat", "eighth", "sixteenth", "off_grid")
POSITION_LABELS = {"beat": "on the beat", "eighth": "eighth off-beat", "sixteenth": "sixteenth off-beats",
                   "off_grid": "off the sixteenth grid"}
GRID_TOLERANCE = 0.05  # beats: how far from a sixteenth a kick may sit and still count on it


def metrical_positions(times_s: np.ndarray, beats_s: np.ndarray) -> list[str | None]:
    """The position (one of POSITIONS) of each onset between two beats of `beats_s`
    (seconds, ascending); None for an onset before the first or after the last beat."""
    beats_s = np.asarray(beats_s, dtype=np.float64)
    positions: list[str | None] = []
    for t in np.asarray(times_s, dtype=np.float64):
        j = int(np.searchsorted(beats_s, t, side="right")) - 1
        if j < 0 or j + 1 >= len(beats_s):
            positions.append(None)
            continue
        sixteenths = (t - beats_s[j]) / (beats_s[j + 1] - beats_s[j]) * 4
        nearest = round(sixteenths)
        if abs(sixteenths - nearest) > GRID_TOLERANCE * 4:
            positions.append("off_grid")
        else:
            positions.append(("beat", "sixteenth", "eighth", "sixteenth")[nearest % 4])
    return positions


def recall_by_position(reference_s: np.ndarray, estimated_s: np.ndarray, beats_s: np.ndarray,
                       *, window_s: float = WINDOW_S) -> dict[str, dict[str, int]]:
    """Per position: how many reference kicks sit there (`kicks`) and how many of them an
    estimated onset matches (`found`), with mir_eval's one-to-one matching in `window_s`."""
    reference_s = np.sort(np.asarray(reference_s, dtype=np.float64))
    estimated_s = np.sort(np.asarray(estimated_s, dtype=np.float64))
    matched = {i for i, _ in mir_eval.util.match_events(reference_s, estimated_s, window_s)}
    counts = {position: {"kicks": 0, "found": 0} for position in POSITIONS}
    for i, position in enumerate(metrical_positions(reference_s, beats_s)):
        if position is not None:
            counts[position]["kicks"] += 1
            counts[position]["found"] += i in matched
    return counts


def pooled(counts: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, float]]:
    """Counts of many songs added up, with each position's share of the kicks and its
    recall (found / kicks; None where no kick sits)."""
    total = {p: {k: sum(c[p][k] for c in counts) for k in ("kicks", "found")} for p in POSITIONS}
    n_kicks = sum(t["kicks"] for t in total.values())
    return {p: {**t, "share": round(t["kicks"] / n_kicks, 4) if n_kicks else 0.0,
                "recall": round(t["found"] / t["kicks"], 4) if t["kicks"] else None}
            for p, t in total.items()}
