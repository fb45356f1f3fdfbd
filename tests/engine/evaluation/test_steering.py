"""The steering diagnostics: the beat grid moved against the parts, the other songs a
song is tried with, and the means and gaps over songs."""

import numpy as np
import pytest

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.evaluation.steering import other_songs, shifted_grid, summarize_steering
from kickgen.engine.signals.frames import CONTEXT_CHANNELS


def test_the_grid_moves_one_beat_and_the_parts_stay():
    song = generate_songs(1, seed=3)[0]
    signals = song.signals
    moved = shifted_grid(signals)
    beat_frames = round(60.0 / song.bpm * signals.fps)
    for name in ("snare", "bass"):
        i = CONTEXT_CHANNELS.index(name)
        assert np.array_equal(moved.context[i], signals.context[i])
    downbeat = CONTEXT_CHANNELS.index("downbeat")
    original = np.flatnonzero(signals.context[downbeat] == signals.context[downbeat].max())
    shifted = np.flatnonzero(moved.context[downbeat] == moved.context[downbeat].max())
    assert np.abs(shifted[: len(original) - 1] - original[:-1] - beat_frames).max() <= 1
    assert np.allclose(moved.downbeat_times_s - signals.downbeat_times_s, beat_frames / signals.fps)


def test_other_songs_come_from_other_style_files_first():
    styles = ["a", "a", "b", "a", "c"]
    assert other_songs(styles, 0) == [2, 4, 1]
    assert other_songs(styles, 4, n=2) == [0, 1]
    assert other_songs([None, None], 1) == [0]


def test_the_summary_holds_the_means_and_gaps_of_what_every_song_has():
    songs = [{"own": {"f": 0.8}, "other_styles": {"f": 0.5}, "zero_code": {"f": 0.4}, "bar_shifted": {"f": 0.6}},
             {"own": {"f": 0.6}, "other_styles": {"f": 0.3}, "zero_code": {"f": 0.2}, "bar_shifted": {"f": 0.6}}]
    summary = summarize_steering(songs)
    assert summary["own"] == pytest.approx(0.7) and summary["own_minus_other"] == pytest.approx(0.3)
    assert summary["own_minus_zero"] == pytest.approx(0.4) and summary["bar_shift_drop"] == pytest.approx(0.1)
    one = summarize_steering([{k: v for k, v in songs[0].items() if k != "other_styles"}])
    assert "other_styles" not in one and "own_minus_other" not in one and one["n_songs"] == 1
