"""The model study's table: a compact summary of every evaluated arm, and one row per arm
and evaluated domain with the steering gaps and sampling figures."""

import json

from kickgen.engine.evaluation.study import study_lines, study_summary


def test_every_evaluated_arm_gets_a_row_per_domain(tmp_path):
    arm = tmp_path / "bilinear"
    arm.mkdir()
    (tmp_path / "not-run-yet").mkdir()
    (arm / "history.json").write_text(json.dumps([{"epoch": 1, "seconds": 1800.0}, {"epoch": 2, "seconds": 1800.0}]))
    document = {"n_songs": 98, "mean": {"ground_truth": {"f": 0.8}, "self_transfer": {"f": 0.7},
                                        "baselines": {"looped_bar": {"f": 0.85}}},
                "steering": {"own_minus_other": 0.2, "own_minus_zero": 0.3, "bar_shift_drop": 0.1},
                "sampling": {"mean_diversity_picked": 0.31, "mean_plausible_share": 0.95}}
    (arm / "eval-midi.json").write_text(json.dumps(document))
    summary = study_summary(tmp_path)
    assert list(summary) == ["bilinear"] and summary["bilinear"]["hours"] == 1.0
    lines = study_lines(json.loads(json.dumps(summary)))  # as kept in docs/results/study.json
    assert lines[0].startswith("## Model study") and "its 98 validation songs" in lines[2]
    assert "| bilinear | midi | 0.800 | 0.700 | 0.850 | 0.200 | 0.300 | 0.100 | 0.310 | 0.950 | 2 |" in lines
    assert study_lines({}) == []
