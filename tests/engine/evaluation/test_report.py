"""The results report: style files averaged over their songs, worst first; the training
run's stages."""

import json

import pytest

from kickgen.engine.evaluation.report import by_style_file, training_lines, training_stages


def test_style_files_are_averaged_over_their_songs_worst_first():
    def song(style, gt, self_f, loop):
        return {"song": style, "style": style, "family": "pop", "ground_truth": {"f": gt},
                "self_transfer": {"f": self_f}, "baselines": {"looped_bar": {"f": loop}}}

    rows = by_style_file({"songs": [song("a/x", 0.9, 0.8, 1.0), song("a/x", 0.7, 0.6, 0.8), song("b/y", 0.5, 0.4, 0.9)]})
    assert [r["style"] for r in rows] == ["b/y", "a/x"] and rows[1]["songs"] == 2
    assert rows[1]["ground_truth"] == pytest.approx(0.8) and rows[1]["self_transfer"] == pytest.approx(0.7)
    assert rows[1]["looped_bar"] == pytest.approx(0.9)


def test_the_training_section_gives_each_stage_and_the_exported_epoch(tmp_path):
    """A run's first stage and its second stage (decoding both) each get a paragraph and a
    loss curve; the exported epoch is the best validation F's where the stage validated,
    else the lowest training mse's."""
    def epoch(n, mse, val_f=None):
        losses = {"mse": mse, "const": 0.2, "std": 0.01, "adv": -0.3, "gp": 0.02}
        return {"epoch": n, "seconds": 1800.0, "frames_per_s": 6000.0, **losses,
                **({"val_f": val_f} if val_f is not None else {})}

    (tmp_path / "history.json").write_text(json.dumps([epoch(1, 0.7), epoch(2, 0.6)]))
    assert training_stages(tmp_path)["first"]["exported_epoch"] == 2
    (tmp_path / "history-both.json").write_text(json.dumps([epoch(1, 0.9, 0.55), epoch(2, 0.6, 0.61), epoch(3, 0.5, 0.58)]))
    stages = training_stages(tmp_path)
    assert stages["both"]["exported_epoch"] == 2 and stages["both"]["exported_val_f"] == 0.61
    text = "\n".join(training_lines(stages))
    assert "results/losses.png" in text and "results/losses-both.png" in text
    assert "The bundle holds epoch 2, the best validation F (0.61)." in text and text.count("The bundle holds") == 1
