"""The training recipe: optimisation settings as a frozen, JSON-round-tripping config,
and the cosine learning-rate schedule they define."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from kickgen.engine.util.json_files import from_json_object


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
    # "frames": the paper's dropout of single values (rescaled by 1 / (1 - p)); "parts":
    # each crop loses its whole snare or bass channel with that probability, beats never
    input_dropout_mode: str = "frames"
    # "linear": ψθ interpolates linearly; "peaks": peaks keep their height (`time_warp_peaks`)
    warp_mode: str = "linear"
    std_loss_form: str = "sigma"  # "sigma": μ² + (σ - 1)²; "paper": μ² + (σ² - 1)² (Eq. 4)
    # "frames": the decoder reconstructs from the code path (the paper's); "held": from each
    # crop's mean code held over time, as a sampled style is used; "both": from each in turn,
    # the reconstruction loss their mean; "bar": from its mean code at each bar step, looped
    # (as a fitted style is used)
    decoder_code: str = "frames"
    bf16: bool = False  # forward and backward passes under CPU/CUDA autocast to bfloat16
    max_shift_frames: float = 150.0
    scale_range: tuple[float, float] = (0.8, 1.2)
    gradient_penalty_weight: float = 10.0
    adversarial_weight: float = 1.0
    standardization_weight: float = 1.0
    # L_std on each crop's mean code across the batch: held codes spread as N(0, I), the
    # prior a sampled style is drawn from (0: off, as in the paper)
    held_standardization_weight: float = 0.0
    constancy_weight: float = 1.0
    kick_displacement_probability: float = 0.0  # share of crops whose kick is moved off its groove's grid
    max_grad_norm: float | None = 25.0  # clip each optimizer's gradient norm; None: no clipping
    final_lr_fraction: float = 1.0  # cosine decay to this fraction of each rate by the last epoch
    critic_warmup_steps: int = 0  # first steps of a run in which only the critic learns
    validate_every: int = 0  # epochs between validations (and the last epoch); 0: none, best.pt by training mse
    seed: int = 0
    time_limit_s: float | None = None

    def __post_init__(self):
        choices = {"input_dropout_mode": ("frames", "parts"), "warp_mode": ("linear", "peaks"),
                   "std_loss_form": ("sigma", "paper"), "decoder_code": ("frames", "held", "both", "bar")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        return from_json_object(cls, data)


def learning_rate_scale(epoch: int, config: TrainConfig) -> float:
    """The cosine schedule's factor for 0-based `epoch`: 1 at the first epoch, falling
    to `final_lr_fraction` at the last one of `config.epochs`. Resuming a finished run
    with more epochs stretches the curve: the rate jumps back up (a warm restart) and
    decays again over the new epochs."""
    progress = epoch / max(1, config.epochs - 1)
    return config.final_lr_fraction + (1 - config.final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
