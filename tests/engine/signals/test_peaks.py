"""Peak picking (paper §3.3) on curves with known peaks."""

import numpy as np
import pytest

from kickgen.engine.signals.frames import FPS
from kickgen.engine.signals.peaks import LOWPASS_A, LOWPASS_B, local_maxima, pick_peaks, smooth


def bumps(n_frames, centres, heights, width=2.0):
    t = np.arange(n_frames)
    return sum(h * np.exp(-0.5 * ((t - c) / width) ** 2) for c, h in zip(centres, heights))


def test_known_peaks_are_found_on_their_frames():
    curve = bumps(400, [50, 120, 200, 310], [1.0, 0.6, 0.9, 0.5])
    onsets = pick_peaks(curve)
    assert np.allclose(onsets.times_s * FPS, [50, 120, 200, 310])


def test_threshold_is_relative_to_the_maximum():
    curve = bumps(400, [50, 120, 200], [1.0, 0.2, 0.3])
    assert np.allclose(pick_peaks(curve, threshold=0.25).times_s * FPS, [50, 200])
    assert np.allclose(pick_peaks(curve, threshold=0.1).times_s * FPS, [50, 120, 200])
    assert np.allclose(pick_peaks(curve, threshold=0.5).times_s * FPS, [50])


def test_velocity_runs_from_70_to_100_percent():
    heights = [1.0, 0.625, 0.25 + 1e-6]
    # mirrored dips make the mean exactly zero, so standardizing only rescales
    curve = bumps(800, [50, 150, 250], heights, width=4.0) - bumps(800, [450, 550, 650], heights, width=4.0)
    onsets = pick_peaks(curve, threshold=0.25)
    assert onsets.velocities == pytest.approx([1.0, 0.85, 0.7], abs=0.01)


def test_peaks_are_picked_on_the_standardized_curve():
    curve = bumps(400, [50, 120, 200], [1.0, 0.6, 0.3])
    plain = pick_peaks(curve)
    for shifted in (3 * curve + 5, 0.01 * curve - 2):
        moved = pick_peaks(shifted)
        assert np.array_equal(moved.times_s, plain.times_s)
        assert np.allclose(moved.velocities, plain.velocities)


def test_smoothing_removes_single_frame_ripple():
    curve = bumps(400, [100], [1.0], width=6.0)
    curve[::2] += 0.05  # a ripple at Nyquist that would make many local maxima
    assert len(pick_peaks(curve).times_s) == 1


def test_flat_or_negative_curves_have_no_onsets():
    assert len(pick_peaks(np.zeros(100)).times_s) == 0
    assert len(pick_peaks(-np.ones(100)).times_s) == 0


@pytest.mark.parametrize("length", [10, 11, 40, 3000])
def test_the_written_out_filter_and_peak_search_equal_scipys(length):
    """peaks.py spells out scipy.signal's filtfilt and find_peaks to keep scipy.signal's
    import out of the producer's commands; they must give what scipy gives."""
    from scipy.signal import butter, filtfilt, find_peaks

    b, a = butter(2, 0.5)
    assert np.array_equal(b, LOWPASS_B) and np.array_equal(a, LOWPASS_A)
    rng = np.random.default_rng(length)
    for curve in (rng.random(length), rng.standard_normal(length).cumsum(), np.round(rng.random(length), 1)):
        np.testing.assert_allclose(smooth(curve), filtfilt(b, a, curve), rtol=0, atol=1e-12 * np.abs(curve).max())
        assert np.array_equal(local_maxima(curve), find_peaks(curve)[0])  # flat tops included
