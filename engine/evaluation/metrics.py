"""Onset precision, recall and F-measure with a 50 ms window (MIREX style, mir_eval)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from kickgen.engine.signals.frames import FPS
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD, pick_peaks

WINDOW_S = 0.05


@dataclass(frozen=True)
class OnsetScores:
    precision: float
    recall: float
    f_measure: float


def onset_scores(reference_s: np.ndarray, estimated_s: np.ndarray, *, window_s: float = WINDOW_S) -> OnsetScores:
    """P/R/F of `estimated_s` against `reference_s` (onset times in seconds)."""
    import mir_eval  # (it imports scipy.stats: a second, paid only where scores are wanted)

    with warnings.catch_warnings():  # an empty side scores 0; mir_eval also warns
        warnings.filterwarnings("ignore", message=".*onsets are empty")
        f, p, r = mir_eval.onset.f_measure(
            np.sort(np.asarray(reference_s, dtype=np.float64)),
            np.sort(np.asarray(estimated_s, dtype=np.float64)),
            window=window_s,
        )
    return OnsetScores(float(p), float(r), float(f))


def mean_scores(scores: list[OnsetScores]) -> OnsetScores:
    """Mean P, R and F over songs."""
    return OnsetScores(
        float(np.mean([s.precision for s in scores])),
        float(np.mean([s.recall for s in scores])),
        float(np.mean([s.f_measure for s in scores])),
    )


def score_curves(
    curves: list[np.ndarray],
    references_s: list[np.ndarray],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    fps: float = FPS,
) -> OnsetScores:
    """Mean P/R/F over songs of the onsets picked from (T,) kick curves."""
    return mean_scores(
        [
            onset_scores(reference, pick_peaks(curve, threshold=threshold, fps=fps).times_s)
            for curve, reference in zip(curves, references_s)
        ]
    )
