"""Training of the CGAE with its critic: two steps per batch, Eq. 5 augmentation,
seeded runs, a checkpoint after every epoch (resumable), and data-parallel runs under
torchrun (DDP).

The critic is a WGAN critic stabilized with a gradient penalty (WGAN-GP, weight 10)
on random mixes of codes and noise, computed per frame. Both optimizers clip the
gradient norm (a run without clipping spiked from L_mse 0.49 to 63.7 in one epoch and
took the rest of its time to recover), and both learning rates follow a cosine decay
over the run's epochs (`recipe.learning_rate_scale`).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from kickgen.engine.errors import CheckpointError, TrainingSetupError
from kickgen.engine.model import losses
from kickgen.engine.model.augment import drop_parts, random_warp_params, time_warp, time_warp_peaks
from kickgen.engine.model.bundle_weights import load_cgae_from_bundle
from kickgen.engine.model.cgae import Critic, ModelConfig
from kickgen.engine.model.checkpoint import (
    BEST_CHECKPOINT_NAME,
    CHECKPOINT_NAME,
    TrainState,
    new_state,
    restore_state,
    save_checkpoint,
)
from kickgen.engine.model.crops import sample_crops
from kickgen.engine.model.process import Distributed, has_native_bf16, resolve_device, time_is_up
from kickgen.engine.model.recipe import TrainConfig, learning_rate_scale
from kickgen.engine.model.validation import validation_scores
from kickgen.engine.runtime.bundle_files import BundleInfo, bundle_id
from kickgen.engine.runtime.style import bar_steps
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, SongSignals, with_downbeat_form

SUMMARY_EVERY_S = 10.0  # beside a progress bar, at most one epoch summary line per this many seconds
SUMMARY_TERMS = ("mse", "const", "std", "held_std", "adv", "gp", "grad_norm")
PART_CHANNELS = tuple(CONTEXT_CHANNELS.index(name) for name in ("snare", "bass"))  # what "parts" dropout drops


@dataclass(frozen=True)
class Networks:
    """The modules a step runs: the CGAE and the critic as called (DDP wrappers under
    torchrun), and the bare critic, which the CGAE step uses so that the critic's
    gradient sync runs only in the critic's own step."""

    model: torch.nn.Module
    critic: torch.nn.Module
    bare_critic: Critic

    @classmethod
    def of(cls, state: TrainState, dist_info: Distributed, device: torch.device) -> Networks:
        if dist_info.world_size == 1:
            return cls(state.model, state.critic, state.critic)
        device_ids = [device.index] if device.type == "cuda" else None
        return cls(DistributedDataParallel(state.model, device_ids=device_ids),
                   DistributedDataParallel(state.critic, device_ids=device_ids), state.critic)


def set_learning_rates(state: TrainState, config: TrainConfig, epoch: int) -> None:
    scale = learning_rate_scale(epoch, config)
    for optimizer, rate in ((state.optimizer, config.learning_rate),
                            (state.critic_optimizer, config.critic_learning_rate)):
        for group in optimizer.param_groups:
            group["lr"] = rate * scale


def clipped_step(optimizer: torch.optim.Optimizer, module: torch.nn.Module, max_norm: float | None) -> float:
    """Clip `module`'s gradient norm to `max_norm` (when set), step, and return the norm
    before clipping."""
    parameters = [p for p in module.parameters() if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(parameters, max_norm if max_norm is not None else math.inf)
    optimizer.step()
    return float(norm)


def input_dropout(context: torch.Tensor, config: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """The recipe's dropout on a (B, 4, T) context: single values ("frames", the paper's)
    or the whole snare and bass channels of a crop ("parts")."""
    if config.input_dropout_mode == "parts":
        return drop_parts(context, config.input_dropout, channels=PART_CHANNELS, generator=generator)
    return F.dropout(context, config.input_dropout)


def autocast(device: torch.device, enabled: bool):
    """bfloat16 autocast on `device`'s type when `enabled` (the recipe's `bf16`)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def train_step(
    nets: Networks, state: TrainState, x: torch.Tensor, y: torch.Tensor, config: TrainConfig,
    generator: torch.Generator, *, update_model: bool = True, steps: torch.Tensor | None = None,
) -> dict[str, float]:
    """One batch: a critic step on (code, noise), then a CGAE step (unless not
    `update_model`: a critic warm-up step). x (B,4,L), y (B,1,L); steps (B,S,L), the bar-step
    indicators a "bar" decoder code needs. Returns the loss terms and both gradient norms."""
    batch = x.shape[0]
    shift, scale = random_warp_params(
        batch, max_shift_frames=config.max_shift_frames, scale_range=config.scale_range, generator=generator
    )
    shift, scale = shift.to(x.device), scale.to(x.device)
    warp = time_warp_peaks if config.warp_mode == "peaks" else time_warp
    # dropout on x: the encoder's and the decoder's contexts get their own masks
    x_in, x_warped = (input_dropout(c, config, generator) for c in (x, warp(x, shift, scale)))
    y_warped = warp(y, shift, scale)
    with torch.set_grad_enabled(update_model), autocast(x.device, config.bf16):  # no CGAE graph in a warm-up step
        code, features, reconstruction = nets.model(
            x_in, y, x_warped, decoder_code=config.decoder_code, steps=steps,
            steps_warped=None if steps is None else time_warp(steps, shift, scale))
    code, features, reconstruction = code.float(), features.float(), reconstruction.float()

    # Critic step: score noise high and codes low, with a gradient penalty on mixes.
    noise = torch.randn(code.shape, generator=generator).to(x.device)
    alpha = torch.rand(batch, 1, 1, generator=generator).to(x.device)
    mixed = (alpha * code.detach() + (1 - alpha) * noise).requires_grad_(True)
    with autocast(x.device, config.bf16):
        scores = nets.critic(torch.cat([code.detach(), noise, mixed]), features.detach().repeat(3, 1, 1)).float()
    on_code, on_noise, on_mixed = scores.chunk(3)
    critic_gap = losses.critic_gap(on_code, on_noise)
    penalty = losses.gradient_penalty(on_mixed, mixed)
    state.critic_optimizer.zero_grad(set_to_none=True)
    (critic_gap + config.gradient_penalty_weight * penalty).backward()
    critic_norm = clipped_step(state.critic_optimizer, nets.critic, config.max_grad_norm)

    # CGAE step: reconstruct, keep codes smooth and standard, and fool the critic. The
    # critic's condition U x is held fixed here, so that only the code answers to it.
    # D(η, U x) does not depend on the CGAE: the critic step's score stands in for it.
    nets.bare_critic.requires_grad_(False)
    with autocast(x.device, config.bf16):
        on_own_code = nets.bare_critic(code, features.detach()).float()
    adversarial = losses.critic_gap(on_own_code, on_noise.detach())
    nets.bare_critic.requires_grad_(True)
    terms = {
        # with decoder_code "both", the mean over the held and the path reconstructions
        "mse": losses.reconstruction_loss(y_warped.repeat(reconstruction.shape[0] // batch, 1, 1), reconstruction),
        "const": losses.constancy_loss(code),
        "std": losses.standardization_loss(code, form=config.std_loss_form),
        "held_std": losses.standardization_loss(code.mean(dim=-1, keepdim=True), form=config.std_loss_form),
    }
    total = (terms["mse"] + config.constancy_weight * terms["const"] + config.standardization_weight * terms["std"]
             + config.held_standardization_weight * terms["held_std"] - config.adversarial_weight * adversarial)
    model_norm = 0.0
    if update_model:
        state.optimizer.zero_grad(set_to_none=True)
        total.backward()
        model_norm = clipped_step(state.optimizer, nets.model, config.max_grad_norm)
    return {**{k: v.item() for k, v in {**terms, "adv": adversarial, "gp": penalty}.items()},
            "grad_norm": model_norm, "critic_grad_norm": critic_norm}


def run_epoch(
    nets: Networks, state: TrainState, songs: list[SongSignals], config: TrainConfig, *,
    dist_info: Distributed, device: torch.device, steps: int, progress: bool,
) -> dict:
    """Train one epoch of `steps` batches, seeded by (seed, epoch, rank); returns its
    record: the mean of every loss term and gradient norm, the rate, the time taken."""
    epoch = state.epochs_done
    rng = np.random.default_rng([config.seed, epoch, dist_info.rank])
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    torch.manual_seed(int(rng.integers(2**62)))  # dropout masks
    set_learning_rates(state, config, epoch)
    local_batch = config.batch_size // dist_info.world_size
    sums: dict[str, float] = {}
    started = time.monotonic()
    bar = tqdm(range(steps), desc=f"epoch {epoch + 1}/{config.epochs}",
               disable=not (progress and dist_info.is_main), leave=False)
    song_steps = [bar_steps(song) for song in songs] if config.decoder_code == "bar" else None
    for step in bar:
        x, y, *bar_step_crops = sample_crops(songs, local_batch, chunk_frames=config.chunk_frames, rng=rng,
                                             kick_displacement_probability=config.kick_displacement_probability,
                                             song_steps=song_steps)
        warming_up = epoch * steps + step < config.critic_warmup_steps
        terms = train_step(nets, state, x.to(device), y.to(device), config, generator, update_model=not warming_up,
                           steps=bar_step_crops[0].to(device) if bar_step_crops else None)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + v
        bar.set_postfix({k: f"{v:.3f}" for k, v in terms.items()})
    seconds = time.monotonic() - started
    record = {k: v / steps for k, v in sums.items()}
    record.update(epoch=epoch + 1, learning_rate=state.optimizer.param_groups[0]["lr"], seconds=seconds,
                  frames_per_s=steps * config.batch_size * config.chunk_frames / seconds)
    return record


def start_state(
    out_dir: Path, model_config: ModelConfig, train_config: TrainConfig, device: torch.device, *,
    resume: bool, init_from: str | Path | None,
) -> tuple[TrainState, TrainConfig]:
    """The run's state and recipe: resumed from `out_dir`'s checkpoint, or new (from a
    bundle's CGAE weights with `init_from`)."""
    checkpoint = out_dir / CHECKPOINT_NAME
    if resume and checkpoint.exists():
        return restore_state(checkpoint, train_config, device)
    if resume:
        raise CheckpointError(checkpoint, "no checkpoint to resume from")
    state = new_state(model_config, train_config, device)
    if init_from is not None:
        state.model.load_state_dict(load_cgae_from_bundle(init_from, model_config).state_dict())
        state.training["init_from"] = {
            "bundle_id": bundle_id(init_from),
            "epochs": BundleInfo.read(Path(init_from)).training.get("epochs"),
        }
    return state, train_config


def is_best(record: dict, history: list[dict]) -> bool:
    """Whether this epoch's record is the best so far: by validation F ("val_f") once a
    run validates, else by lowest training L_mse."""
    validated = [h["val_f"] for h in history if "val_f" in h]
    if validated:
        return "val_f" in record and record["val_f"] >= max(validated)
    return record["mse"] <= min(h["mse"] for h in history)


def print_summary(record: dict, epochs: int) -> None:
    """One line per epoch, flushed, so that a log file (`--quiet` under nohup) gets each line as it comes."""
    terms = [k for k in (*SUMMARY_TERMS, "val_gt_f", "val_self_f") if k in record]
    tqdm.write(f"epoch {record['epoch']}/{epochs} " + " ".join(f"{k}={record[k]:.4f}" for k in terms)
               + f" ({record['seconds']:.1f} s)")
    sys.stdout.flush()


def train(
    songs: list[SongSignals],
    *,
    out_dir: str | Path,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    device: str = "auto",
    resume: bool = False,
    progress: bool = True,
    data_description: str = "",
    init_from: str | Path | None = None,
    validation: list[SongSignals] = (),
) -> TrainState:
    """Train on `songs` (each with a kick) and checkpoint to `out_dir` after every epoch
    (`checkpoint.pt`, to resume; `best.pt`, to export: the validated epoch of highest
    validation F when `validation` songs are given and `train_config.validate_every` is
    set, else the epoch of lowest training L_mse, since an adversarial run can spike and
    take many epochs to recover).

    With `resume`, continue from `out_dir`'s checkpoint with its model and recipe; only
    `train_config.epochs` and `time_limit_s` apply (see `restore_state`). Under
    torchrun the processes split each batch and average gradients (DDP; gloo on CPU,
    NCCL on CUDA); only rank 0 writes. `data_description` says in the checkpoint (and
    so in exported bundles) what the songs were. `init_from`, a model bundle folder,
    starts a new run from that bundle's CGAE weights (a fresh critic; see
    `critic_warmup_steps`). `progress` draws a bar per epoch; without it every epoch
    prints one summary line, for logs.
    """
    songs = [s for s in songs if s.kick is not None]
    if not songs:
        raise TrainingSetupError("no training song has a kick track")
    dist_info = Distributed.from_env()
    torch_device = resolve_device(device, dist_info)
    out_dir = Path(out_dir)
    state, train_config = start_state(out_dir, model_config, train_config, torch_device,
                                      resume=resume, init_from=init_from)
    if train_config.batch_size % dist_info.world_size:
        raise TrainingSetupError(
            f"--batch {train_config.batch_size} does not split over {dist_info.world_size} processes"
        )
    if dist_info.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch_device.type == "cuda" else "gloo")
    form = state.model.config.downbeat_form  # a resumed run's own
    songs = [with_downbeat_form(s, form) for s in songs]
    nets = Networks.of(state, dist_info, torch_device)
    # the recipe keeps bf16 (a resumed run uses it where it is fast); here it may train in float32
    step_config = train_config
    if train_config.bf16 and not has_native_bf16(torch_device):
        step_config = replace(train_config, bf16=False)
        if dist_info.is_main:
            print("kickgen train: warning: this machine has no bfloat16 arithmetic (AVX-512 BF16, AMX or a "
                  "bf16 GPU), where --bf16 runs many times slower: these epochs train in float32", file=sys.stderr)
    state.training.update(autocast="bf16" if step_config.bf16 else "off")
    if dist_info.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)

    total_frames = sum(s.n_frames for s in songs)
    state.training.update(data=data_description, songs=len(songs), frames=total_frames)
    crops = train_config.crops_per_epoch or max(train_config.batch_size, total_frames // train_config.chunk_frames)
    steps_per_epoch = math.ceil(crops / train_config.batch_size)
    run_steps = steps_per_epoch * train_config.epochs  # (the warm-up counts from the run's first step)
    if dist_info.is_main and state.epochs_done < train_config.epochs and run_steps <= train_config.critic_warmup_steps:
        print(f"kickgen train: warning: --critic-warmup-steps {train_config.critic_warmup_steps} covers the whole "
              f"run ({run_steps} steps on these songs): only the critic learns; warm up for fewer steps",
              file=sys.stderr)
    started = last_summary = time.monotonic()
    nets.model.train()
    nets.critic.train()
    while state.epochs_done < train_config.epochs:
        record = run_epoch(nets, state, songs, step_config, dist_info=dist_info, device=torch_device,
                           steps=steps_per_epoch, progress=progress)
        state.epochs_done += 1
        validating = validation and train_config.validate_every and dist_info.is_main and (
            state.epochs_done % train_config.validate_every == 0 or state.epochs_done == train_config.epochs)
        if validating:
            record.update(validation_scores(state.model, list(validation)))
        state.history.append(record)
        state.training.update(epochs=state.epochs_done, last_epoch=record)
        if dist_info.is_main:
            save_checkpoint(out_dir / CHECKPOINT_NAME, state, train_config)
            if is_best(record, state.history):
                save_checkpoint(out_dir / BEST_CHECKPOINT_NAME, state, train_config)
            if not progress or time.monotonic() - last_summary >= SUMMARY_EVERY_S or record["epoch"] == 1:
                last_summary = time.monotonic()
                print_summary(record, train_config.epochs)
        if time_is_up(started, train_config.time_limit_s, dist_info, torch_device):
            break
    nets.model.eval()
    return state
