"""Kick audio: the one-shot placed at every kick, its gain from the velocity."""

import numpy as np

from kickgen.engine.producer.kick_audio import render_kicks, synth_kick
from kickgen.engine.signals.frames import SAMPLE_RATE, Onsets


def test_kick_audio_places_the_one_shot_by_velocity():
    one_shot = synth_kick()
    assert one_shot.dtype == np.float32 and 0.89 < np.abs(one_shot).max() <= 0.9
    audio = render_kicks(Onsets(np.array([0.5, 1.0]), np.array([1.0, 0.7])), one_shot, n_samples=SAMPLE_RATE * 2)
    first, second, n = round(0.5 * SAMPLE_RATE), SAMPLE_RATE, len(one_shot)
    assert np.abs(audio[:first]).max() == 0
    assert np.array_equal(audio[first:first + n], one_shot)
    assert np.allclose(audio[second:second + n], 0.7 * one_shot)
