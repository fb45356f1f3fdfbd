"""This training process: its place in a torchrun job, its device, and how glibc's
malloc serves it."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist

from kickgen.engine.errors import TrainingSetupError

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


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


def time_is_up(started: float, limit_s: float | None, dist_info: Distributed, device: torch.device) -> bool:
    """Whether the time limit has passed, as rank 0 sees it (all ranks agree)."""
    if limit_s is None:
        return False
    up = torch.tensor([float(time.monotonic() - started > limit_s)], device=device)
    if dist_info.world_size > 1:
        dist.broadcast(up, src=0)
    return bool(up.item())
