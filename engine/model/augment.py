"""The shift/scale augmentation ψθ of paper Eq. 5, on batches of curves."""

from __future__ import annotations

import torch


def time_warp(signal: torch.Tensor, shift_frames: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Shift and stretch each example in time about its centre, zeros outside.

    signal: (B, C, T); shift_frames, scale: (B,). Output frame t reads the input at
    (t - c - shift) / scale + c, c = (T - 1) / 2, by linear interpolation; (B, C, T).
    """
    batch, channels, n = signal.shape
    centre = (n - 1) / 2
    t = torch.arange(n, dtype=signal.dtype, device=signal.device)
    src = (t[None, :] - centre - shift_frames[:, None]) / scale[:, None] + centre  # (B, T)
    lo = src.floor()
    frac = (src - lo)[:, None, :]
    lo = lo.long()

    def gather(index: torch.Tensor) -> torch.Tensor:
        valid = ((index >= 0) & (index < n))[:, None, :]
        picked = signal.gather(2, index.clamp(0, n - 1)[:, None, :].expand(batch, channels, n))
        return picked * valid

    return gather(lo) * (1 - frac) + gather(lo + 1) * frac


def random_warp_params(
    batch: int, *, max_shift_frames: float, scale_range: tuple[float, float], generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform shifts in ±max_shift_frames and scales in scale_range; two (B,) tensors."""
    shift = (torch.rand(batch, generator=generator) * 2 - 1) * max_shift_frames
    low, high = scale_range
    scale = low + torch.rand(batch, generator=generator) * (high - low)
    return shift, scale
