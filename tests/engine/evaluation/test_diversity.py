"""The sampling study's plausibility check passes real grooves and fails off-grid ones."""

import numpy as np

from kickgen.engine.evaluation.diversity import plausibility

BEAT_S = 0.5  # 120 bpm, four beats a bar
BEATS_S = np.arange(0.0, 32.0, BEAT_S)  # 16 bars
N_BARS = 16


def groove(offsets_in_beats: list[float]) -> np.ndarray:
    """The same bar's kicks (offsets from its downbeat, in beats) in every bar; seconds."""
    bar_s = 4 * BEAT_S
    return np.array([bar * bar_s + offset * BEAT_S for bar in range(N_BARS) for offset in offsets_in_beats])


def test_four_on_the_floor_and_syncopated_sixteenths_are_plausible():
    for offsets in ([0, 1, 2, 3], [0, 0.75, 1.5, 2.5, 3.25]):
        check = plausibility(groove(offsets), beats_s=BEATS_S, n_bars=N_BARS)
        assert check.plausible and check.grid_share == 1.0


def test_a_shuffle_on_the_swung_eighths_is_plausible():
    check = plausibility(groove([0, 2 / 3, 2, 2 + 2 / 3]), beats_s=BEATS_S, n_bars=N_BARS)
    assert check.grid_share == 1.0 and check.plausible


def test_a_sixteenth_double_kick_is_plausible_and_more_is_not():
    assert plausibility(groove(list(np.arange(16) / 4)), beats_s=BEATS_S, n_bars=N_BARS).plausible
    # every sixteenth and every triplet eighth: all on the grid, 24 a bar
    every_grid_step = sorted({beat + step for beat in range(4) for step in (0, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4)})
    too_many = plausibility(groove(every_grid_step), beats_s=BEATS_S, n_bars=N_BARS)
    assert too_many.grid_share == 1.0 and too_many.kicks_per_bar == 24 and not too_many.plausible


def test_kicks_between_the_grid_points_or_too_few_are_not_plausible():
    off_grid = plausibility(groove([0.1, 1.1, 2.1, 3.1]), beats_s=BEATS_S, n_bars=N_BARS)  # 50 ms late
    assert off_grid.grid_share == 0.0 and not off_grid.plausible
    assert not plausibility(np.array([0.0]), beats_s=BEATS_S, n_bars=N_BARS).plausible
    assert not plausibility(np.array([]), beats_s=BEATS_S, n_bars=N_BARS).plausible
