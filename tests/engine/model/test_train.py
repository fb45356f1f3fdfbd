"""Training mechanics: checkpoints, exact resume, safe loading, and DDP under torchrun."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.errors import CheckpointError
from kickgen.engine.model.cgae import TINY_CONFIG
from kickgen.engine.model.checkpoint import CHECKPOINT_NAME, load_model, read_checkpoint
from kickgen.engine.model.crops import sample_crops, window
from kickgen.engine.model.process import cpu_has_bf16, has_native_bf16
from kickgen.engine.model.recipe import TrainConfig, learning_rate_scale
from kickgen.engine.model.train import clipped_step, train
from kickgen.engine.runtime.style import BAR_STEPS, bar_steps
from kickgen.engine.signals.frames import FPS, SongSignals

SONGS = [s.signals for s in generate_songs(6, seed=3)]
CONFIG = TrainConfig(epochs=2, batch_size=8, chunk_frames=512, crops_per_epoch=16, seed=7)


def run(out_dir, config=CONFIG, resume=False):
    return train(SONGS, out_dir=out_dir, model_config=TINY_CONFIG, train_config=config, device="cpu",
                 resume=resume, progress=False)


def same_weights(a, b):
    return all(torch.equal(a[k], b[k]) for k in a) and a.keys() == b.keys()


def test_checkpoint_holds_config_weights_and_history(tmp_path, capsys):
    state = run(tmp_path)
    # without a progress bar (`--quiet`, a log), every epoch prints its summary line
    summaries = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in summaries] == ["1/2", "2/2"]
    assert all(" mse=" in line for line in summaries)
    payload = read_checkpoint(tmp_path / CHECKPOINT_NAME)
    assert payload["epochs_done"] == 2
    model = load_model(tmp_path / CHECKPOINT_NAME)
    assert model.config == TINY_CONFIG
    assert same_weights(model.state_dict(), state.model.state_dict())
    assert [h["epoch"] for h in state.history] == [1, 2]
    assert {"mse", "const", "std", "adv", "gp", "frames_per_s"} <= state.history[0].keys()


def test_seeded_runs_repeat_and_resume_continues_exactly(tmp_path):
    whole = run(tmp_path / "whole")
    again = run(tmp_path / "again")
    assert same_weights(whole.model.state_dict(), again.model.state_dict())
    run(tmp_path / "split", config=TrainConfig(**{**CONFIG.to_json(), "epochs": 1}))
    resumed = run(tmp_path / "split", resume=True)
    assert resumed.epochs_done == 2
    assert same_weights(whole.model.state_dict(), resumed.model.state_dict())
    assert same_weights(whole.critic.state_dict(), resumed.critic.state_dict())


def test_resume_without_checkpoint_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint to resume from"):
        run(tmp_path, resume=True)


class Payload:
    """Any class: unpickling it would run arbitrary code."""


def test_checkpoints_are_loaded_without_unpickling_objects(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": 1, "model": Payload()}, evil)
    with pytest.raises(CheckpointError, match=r"evil\.pt: not a kickgen checkpoint"):
        read_checkpoint(evil)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match=r"junk\.pt: not a kickgen checkpoint"):
        read_checkpoint(junk)


def test_ddp_two_gloo_processes_keep_identical_weights(tmp_path):
    worker = Path(__file__).with_name("ddp_worker.py")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert same_weights(rank0["model"], rank1["model"])
    assert same_weights(rank0["critic"], rank1["critic"])
    # the weights moved, and the ranks saw different crops, so the gradients were averaged
    initial = run(tmp_path / "init", config=TrainConfig(**{**CONFIG.to_json(), "epochs": 0, "seed": 5}))
    assert not same_weights(rank0["model"], initial.model.state_dict())
    assert read_checkpoint(tmp_path / CHECKPOINT_NAME)["epochs_done"] == 1


def test_learning_rates_follow_a_cosine_to_the_final_fraction(tmp_path):
    config = TrainConfig(**{**CONFIG.to_json(), "epochs": 3, "final_lr_fraction": 0.1, "learning_rate": 2e-3})
    scales = [learning_rate_scale(e, config) for e in range(3)]
    assert scales == pytest.approx([1.0, 0.55, 0.1])
    state = run(tmp_path, config=config)
    assert [h["learning_rate"] for h in state.history] == pytest.approx([2e-3, 1.1e-3, 2e-4])
    assert state.critic_optimizer.param_groups[0]["lr"] == pytest.approx(config.critic_learning_rate * 0.1)
    assert all(h["grad_norm"] > 0 and h["critic_grad_norm"] > 0 for h in state.history)


def test_resuming_a_finished_run_with_more_epochs_restarts_the_cosine(tmp_path):
    config = TrainConfig(**{**CONFIG.to_json(), "final_lr_fraction": 0.1, "learning_rate": 2e-3})
    run(tmp_path, config=config)
    state = run(tmp_path, config=TrainConfig(**{**config.to_json(), "epochs": 4}), resume=True)
    # epochs 1-2 decayed to 0.1; epoch 3 of 4 sits at 0.1 + 0.45 (1 + cos 2π/3) = 0.325
    assert [h["learning_rate"] for h in state.history] == pytest.approx([2e-3, 2e-4, 6.5e-4, 2e-4])


def test_a_clipped_step_scales_the_gradient_down_and_reports_its_norm():
    layer = torch.nn.Linear(4, 1, bias=False)
    layer.weight.grad = torch.full((1, 4), 10.0)  # norm 20
    optimizer = torch.optim.SGD(layer.parameters(), lr=1.0)
    before = layer.weight.detach().clone()
    assert clipped_step(optimizer, layer, 2.0) == pytest.approx(20.0)
    assert layer.weight.grad.norm().item() == pytest.approx(2.0)
    assert torch.allclose(before - layer.weight.detach(), torch.full((1, 4), 1.0))


def test_the_constancy_weight_sets_how_smooth_the_codes_become(tmp_path):
    smooth, free = (run(tmp_path / str(weight), config=TrainConfig(**{**CONFIG.to_json(), "constancy_weight": weight}))
                    for weight in (10.0, 0.0))
    assert smooth.history[-1]["const"] < 0.8 * free.history[-1]["const"]  # 1.99 against 2.64 here
    saved = json.loads(read_checkpoint(tmp_path / "10.0" / CHECKPOINT_NAME)["train_config"])
    assert saved["constancy_weight"] == 10.0


def frame_ramp_song(n_frames=3000, beat_s=0.5):
    """Every channel holds its frame index, so a crop shows where it was read from."""
    ramp = np.arange(n_frames, dtype=np.float32)
    beats = np.arange(0, n_frames / FPS, beat_s)
    return SongSignals(np.tile(ramp, (4, 1)), ramp[None], beats, beats[::4], FPS)


@pytest.mark.parametrize("probability", [0.0, 1.0])
def test_kick_displacement_moves_the_kick_by_sixteenths_against_the_context(probability):
    x, y = sample_crops([frame_ramp_song()], 200, chunk_frames=1000, rng=np.random.default_rng(0),
                        kick_displacement_probability=probability)
    delays = (x[:, 0, 500] - y[:, 0, 500]).numpy()  # mid-crop: both read inside the song
    assert torch.equal(x[:, 0], x[:, 3])
    sixteenth = 0.5 * FPS / 4  # 10.8 frames at 120 bpm
    expected = {0} if probability == 0 else {round(k * sixteenth) for k in (-2, -1, 1, 2)}
    assert set(delays.astype(int)) == expected  # {-22, -11, 11, 22} when displaced


def test_crops_carry_their_bar_steps_when_asked():
    song = frame_ramp_song()
    numbered = bar_steps(song)
    x, _, steps = sample_crops([song], 50, chunk_frames=1000, rng=np.random.default_rng(0), song_steps=[numbered])
    assert steps.shape == (50, BAR_STEPS, 1000) and torch.all(steps.sum(dim=1) == 1)  # no crop runs past the song
    frames = x[:, 0].round().long()  # the ramp: each crop frame's frame in the song
    assert torch.equal(steps.argmax(dim=1), torch.from_numpy(numbered)[frames])


def test_a_window_past_either_end_is_zero_padded():
    curves = np.arange(1, 6, dtype=np.float32)[None]
    assert window(curves, -2, 4).tolist() == [[0, 0, 1, 2]]
    assert window(curves, 3, 4).tolist() == [[4, 5, 0, 0]]
    assert window(curves, 9, 2).tolist() == [[0, 0]]


def test_the_ablation_options_train_and_are_checked(tmp_path, capsys):
    """Part dropout, the peak-keeping warp, the paper's L_std, held and path codes, bfloat16 autocast and a
    bias-free mapping path run together, keep the mapping biases at zero, and land in
    the checkpoint's recipe; an unknown mode is refused. On a CPU without bfloat16
    arithmetic the epochs run in float32, saying so, and the recipe keeps bf16."""
    config = replace(CONFIG, epochs=1, input_dropout=0.3, input_dropout_mode="parts", warp_mode="peaks",
                     std_loss_form="paper", decoder_code="both", bf16=True)
    bar = train(SONGS, out_dir=tmp_path / "bar", model_config=TINY_CONFIG, progress=False, device="cpu",
                train_config=replace(CONFIG, epochs=1, decoder_code="bar"))
    assert np.isfinite(bar.history[0]["mse"])
    state = train(SONGS, out_dir=tmp_path, model_config=replace(TINY_CONFIG, mapping_bias=False),
                  train_config=config, device="cpu", progress=False)
    assert np.isfinite(state.history[0]["mse"])
    assert all(float(p.abs().max()) == 0 for n, p in state.model.W.named_parameters() if "bias" in n)
    recipe = json.loads(read_checkpoint(tmp_path / CHECKPOINT_NAME)["train_config"])
    assert recipe["input_dropout_mode"] == "parts" and recipe["bf16"] is True and recipe["decoder_code"] == "both"
    native = has_native_bf16(torch.device("cpu"))
    assert ("train in float32" in capsys.readouterr().err) is not native
    assert state.training["autocast"] == ("bf16" if native else "off")
    with pytest.raises(ValueError, match="warp_mode"):
        TrainConfig(warp_mode="cubic")


def test_bfloat16_arithmetic_is_read_from_the_cpu_flags():
    avx2_epyc = "processor\t: 0\nflags\t\t: fpu sse2 avx fma avx2 bmi2\n"
    zen4 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n"
    sapphire_rapids = "flags\t\t: avx2 avx512f amx_bf16 amx_tile\n"
    assert not cpu_has_bf16(avx2_epyc)
    assert cpu_has_bf16(zen4) and cpu_has_bf16(sapphire_rapids)
    assert not cpu_has_bf16("model name\t: a CPU named avx512_bf16\nflags\t\t: avx2\n")


def test_a_validated_run_keeps_the_epoch_of_highest_validation_f(tmp_path):
    config = replace(CONFIG, epochs=3, validate_every=2)
    state = train(SONGS, out_dir=tmp_path, model_config=TINY_CONFIG, train_config=config, device="cpu",
                  progress=False, validation=SONGS[:2])
    validated = [h for h in state.history if "val_f" in h]
    assert [h["epoch"] for h in validated] == [2, 3]  # every 2 epochs, and the last
    assert all(0 <= h["val_gt_f"] <= 1 and 0 <= h["val_self_f"] <= 1 for h in validated)
    best = max(validated, key=lambda h: h["val_f"])
    assert read_checkpoint(tmp_path / "best.pt")["epochs_done"] == best["epoch"]
