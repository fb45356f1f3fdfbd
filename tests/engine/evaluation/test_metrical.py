"""Recall by position in the beat."""

import pytest

from kickgen.engine.evaluation.metrical import metrical_positions, pooled, recall_by_position

BEATS = [0.0, 0.5, 1.0, 1.5, 2.0]  # 120 bpm


def test_positions_on_the_sixteenth_grid_and_off_it():
    times = [0.0, 0.125, 0.25, 0.375, 0.5 + 0.5 / 3, 1.01, 2.5, -0.1]
    assert metrical_positions(times, BEATS) == [
        "beat", "sixteenth", "eighth", "sixteenth", "off_grid", "beat", None, None]


def test_recall_counts_the_kicks_found_at_each_position():
    reference = [0.0, 0.25, 0.375, 0.5, 0.75]
    estimated = [0.01, 0.52, 0.69, 1.2]  # finds 0.0 and 0.5; 0.69 is 60 ms from 0.75, outside the window
    counts = recall_by_position(reference, estimated, BEATS)
    assert counts["beat"] == {"kicks": 2, "found": 2}
    assert counts["eighth"] == {"kicks": 2, "found": 0}
    assert counts["sixteenth"] == {"kicks": 1, "found": 0}
    assert counts["off_grid"] == {"kicks": 0, "found": 0}
    assert recall_by_position(reference, [], BEATS)["beat"] == {"kicks": 2, "found": 0}


def test_pooled_adds_songs_up_before_dividing():
    a = recall_by_position([0.0, 0.25], [0.0], BEATS)
    b = recall_by_position([0.0, 0.5, 1.0, 1.25], [0.0, 0.5, 1.0, 1.25], BEATS)
    total = pooled([a, b])
    assert total["beat"]["kicks"] == 4 and total["beat"]["recall"] == 1.0
    assert total["eighth"]["recall"] == pytest.approx(0.5)
    assert total["eighth"]["share"] == pytest.approx(2 / 6, abs=1e-4)
    assert total["off_grid"]["recall"] is None
