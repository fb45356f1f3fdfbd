"""Peak picking of the decoder's kick curve into onsets (paper §3.3)."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, filtfilt, find_peaks

from kickgen.engine.signals.frames import FPS, Onsets, standardize

DEFAULT_THRESHOLD = 0.25
MIN_VELOCITY, MAX_VELOCITY = 0.7, 1.0


def smooth(curve: np.ndarray) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass at half the Nyquist frequency; (T,)."""
    b, a = butter(2, 0.5)
    if len(curve) <= 3 * max(len(a), len(b)):
        return np.asarray(curve, dtype=np.float64)
    return filtfilt(b, a, curve)


def pick_peaks(curve: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, fps: float = FPS) -> Onsets:
    """Local maxima of the standardized, smoothed (T,) curve that reach `threshold` ×
    its maximum.

    Velocity rises linearly from 0.7 at the threshold to 1.0 at the maximum. A flat
    curve has no onsets.
    """
    standardized, silent = standardize(np.asarray(curve, dtype=np.float64).reshape(-1))
    if silent:
        return Onsets(np.zeros(0), np.zeros(0))
    smoothed = smooth(standardized)
    peak_value = smoothed.max()
    floor = threshold * peak_value
    frames, props = find_peaks(smoothed, height=floor)
    heights = props["peak_heights"]
    span = max(peak_value - floor, 1e-12)
    velocities = MIN_VELOCITY + (MAX_VELOCITY - MIN_VELOCITY) * np.clip((heights - floor) / span, 0, 1)
    return Onsets(frames / fps, velocities)
