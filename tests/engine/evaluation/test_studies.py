"""The tempo study's audio stretch keeps events in time over a whole song."""

import numpy as np
import pytest

from kickgen.engine.evaluation.studies import STRETCH_FACTORS, time_stretch
from kickgen.engine.signals.frames import SAMPLE_RATE

CLICKS_S = np.arange(0.5, 60.0, 0.5)  # a click every half second for a minute


def click_track() -> np.ndarray:
    audio = np.zeros(int(61 * SAMPLE_RATE), np.float32)
    n = np.arange(2000)
    click = (np.sin(2 * np.pi * 200 * n / SAMPLE_RATE) * np.exp(-n / 300)).astype(np.float32)
    for t in CLICKS_S:
        start = round(t * SAMPLE_RATE)
        audio[start : start + len(n)] += click
    return audio


def click_starts_s(audio: np.ndarray, expected_s: np.ndarray) -> np.ndarray:
    """Where each click's envelope first reaches a tenth of its peak, searched from
    100 ms before its expected time."""
    envelope = np.abs(audio)
    found = []
    for t in expected_s:
        start = round((t - 0.1) * SAMPLE_RATE)
        window = envelope[start : start + round(0.4 * SAMPLE_RATE)]
        found.append((start + np.argmax(window > 0.1 * window.max())) / SAMPLE_RATE)
    return np.array(found)


@pytest.mark.parametrize("factor", STRETCH_FACTORS)
def test_stretched_clicks_stay_on_their_scaled_times_for_a_minute(factor):
    audio = click_track()
    out = time_stretch(audio, factor)
    assert abs(len(out) - len(audio) / factor) <= 2048
    drift_ms = (click_starts_s(out, CLICKS_S / factor) - CLICKS_S / factor) * 1000
    assert np.abs(drift_ms).max() < 15, f"clicks off by up to {np.abs(drift_ms).max():.1f} ms"
