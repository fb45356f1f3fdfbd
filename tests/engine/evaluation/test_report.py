"""The results report: style files averaged over their songs, worst first."""

import pytest

from kickgen.engine.evaluation.report import by_style_file


def test_style_files_are_averaged_over_their_songs_worst_first():
    def song(style, gt, self_f, loop):
        return {"song": style, "style": style, "family": "pop", "ground_truth": {"f": gt},
                "self_transfer": {"f": self_f}, "baselines": {"looped_bar": {"f": loop}}}

    rows = by_style_file({"songs": [song("a/x", 0.9, 0.8, 1.0), song("a/x", 0.7, 0.6, 0.8), song("b/y", 0.5, 0.4, 0.9)]})
    assert [r["style"] for r in rows] == ["b/y", "a/x"] and rows[1]["songs"] == 2
    assert rows[1]["ground_truth"] == pytest.approx(0.8) and rows[1]["self_transfer"] == pytest.approx(0.7)
    assert rows[1]["looped_bar"] == pytest.approx(0.9)
