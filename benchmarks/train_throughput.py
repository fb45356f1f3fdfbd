#!/usr/bin/env python3
"""Training throughput of the full-size CGAE on the CPU.

Measures the seconds of one complete `train_step` (critic step + CGAE step: forward,
backward and both Adam updates) for the paper's layer sizes (`ModelConfig()`) and the
`TrainConfig()` defaults, and, for comparison, the bare CGAE forward + backward of the
reconstruction MSE alone (no augmentation, critic or optimizer), and the full step again
under bfloat16 autocast (`TrainConfig.bf16`), side by side (`bf16_time_ratio`;
`bf16_in_hardware`: whether `kickgen train --bf16` uses it here). Inputs are random crops
(`sample_crops`) of generated songs (`engine.synthetic`), drawn outside the timed region.
One warm-up step, then --steps timed steps; frames/s = batch * chunk / median.
The process CPU seconds per step and the load average are reported too: on a shared
machine, wall time far above CPU time / threads means other processes took the cores.
Like training, it first tunes glibc's malloc (`train.keep_freed_memory`); pass
--glibc-default to measure without that. A full step at batch 100 takes about 6 s tuned
and 17 s untuned on 2 idle CPU cores (several times that when other processes compete
for them), hence the default of 3 timed steps.

Prints one JSON object to stdout; progress goes to stderr. Run from the repository root:

    .venv/bin/python benchmarks/train_throughput.py [--steps 3] [--batch 100]
        [--chunk-frames 1024] [--threads N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.model import losses
from kickgen.engine.model.cgae import ModelConfig
from kickgen.engine.model.checkpoint import TrainState, new_state
from kickgen.engine.model.crops import sample_crops
from kickgen.engine.model.process import has_native_bf16, keep_freed_memory
from kickgen.engine.model.recipe import TrainConfig
from kickgen.engine.model.train import Networks, train_step
from kickgen.engine.signals.frames import SongSignals

N_SONGS = 8
SEED = 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_name() -> str:
    """The CPU's model name from lscpu, else what `platform` knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        out = ""
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    parser.add_argument("--batch", type=int, default=100, help="crops per step")
    parser.add_argument("--chunk-frames", type=int, default=1024, help="frames per crop")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument(
        "--glibc-default", action="store_true",
        help="leave glibc's malloc as it is (training tunes it: train.keep_freed_memory)",
    )
    return parser.parse_args()


def time_calls(
    fn: Callable[[], None], *, steps: int, label: str
) -> tuple[list[float], list[float]]:
    """Call `fn` once to warm up, then `steps` times; the wall and the process CPU
    seconds (all threads) of each timed call."""
    log(f"{label}: warm-up")
    fn()
    wall, cpu = [], []
    for i in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        log(f"{label}: step {i + 1}/{steps} {wall[-1]:.2f} s (cpu {cpu[-1]:.2f} s)")
    return wall, cpu


def full_step(
    state: TrainState, batches: list[tuple[torch.Tensor, torch.Tensor]], config: TrainConfig
) -> Callable[[], None]:
    """One `train_step` per call, each on the next pre-drawn batch."""
    generator = torch.Generator().manual_seed(SEED)
    pending = iter(batches)
    nets = Networks(state.model, state.critic, state.critic)

    def step() -> None:
        x, y = next(pending)
        train_step(nets, state, x, y, config, generator)

    return step


def mse_only_step(
    state: TrainState, batches: list[tuple[torch.Tensor, torch.Tensor]]
) -> Callable[[], None]:
    """CGAE forward + backward of the reconstruction MSE alone, per call."""
    pending = iter(batches)

    def step() -> None:
        x, y = next(pending)
        state.model.zero_grad(set_to_none=True)
        _, _, reconstruction = state.model(x, y, x)
        losses.reconstruction_loss(y, reconstruction).backward()

    return step


def draw_batches(
    songs: list[SongSignals], n: int, *, batch: int, chunk_frames: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    rng = np.random.default_rng(SEED)
    return [sample_crops(songs, batch, chunk_frames=chunk_frames, rng=rng) for _ in range(n)]


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def main() -> None:
    args = parse_args()
    allocator_tuned = not args.glibc_default and keep_freed_memory()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)  # dropout masks
    model_config = ModelConfig()
    train_config = dataclasses.replace(
        TrainConfig(), batch_size=args.batch, chunk_frames=args.chunk_frames
    )
    songs = [s.signals for s in generate_songs(N_SONGS, seed=SEED)]
    state = new_state(model_config, train_config, torch.device("cpu"))
    state.model.train()
    state.critic.train()

    def batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
        return draw_batches(songs, args.steps + 1, batch=args.batch, chunk_frames=args.chunk_frames)

    full, full_cpu = time_calls(
        full_step(state, batches(), train_config), steps=args.steps, label="train_step"
    )
    mse, mse_cpu = time_calls(
        mse_only_step(state, batches()), steps=args.steps, label="cgae mse only"
    )
    bf16_config = dataclasses.replace(train_config, bf16=True)
    bf16, bf16_cpu = time_calls(
        full_step(state, batches(), bf16_config), steps=args.steps, label="train_step, bfloat16 autocast"
    )
    frames = args.batch * args.chunk_frames
    print(
        json.dumps(
            {
                "benchmark": "train_throughput",
                "device": "cpu",
                "cpu": cpu_name(),
                "torch": torch.__version__,
                "torch_threads": torch.get_num_threads(),
                "malloc": "tuned (keep_freed_memory)" if allocator_tuned else "glibc default",
                "batch": args.batch,
                "chunk_frames": args.chunk_frames,
                "steps": args.steps,
                "step_s_median": statistics.median(full),
                "step_s_min": min(full),
                "frames_per_s": frames / statistics.median(full),
                "step_cpu_s_median": statistics.median(full_cpu),
                "bf16_step_s_median": statistics.median(bf16),
                "bf16_frames_per_s": frames / statistics.median(bf16),
                "bf16_step_cpu_s_median": statistics.median(bf16_cpu),
                "bf16_time_ratio": statistics.median(bf16) / statistics.median(full),
                "bf16_in_hardware": has_native_bf16(torch.device("cpu")),  # else kickgen train runs float32
                "cgae_only_step_s_median": statistics.median(mse),
                "cgae_only_step_s_min": min(mse),
                "cgae_only_frames_per_s": frames / statistics.median(mse),
                "cgae_only_step_cpu_s_median": statistics.median(mse_cpu),
                "params_cgae": n_params(state.model),
                "params_critic": n_params(state.critic),
                "load_avg_1m_at_end": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
