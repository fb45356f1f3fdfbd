"""Kicks from a code: quantizing to the song's beat grid."""

import numpy as np

from kickgen.engine.runtime.kicks import quantize
from kickgen.engine.signals.frames import Onsets


def test_quantize_snaps_to_the_grid_and_keeps_the_louder():
    beats = np.arange(0, 4, 0.5)  # 120 bpm: sixteenths every 0.125 s
    kicks = Onsets(np.array([0.01, 0.13, 0.26, 0.24, 1.0]), np.array([0.8, 0.7, 0.9, 1.0, 0.75]))
    snapped = quantize(kicks, beats, grid="1/16")
    assert np.allclose(snapped.times_s, [0.0, 0.125, 0.25, 1.0]) and snapped.velocities[2] == 1.0
    assert quantize(kicks, beats, grid="off") is kicks
    assert np.allclose(quantize(kicks, beats, grid="1/32").times_s[:2], [0.0, 0.125])
