"""The report's training section: one run, or a run trained further from its export."""

import json

from kickgen.engine.report import training_history, training_summary, write_report


def epochs(mses):
    return [{"epoch": e, "seconds": 360.0, "frames_per_s": 100.0, "mse": mse, "const": 0.1, "std": 0.5,
             "adv": 0.2, "gp": 0.01} for e, mse in enumerate(mses, start=1)]


def test_a_second_stage_is_numbered_on_and_its_best_epoch_is_the_exported_one(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps(epochs([0.9, 0.3, 0.35])))
    (tmp_path / "history-finetune.json").write_text(json.dumps(epochs([0.34, 0.31, 0.32])))
    history = training_history(tmp_path)
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert [h["stage"] for h in history] == [1, 1, 1, 2, 2, 2]
    summary = training_summary(history)
    assert summary["epochs"] == 6 and summary["hours"] == 0.6
    assert (summary["exported_epoch"], summary["exported_mse"]) == (5, 0.31)  # stage 1's 0.3 is not exported
    write_report(tmp_path, tmp_path / "results.md")
    report = (tmp_path / "results.md").read_text()
    assert "6 epochs (epochs 1–3 from scratch, then 3 more started from their export" in report
    assert "The bundle holds epoch 5, the lowest training mse (0.31)" in report
    assert (tmp_path / "losses.png").read_bytes()[:4] == b"\x89PNG"


def test_a_single_stage_run_reads_as_before(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps(epochs([0.5, 0.4])))
    history = training_history(tmp_path)
    assert {h["stage"] for h in history} == {1}
    assert training_summary(history)["exported_epoch"] == 2
    assert training_history(tmp_path / "missing") is None
