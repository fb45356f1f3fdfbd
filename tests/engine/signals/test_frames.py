"""The steps both signal domains share: standardizing a curve, the bar-phase form of the downbeat."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.signals.frames import (
    CONTEXT_CHANNELS,
    bar_phase_curve,
    standardize,
    with_downbeat_form,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_standardize_is_zero_mean_unit_variance_or_silent(values):
    curve, silent = standardize(np.array(values))
    assert curve.dtype == np.float32 and curve.shape == (len(values),)
    if silent:
        assert not curve.any()
    else:
        assert abs(float(curve.mean())) < 1e-3 and abs(float(curve.std()) - 1) < 1e-3


def test_the_bar_phase_rises_from_each_downbeat_to_the_next():
    fps = 100.0
    downbeats = np.array([0.5, 2.5, 4.5])  # two-second bars, the first starting at 0.5 s
    phase = bar_phase_curve(downbeats, n_frames=700, fps=fps)
    assert phase.dtype == np.float32 and phase.shape == (700,)
    assert phase[50] == 0 and phase[250] == 0 and phase[450] == 0
    assert phase[150] == pytest.approx(0.5) and phase[0] == pytest.approx(0.75)  # before the first: carried on
    assert phase[550] == pytest.approx(0.5) and np.all((phase >= 0) & (phase < 1))
    assert not bar_phase_curve(downbeats[:1], n_frames=10, fps=fps).any()


def test_a_song_in_the_bar_phase_form_keeps_all_but_its_downbeat_channel():
    song = generate_songs(1, seed=4)[0].signals
    phased = with_downbeat_form(song, "bar_phase")
    assert with_downbeat_form(song, "impulses") is song
    assert np.array_equal(phased.context[:3], song.context[:3])
    row = phased.context[CONTEXT_CHANNELS.index("downbeat")]
    assert abs(float(row.mean())) < 1e-4 and abs(float(row.std()) - 1) < 1e-3
    phase = bar_phase_curve(song.downbeat_times_s, n_frames=song.n_frames, fps=song.fps)
    assert np.corrcoef(row, phase)[0, 1] == pytest.approx(1.0)  # the phase, standardized
    with pytest.raises(ValueError, match="downbeat form"):
        with_downbeat_form(song, "ramp")
