"""Peak picking of the decoder's kick curve into onsets (paper §3.3)."""

from __future__ import annotations

import numpy as np

from kickgen.engine.signals.frames import FPS, Onsets, standardize

DEFAULT_THRESHOLD = 0.25
MIN_VELOCITY, MAX_VELOCITY = 0.7, 1.0

# scipy.signal.butter(2, 0.5): a 2nd-order Butterworth low-pass at half the Nyquist
# frequency. The filter and the peak search are written out here because importing
# scipy.signal costs a producer's command more than half a second (tests hold them equal
# to scipy's filtfilt and find_peaks).
LOWPASS_B = np.array([0.2928932188134524, 0.5857864376269049, 0.2928932188134524])
LOWPASS_A = np.array([1.0, -1.6653345369377353e-16, 0.17157287525380993])
EDGE_PAD = 3 * len(LOWPASS_B)  # filtfilt's default odd extension at each end, frames


def _impulse_response(n_taps: int) -> np.ndarray:
    """The low-pass's first `n_taps` impulse response samples; (n_taps,). Its poles lie at
    radius 0.414, so 80 taps hold it to 1e-30 of its peak: as exact as float64."""
    feed = np.zeros(n_taps + 2)
    feed[2:5] = LOWPASS_B
    response = np.zeros(n_taps + 2)  # two leading zeros: the rest before the impulse
    for n in range(2, n_taps + 2):
        response[n] = feed[n] - LOWPASS_A[1] * response[n - 1] - LOWPASS_A[2] * response[n - 2]
    return response[2:]


LOWPASS_RESPONSE = _impulse_response(80)


def _filter_from_rest(x: np.ndarray) -> np.ndarray:
    """The low-pass run forward over (T,) `x` as if `x[0]` had been held forever before it
    (filtfilt's start from the steady state, scipy's lfilter_zi)."""
    lead = len(LOWPASS_RESPONSE)
    held = np.concatenate([np.full(lead, x[0]), x])
    return np.convolve(held, LOWPASS_RESPONSE)[lead:lead + len(x)]


def smooth(curve: np.ndarray) -> np.ndarray:
    """Zero-phase low-pass of a (T,) curve: the filter forward and backward over the
    curve extended by odd reflection (scipy.signal.filtfilt(LOWPASS_B, LOWPASS_A, curve))."""
    x = np.asarray(curve, dtype=np.float64)
    if len(x) <= EDGE_PAD:
        return x
    extended = np.concatenate([2 * x[0] - x[EDGE_PAD:0:-1], x, 2 * x[-1] - x[-2:-EDGE_PAD - 2:-1]])
    forward = _filter_from_rest(extended)
    return _filter_from_rest(forward[::-1])[::-1][EDGE_PAD:-EDGE_PAD]


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Frames of the (T,) curve's local maxima, the middle of a flat top, never an end
    (scipy.signal.find_peaks with no conditions)."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(x) != 0) + 1])
    ends = np.concatenate([starts[1:] - 1, [len(x) - 1]])
    level = x[starts]
    peak = np.zeros(len(starts), bool)
    peak[1:-1] = (level[1:-1] > level[:-2]) & (level[1:-1] > level[2:])
    return (starts[peak] + ends[peak]) // 2


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
    frames = local_maxima(smoothed)
    frames = frames[smoothed[frames] >= floor]
    heights = smoothed[frames]
    span = max(peak_value - floor, 1e-12)
    velocities = MIN_VELOCITY + (MAX_VELOCITY - MIN_VELOCITY) * np.clip((heights - floor) / span, 0, 1)
    return Onsets(frames / fps, velocities)
