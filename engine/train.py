"""Training of the CGAE with its critic: two steps per batch, Eq. 5 augmentation,
seeded runs, checkpoints with resume, and data-parallel runs under torchrun (DDP).

The critic is a WGAN critic stabilized with a gradient penalty (WGAN-GP, weight 10)
on random mixes of codes and noise, computed per frame. Both optimizers clip the
gradient norm (a run without clipping spiked from L_mse 0.49 to 63.7 in one epoch and
took the rest of its time to recover), and both learning rates follow a cosine decay
over the run's epochs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import math
import os
import pickle
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from kickgen.engine import losses
from kickgen.engine.atomic import atomic_path
from kickgen.engine.augment import random_warp_params, time_warp
from kickgen.engine.bundle import BundleInfo, bundle_id
from kickgen.engine.bundle_weights import load_cgae_from_bundle
from kickgen.engine.errors import CheckpointError, TrainingSetupError
from kickgen.engine.jsonable import from_json_object
from kickgen.engine.model import CGAE, Critic, ModelConfig
from kickgen.engine.signals import SongSignals, median_beat_period_s

CHECKPOINT_NAME = "checkpoint.pt"
BEST_CHECKPOINT_NAME = "best.pt"  # the epoch with the lowest reconstruction loss so far
KICK_DISPLACEMENTS_SIXTEENTHS = (-2, -1, 1, 2)  # kick moved against the context by this many sixteenths
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
CHECKPOINT_FORMAT = 1
SUMMARY_EVERY_S = 10.0  # beside a progress bar, at most one epoch summary line per this many seconds


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. `batch_size` is global: under DDP each of the N
    processes takes batch_size / N crops of `chunk_frames` frames per step."""

    epochs: int = 100
    batch_size: int = 100
    chunk_frames: int = 1024
    crops_per_epoch: int | None = None  # default: the corpus's frames / chunk_frames
    learning_rate: float = 1e-3
    critic_learning_rate: float = 1e-3
    input_dropout: float = 0.5
    max_shift_frames: float = 150.0
    scale_range: tuple[float, float] = (0.8, 1.2)
    gradient_penalty_weight: float = 10.0
    adversarial_weight: float = 1.0
    standardization_weight: float = 1.0
    constancy_weight: float = 1.0
    kick_displacement_probability: float = 0.0  # share of crops whose kick is moved off its groove's grid
    max_grad_norm: float | None = 25.0  # clip each optimizer's gradient norm; None: no clipping
    final_lr_fraction: float = 1.0  # cosine decay to this fraction of each rate by the last epoch
    critic_warmup_steps: int = 0  # first steps of a run in which only the critic learns
    seed: int = 0
    time_limit_s: float | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        return from_json_object(cls, data)


@dataclass
class TrainState:
    """What a checkpoint restores: weights, optimizers, epochs done, per-epoch history."""

    model: CGAE
    critic: Critic
    optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    epochs_done: int = 0
    history: list[dict] = field(default_factory=list)
    training: dict = field(default_factory=dict)  # what the model was trained on (for bundles)


@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (rank 0 of 1 when run alone)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> Distributed:
        return cls(
            int(os.environ.get("RANK", "0")),
            int(os.environ.get("WORLD_SIZE", "1")),
            int(os.environ.get("LOCAL_RANK", "0")),
        )

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def keep_freed_memory() -> bool:
    """Make glibc's malloc serve large blocks from its heap and keep freed memory.

    A training step at batch 100 allocates activations of about 100 MB, above glibc's
    mmap threshold, so by default each one is mapped afresh and the kernel zeroes its
    pages (tens of millions of page faults per run). Raising the mmap and trim
    thresholds lets steps reuse memory: on this 2-core CPU a paper-size step at batch
    100 went from 16.1 s to 4.6 s (benchmarks/train_throughput.py). It changes the
    whole process, so entry points call it (`kickgen train`, the demo), not `train`.
    Returns whether the C library took the settings (False off glibc).
    """
    libc_path = ctypes.util.find_library("c")
    libc = ctypes.CDLL(libc_path) if libc_path else None
    if libc is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    limit = ctypes.c_int(2**31 - 1)
    return bool(libc.mallopt(M_MMAP_THRESHOLD, limit)) and bool(libc.mallopt(M_TRIM_THRESHOLD, limit))


def resolve_device(name: str, dist_info: Distributed) -> torch.device:
    """"auto" -> this rank's CUDA device when there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise TrainingSetupError("--device cuda: no CUDA device is available")
        torch.cuda.set_device(dist_info.local_rank)
        return torch.device("cuda", dist_info.local_rank)
    if name != "cpu":
        raise TrainingSetupError(f"--device {name}: choose auto, cpu or cuda")
    return torch.device(name)


def sample_crops(
    songs: list[SongSignals], n_crops: int, *, chunk_frames: int, rng: np.random.Generator,
    kick_displacement_probability: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random `chunk_frames`-long crops, songs drawn in proportion to their length;
    shorter songs are zero-padded. Returns context (n, 4, L) and kick (n, 1, L).

    With `kick_displacement_probability` > 0, that share of crops has its kick moved
    against the context by one of `KICK_DISPLACEMENTS_SIXTEENTHS` (the song's median
    sixteenth note): pairs whose kick sits off the beat where the groove's sat on it.
    """
    lengths = np.array([s.n_frames for s in songs], dtype=np.float64)
    picks = rng.choice(len(songs), size=n_crops, p=lengths / lengths.sum())
    x = np.zeros((n_crops, songs[0].context.shape[0], chunk_frames), np.float32)
    y = np.zeros((n_crops, 1, chunk_frames), np.float32)
    for i, song_index in enumerate(picks):
        song = songs[song_index]
        start = int(rng.integers(0, max(1, song.n_frames - chunk_frames + 1)))
        delay = 0
        if kick_displacement_probability > 0 and rng.random() < kick_displacement_probability:
            delay = round(float(rng.choice(KICK_DISPLACEMENTS_SIXTEENTHS)) * sixteenth_frames(song))
        x[i] = window(song.context, start, chunk_frames)
        y[i] = window(song.kick, start - delay, chunk_frames)
    return torch.from_numpy(x), torch.from_numpy(y)


def sixteenth_frames(song: SongSignals) -> float:
    """The song's median sixteenth note in frames (a quarter of the beat interval; 0
    without two beats)."""
    period_s = median_beat_period_s(song.beat_times_s)
    return 0.0 if period_s is None else period_s * song.fps / 4


def window(curves: np.ndarray, start: int, length: int) -> np.ndarray:
    """curves[:, start:start + length] of (C, T) curves, zeros where that runs past
    either end (start may be negative); (C, length)."""
    out = np.zeros((curves.shape[0], length), curves.dtype)
    lo, hi = max(start, 0), min(start + length, curves.shape[1])
    if hi > lo:
        out[:, lo - start:hi - start] = curves[:, lo:hi]
    return out


def new_state(model_config: ModelConfig, train_config: TrainConfig, device: torch.device) -> TrainState:
    torch.manual_seed(train_config.seed)
    model, critic = CGAE(model_config).to(device), Critic(model_config).to(device)
    return TrainState(
        model,
        critic,
        torch.optim.Adam(model.parameters(), lr=train_config.learning_rate),
        torch.optim.Adam(critic.parameters(), lr=train_config.critic_learning_rate, betas=(0.5, 0.9)),
    )


def save_checkpoint(path: Path, state: TrainState, train_config: TrainConfig) -> None:
    """Write config, weights, optimizers and history atomically (torch.save)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_config": json.dumps(state.model.config.to_json()),
        "train_config": json.dumps(train_config.to_json()),
        "epochs_done": state.epochs_done,
        "history": json.dumps(state.history),
        "training": json.dumps(state.training),
        "model": state.model.state_dict(),
        "critic": state.critic.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "critic_optimizer": state.critic_optimizer.state_dict(),
    }
    with atomic_path(path, force=True) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> dict:
    """Load a checkpoint without unpickling arbitrary objects (weights_only=True)."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except pickle.UnpicklingError:
        raise CheckpointError(path, "not a kickgen checkpoint (it holds Python objects, which are never unpickled)") from None
    except (RuntimeError, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(path, f"not a kickgen checkpoint ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(path, "not a kickgen checkpoint (unknown format)")
    return payload


def model_from_payload(payload: dict) -> CGAE:
    """The CGAE of a loaded checkpoint, in eval mode."""
    model = CGAE(ModelConfig.from_json(json.loads(payload["model_config"])))
    model.load_state_dict(payload["model"])
    return model.eval()


def load_model(path: str | Path) -> CGAE:
    """The trained CGAE of a checkpoint, in eval mode on the CPU."""
    return model_from_payload(read_checkpoint(path))


def restore_state(path: Path, requested: TrainConfig, device: torch.device) -> tuple[TrainState, TrainConfig]:
    """A run's state and recipe from its checkpoint. The recipe is the checkpoint's own:
    only `epochs` and `time_limit_s` come from `requested`, so a resumed run continues
    exactly as it started."""
    payload = read_checkpoint(path, map_location=device)
    try:
        config = TrainConfig.from_json(json.loads(payload["train_config"]))
        config = replace(config, epochs=requested.epochs, time_limit_s=requested.time_limit_s)
        state = new_state(ModelConfig.from_json(json.loads(payload["model_config"])), config, device)
        state.model.load_state_dict(payload["model"])
        state.critic.load_state_dict(payload["critic"])
        state.optimizer.load_state_dict(payload["optimizer"])
        state.critic_optimizer.load_state_dict(payload["critic_optimizer"])
        state.epochs_done = int(payload["epochs_done"])
        state.history = json.loads(payload["history"])
        state.training = json.loads(payload.get("training", "{}"))
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(path, f"cannot be resumed ({exc})") from None
    return state, config


def learning_rate_scale(epoch: int, config: TrainConfig) -> float:
    """The cosine schedule's factor for 0-based `epoch`: 1 at the first epoch, falling
    to `final_lr_fraction` at the last one of `config.epochs`. Resuming a finished run
    with more epochs stretches the curve: the rate jumps back up (a warm restart) and
    decays again over the new epochs."""
    progress = epoch / max(1, config.epochs - 1)
    return config.final_lr_fraction + (1 - config.final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


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


def train_step(
    model: torch.nn.Module,
    critic: torch.nn.Module,
    raw_critic: Critic,
    state: TrainState,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainConfig,
    generator: torch.Generator,
    *,
    update_model: bool = True,
) -> dict[str, float]:
    """One batch: a critic step on (code, noise), then a CGAE step (unless not
    `update_model`: a critic warm-up step). x (B,4,L), y (B,1,L).

    `model` and `critic` may be DDP wrappers; `raw_critic` is the bare critic, used in
    the CGAE step so that the critic's gradient sync runs only in its own step.
    """
    batch = x.shape[0]
    shift, scale = random_warp_params(
        batch, max_shift_frames=config.max_shift_frames, scale_range=config.scale_range, generator=generator
    )
    shift, scale = shift.to(x.device), scale.to(x.device)
    # 50 % dropout on x: the encoder's and the decoder's contexts get their own masks
    x_in = F.dropout(x, config.input_dropout)
    x_warped = F.dropout(time_warp(x, shift, scale), config.input_dropout)
    y_warped = time_warp(y, shift, scale)
    with torch.set_grad_enabled(update_model):  # a warm-up step needs no graph of the CGAE
        code, features, reconstruction = model(x_in, y, x_warped)

    # Critic step: score noise high and codes low, with a gradient penalty on mixes.
    noise = torch.randn(code.shape, generator=generator).to(x.device)
    alpha = torch.rand(batch, 1, 1, generator=generator).to(x.device)
    mixed = (alpha * code.detach() + (1 - alpha) * noise).requires_grad_(True)
    scores = critic(torch.cat([code.detach(), noise, mixed]), features.detach().repeat(3, 1, 1))
    on_code, on_noise, on_mixed = scores.chunk(3)
    critic_gap = losses.critic_gap(on_code, on_noise)
    penalty = losses.gradient_penalty(on_mixed, mixed)
    state.critic_optimizer.zero_grad(set_to_none=True)
    (critic_gap + config.gradient_penalty_weight * penalty).backward()
    critic_norm = clipped_step(state.critic_optimizer, critic, config.max_grad_norm)

    # CGAE step: reconstruct, keep codes smooth and standard, and fool the critic. The
    # critic's condition U x is held fixed here, so that only the code answers to it.
    # D(η, U x) does not depend on the CGAE: the critic step's score stands in for it.
    raw_critic.requires_grad_(False)
    adversarial = losses.critic_gap(raw_critic(code, features.detach()), on_noise.detach())
    raw_critic.requires_grad_(True)
    terms = {
        "mse": losses.reconstruction_loss(y_warped, reconstruction),
        "const": losses.constancy_loss(code),
        "std": losses.standardization_loss(code),
    }
    total = (terms["mse"] + config.constancy_weight * terms["const"] + config.standardization_weight * terms["std"]
             - config.adversarial_weight * adversarial)
    model_norm = 0.0
    if update_model:
        state.optimizer.zero_grad(set_to_none=True)
        total.backward()
        model_norm = clipped_step(state.optimizer, model, config.max_grad_norm)
    return {**{k: v.item() for k, v in {**terms, "adv": adversarial, "gp": penalty}.items()},
            "grad_norm": model_norm, "critic_grad_norm": critic_norm}


def time_is_up(started: float, limit_s: float | None, dist_info: Distributed, device: torch.device) -> bool:
    """Whether the time limit has passed, as rank 0 sees it (all ranks agree)."""
    if limit_s is None:
        return False
    up = torch.tensor([float(time.monotonic() - started > limit_s)], device=device)
    if dist_info.world_size > 1:
        dist.broadcast(up, src=0)
    return bool(up.item())


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
) -> TrainState:
    """Train on `songs` (each with a kick) and checkpoint to `out_dir` after every epoch
    (`checkpoint.pt`, to resume; `best.pt`, the epoch of lowest training L_mse, to export:
    an adversarial run can spike and take many epochs to recover).

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
    checkpoint = out_dir / CHECKPOINT_NAME
    if resume and checkpoint.exists():
        state, train_config = restore_state(checkpoint, train_config, torch_device)
    elif resume:
        raise CheckpointError(checkpoint, "no checkpoint to resume from")
    else:
        state = new_state(model_config, train_config, torch_device)
        if init_from is not None:
            state.model.load_state_dict(load_cgae_from_bundle(init_from, model_config).state_dict())
            state.training["init_from"] = {
                "bundle_id": bundle_id(init_from),
                "epochs": BundleInfo.read(Path(init_from)).training.get("epochs"),
            }
    if train_config.batch_size % dist_info.world_size:
        raise TrainingSetupError(
            f"--batch {train_config.batch_size} does not split over {dist_info.world_size} processes"
        )
    if dist_info.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch_device.type == "cuda" else "gloo")
    model, critic = state.model, state.critic
    if dist_info.world_size > 1:
        device_ids = [torch_device.index] if torch_device.type == "cuda" else None
        model = DistributedDataParallel(state.model, device_ids=device_ids)
        critic = DistributedDataParallel(state.critic, device_ids=device_ids)
    if dist_info.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)

    total_frames = sum(s.n_frames for s in songs)
    state.training.update(data=data_description, songs=len(songs), frames=total_frames)
    crops = train_config.crops_per_epoch or max(train_config.batch_size, total_frames // train_config.chunk_frames)
    steps_per_epoch = math.ceil(crops / train_config.batch_size)
    local_batch = train_config.batch_size // dist_info.world_size
    started = last_summary = time.monotonic()
    model.train()
    critic.train()
    while state.epochs_done < train_config.epochs:
        epoch = state.epochs_done
        rng = np.random.default_rng([train_config.seed, epoch, dist_info.rank])
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        torch.manual_seed(int(rng.integers(2**62)))  # dropout masks
        set_learning_rates(state, train_config, epoch)
        sums: dict[str, float] = {}
        epoch_start = time.monotonic()
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch + 1}/{train_config.epochs}",
            disable=not (progress and dist_info.is_main),
            leave=False,
        )
        for step in bar:
            x, y = sample_crops(
                songs, local_batch, chunk_frames=train_config.chunk_frames, rng=rng,
                kick_displacement_probability=train_config.kick_displacement_probability,
            )
            warming_up = epoch * steps_per_epoch + step < train_config.critic_warmup_steps
            terms = train_step(
                model, critic, state.critic, state, x.to(torch_device), y.to(torch_device), train_config, generator,
                update_model=not warming_up,
            )
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v
            bar.set_postfix({k: f"{v:.3f}" for k, v in terms.items()})
        seconds = time.monotonic() - epoch_start
        record = {k: v / steps_per_epoch for k, v in sums.items()}
        record.update(
            epoch=epoch + 1,
            learning_rate=state.optimizer.param_groups[0]["lr"],
            seconds=seconds,
            frames_per_s=steps_per_epoch * train_config.batch_size * train_config.chunk_frames / seconds,
        )
        state.history.append(record)
        state.epochs_done += 1
        state.training.update(epochs=state.epochs_done, last_epoch=record)
        if dist_info.is_main:
            save_checkpoint(checkpoint, state, train_config)
            if record["mse"] <= min(h["mse"] for h in state.history):
                save_checkpoint(out_dir / BEST_CHECKPOINT_NAME, state, train_config)
            if not progress or time.monotonic() - last_summary >= SUMMARY_EVERY_S or epoch == 0:
                last_summary = time.monotonic()
                tqdm.write(
                    f"epoch {epoch + 1}/{train_config.epochs} "
                    + " ".join(f"{k}={record[k]:.4f}" for k in ("mse", "const", "std", "adv", "gp", "grad_norm"))
                    + f" ({seconds:.1f} s)"
                )
                sys.stdout.flush()  # a log file (`--quiet` under nohup) gets each line as it comes
        if time_is_up(started, train_config.time_limit_s, dist_info, torch_device):
            break
    model.eval()
    return state
