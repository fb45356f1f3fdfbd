"""The model study's table: one row per arm and evaluated domain, with the steering gaps."""

import json

from kickgen.engine.evaluation.study import study_lines


def test_every_evaluated_arm_gets_a_row_per_domain(tmp_path):
    arm = tmp_path / "bilinear"
    arm.mkdir()
    (tmp_path / "not-run-yet").mkdir()
    (arm / "history.json").write_text(json.dumps([{"epoch": 1, "seconds": 1800.0}, {"epoch": 2, "seconds": 1800.0}]))
    document = {"mean": {"ground_truth": {"f": 0.8}, "self_transfer": {"f": 0.7},
                         "baselines": {"looped_bar": {"f": 0.85}}},
                "steering": {"own_minus_other": 0.2, "own_minus_zero": 0.3, "bar_shift_drop": 0.1}}
    (arm / "eval-midi.json").write_text(json.dumps(document))
    lines = study_lines(tmp_path)
    assert lines[0].startswith("## Model study")
    assert "| bilinear | midi | 0.800 | 0.700 | 0.850 | 0.200 | 0.300 | 0.100 | 2 | 1.00 |" in lines
    assert not any("not-run-yet" in line for line in lines)
    assert study_lines(tmp_path / "not-run-yet") == []
