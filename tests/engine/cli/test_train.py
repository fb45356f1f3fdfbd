"""`kickgen train`: help, training from feature files and resuming, one-line errors with exit 2."""

import importlib.resources
import json
import signal
import subprocess
import sys
import time

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.model.checkpoint import CHECKPOINT_NAME, read_checkpoint
from kickgen.engine.signals.feature_files import save_features


def test_train_help_answers(kickgen):
    result = kickgen("train", "--help")
    assert result.returncode == 0
    for flag in ("--data", "--out", "--epochs", "--batch", "--device", "--resume"):
        assert flag in result.stdout


def test_train_then_resume_from_the_command_line(tmp_path, kickgen):
    data = tmp_path / "features"
    for i, song in enumerate(generate_songs(4, seed=0)):
        save_features(data / f"song{i}.npz", song.signals)
    config = tmp_path / "tiny.json"
    config.write_text(
        '{"conv_channels": [8, 8, 8, 8, 8, 8, 8, 8], "mapping_channels": [8, 4], "critic_channels": [8, 1]}'
    )
    common = ["--data", str(data), "--out", str(tmp_path / "run"), "--batch", "4", "--chunk-frames", "512",
              "--model-config", str(config), "--quiet"]
    first = kickgen("train", *common, "--epochs", "3", "--time-limit-s", "0")  # stops after its first epoch
    assert first.returncode == 0, first.stderr
    assert "trained 1 epochs" in first.stdout
    assert "stopped by --time-limit-s after 1 of 3 epochs" in first.stdout
    assert (tmp_path / "run" / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = kickgen("train", *common, "--epochs", "2")
    assert refused.returncode == 2 and "already exists (use --force" in refused.stderr
    before = read_checkpoint(tmp_path / "run" / CHECKPOINT_NAME)
    resumed = kickgen("train", *common, "--epochs", "2", "--resume", "--batch", "2")
    assert resumed.returncode == 0 and "trained 2 epochs" in resumed.stdout
    assert "stopped by" not in resumed.stdout
    after = read_checkpoint(tmp_path / "run" / CHECKPOINT_NAME)
    history = json.loads(after["history"])
    assert history[0] == json.loads(before["history"])[0]  # epoch 1 kept, epoch 2 added
    assert json.loads(after["train_config"])["batch_size"] == 4  # the run's own recipe


def test_ctrl_c_keeps_the_last_checkpoint_and_the_run_resumes(tmp_path, interruptible):
    """SIGINT in the middle of training: one line, exit 130, no temporary file, and the
    last epoch's checkpoint (whole, written atomically) resumes."""
    data = tmp_path / "features"
    for i, song in enumerate(generate_songs(4, seed=1)):
        save_features(data / f"song{i}.npz", song.signals)
    run, config = tmp_path / "run", tmp_path / "tiny.json"
    config.write_text('{"conv_channels": [8, 8, 8, 8, 8, 8, 8, 8], "mapping_channels": [8, 4], "critic_channels": [8, 1]}')
    command = [sys.executable, "-m", "kickgen.engine.cli", "train", "--data", str(data), "--out", str(run),
               "--batch", "4", "--chunk-frames", "512", "--model-config", str(config), "--quiet"]
    training = interruptible([*command, "--epochs", "10000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.monotonic() + 120
    while not (run / CHECKPOINT_NAME).exists() and time.monotonic() < deadline and training.poll() is None:
        time.sleep(0.2)
    training.send_signal(signal.SIGINT)
    _, stderr = training.communicate(timeout=60)
    assert (training.returncode, stderr) == (130, "kickgen: interrupted\n")
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []
    done = len(json.loads(read_checkpoint(run / CHECKPOINT_NAME)["history"]))
    resumed = subprocess.run([*command, "--epochs", str(done + 1), "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads(read_checkpoint(run / CHECKPOINT_NAME)["history"])) == done + 1


def test_bad_model_config_is_one_line_and_exit_2(tmp_path, kickgen):
    data = tmp_path / "features"
    save_features(data / "song.npz", generate_songs(1, seed=0)[0].signals)
    for text in ('[1, 2]', '{"conv_channels": [6, 6, 6, 6, 6, 8, 8, 8]}', '{"colour": "red"}', "{"):
        config = tmp_path / "bad.json"
        config.write_text(text)
        result = kickgen("train", "--data", str(data), "--out", str(tmp_path / "run"),
                         "--model-config", str(config))
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1 and "bad.json: not a model config" in result.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path, kickgen):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = kickgen("train", "--data", str(empty), "--out", str(tmp_path / "run"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"kickgen: error: {empty}: holds no feature files (*.npz)"
    (empty / "bad.npz").write_bytes(b"not a zip")
    result = kickgen("train", "--data", str(empty), "--out", str(tmp_path / "run"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "bad.npz: not a kickgen feature file" in result.stderr


def test_a_bad_init_from_bundle_is_one_line_and_exit_2(tmp_path, kickgen):
    data = tmp_path / "features"
    save_features(data / "song.npz", generate_songs(1, seed=0)[0].signals)
    not_a_bundle = tmp_path / "not-a-bundle"
    not_a_bundle.mkdir()
    (not_a_bundle / "encoder.onnx").write_bytes(b"not onnx")
    common = ["--data", str(data), "--out", str(tmp_path / "run"), "--batch", "2", "--quiet"]
    result = kickgen("train", *common, "--init-from", str(not_a_bundle))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "encoder.onnx: not an ONNX graph" in result.stderr
    # the shipped bundle is paper-size: a tiny model config does not fit it
    tiny = tmp_path / "tiny.json"
    tiny.write_text('{"conv_channels": [8, 8, 8, 8, 8, 8, 8, 8], "mapping_channels": [8, 4], "critic_channels": [8, 1]}')
    shipped = importlib.resources.files("kickgen.models") / "default"
    result = kickgen("train", *common, "--model-config", str(tiny), "--init-from", str(shipped))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "weights do not fit the model config" in result.stderr
