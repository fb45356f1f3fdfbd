"""P/R/F with the 50 ms window."""

import pytest

from kickgen.engine.evaluation.metrics import mean_scores, onset_scores


def test_window_is_50_ms():
    reference = [1.0, 2.0, 3.0, 4.0]
    estimated = [1.04, 2.06, 3.0]  # 40 ms in, 60 ms out, exact
    scores = onset_scores(reference, estimated)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 4)
    assert scores.f_measure == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))


def test_perfect_and_mean():
    perfect = onset_scores([0.5, 1.5], [1.5, 0.5])
    assert (perfect.precision, perfect.recall, perfect.f_measure) == (1.0, 1.0, 1.0)
    assert mean_scores([perfect, onset_scores([0.5, 1.5], [])]).recall == pytest.approx(0.5)
