"""Sampled style codes and how different, and how plausible, their kick parts are."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kickgen.engine.evaluation.metrics import onset_scores
from kickgen.engine.runtime.kicks import beat_subdivisions

# a kick is on the grid within 30 ms of a sixteenth or of an eighth-note triplet (shuffles,
# 12/8 feels); up to 16 kicks a bar (sixteenth double kicks). The sixteenth grid alone and
# at most 8 a bar passed only 76 % of the validation songs' own kick parts (MIDI), 59 % (audio)
GRID_DIVISIONS_PER_BEAT = (4, 3)  # sixteenths, eighth-note triplets
GRID_TOLERANCE_S = 0.03
PLAUSIBLE_KICKS_PER_BAR = (0.5, 16.0)
PLAUSIBLE_GRID_SHARE = 0.8


def distance_matrix(onsets_s: list[np.ndarray]) -> np.ndarray:
    """(n, n) symmetric 1 − F (50 ms) between every two kick parts; 0 on the diagonal."""
    n = len(onsets_s)
    dist = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            dist[i, j] = dist[j, i] = 1.0 - onset_scores(onsets_s[i], onsets_s[j]).f_measure
    return dist


def farthest_first(dist: np.ndarray, n_pick: int) -> list[int]:
    """Greedy farthest-first selection of `n_pick` indices: start from the part farthest
    from all others on average, then add the one farthest from those already picked."""
    picked = [int(dist.mean(axis=1).argmax())]
    while len(picked) < min(n_pick, len(dist)):
        nearest = dist[:, picked].min(axis=1)
        nearest[picked] = -1.0
        picked.append(int(nearest.argmax()))
    return picked


def mean_pairwise(dist: np.ndarray, indices: list[int]) -> float:
    """Mean 1 − F over the distinct pairs of `indices`."""
    sub = dist[np.ix_(indices, indices)]
    n = len(indices)
    return float(sub.sum() / (n * (n - 1))) if n > 1 else 0.0


@dataclass(frozen=True)
class Plausibility:
    """Kicks per bar, share of kicks on the grid (within 30 ms of a sixteenth or an
    eighth-note triplet), and whether both are in the plausible range (0.5..16 kicks a
    bar, ≥ 80 % on the grid)."""

    kicks_per_bar: float
    grid_share: float

    @property
    def plausible(self) -> bool:
        low, high = PLAUSIBLE_KICKS_PER_BAR
        return low <= self.kicks_per_bar <= high and self.grid_share >= PLAUSIBLE_GRID_SHARE


def plausibility(kicks_s: np.ndarray, *, beats_s: np.ndarray, n_bars: int) -> Plausibility:
    grid = np.concatenate([beat_subdivisions(beats_s, steps) for steps in GRID_DIVISIONS_PER_BEAT])
    if len(kicks_s) == 0 or len(grid) == 0:
        return Plausibility(0.0, 0.0)
    nearest = np.abs(np.asarray(kicks_s)[:, None] - grid[None, :]).min(axis=1)
    return Plausibility(len(kicks_s) / max(n_bars, 1), float(np.mean(nearest <= GRID_TOLERANCE_S)))
