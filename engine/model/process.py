"""This training process: its place in a torchrun job, its device, whether the device
does bfloat16 arithmetic, and how glibc's malloc serves it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from kickgen.engine.errors import TrainingSetupError

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of x86 bfloat16 arithmetic


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


def cpu_has_bf16(cpuinfo: str) -> bool:
    """Whether a Linux /proc/cpuinfo text names bfloat16 arithmetic (AVX-512 BF16 or AMX)."""
    return any(flag in line.split() for line in cpuinfo.splitlines() if line.startswith("flags")
               for flag in CPU_BF16_FLAGS)


def has_native_bf16(device: torch.device) -> bool:
    """Whether `device` computes in bfloat16 in hardware. Without it, autocast emulates
    bfloat16: on a 2-core AVX2 EPYC a training step at batch 32 took 15x the float32
    time (benchmarks/train_throughput.py). A CPU whose flags cannot be read (not Linux)
    counts as having it."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return cpu_has_bf16(Path("/proc/cpuinfo").read_text())
    except OSError:
        return True


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


def time_is_up(started: float, limit_s: float | None, dist_info: Distributed, device: torch.device) -> bool:
    """Whether the time limit has passed, as rank 0 sees it (all ranks agree)."""
    if limit_s is None:
        return False
    up = torch.tensor([float(time.monotonic() - started > limit_s)], device=device)
    if dist_info.world_size > 1:
        dist.broadcast(up, src=0)
    return bool(up.item())
