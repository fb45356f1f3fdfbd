"""The shift/scale augmentation ψθ of paper Eq. 5 and input dropout, on batches of curves."""

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


def time_warp_peaks(signal: torch.Tensor, shift_frames: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """`time_warp` that keeps every peak's height: each input frame also moves to the
    output frame nearest its new time, and the output takes the larger of that and the
    interpolated value. Linear interpolation alone lowers a one-frame spike that lands
    between frames (MIDI onset curves are such spikes), so the model would learn
    smeared targets; here a spike keeps its height and moves by under half a frame.
    (B, C, T) -> (B, C, T)."""
    batch, channels, n = signal.shape
    centre = (n - 1) / 2
    t = torch.arange(n, dtype=signal.dtype, device=signal.device)
    dest = torch.round((t[None, :] - centre) * scale[:, None] + centre + shift_frames[:, None]).long()  # (B, T)
    valid = (dest >= 0) & (dest < n)
    index = dest.clamp(0, n - 1)[:, None, :].expand(batch, channels, n)
    source = torch.where(valid[:, None, :], signal, torch.full_like(signal, -torch.inf))
    moved = torch.full_like(signal, -torch.inf).scatter_reduce(2, index, source, reduce="amax")
    return torch.maximum(time_warp(signal, shift_frames, scale), moved)


def drop_parts(context: torch.Tensor, probability: float, *, channels: tuple[int, ...], generator: torch.Generator,
               ) -> torch.Tensor:
    """Input dropout that fits sparse curves: each example loses each of `channels` (the
    snare and bass rows) whole, with `probability`, as a song without that part looks
    (a silent channel is all zeros); nothing is rescaled. (B, C, T) -> (B, C, T)."""
    keep = torch.ones(context.shape[0], context.shape[1], 1, dtype=context.dtype)
    drop = torch.rand(context.shape[0], len(channels), generator=generator) < probability
    keep[:, list(channels), 0] = (~drop).to(context.dtype)
    return context * keep.to(context.device)


def random_warp_params(
    batch: int, *, max_shift_frames: float, scale_range: tuple[float, float], generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform shifts in ±max_shift_frames and scales in scale_range; two (B,) tensors."""
    shift = (torch.rand(batch, generator=generator) * 2 - 1) * max_shift_frames
    low, high = scale_range
    scale = low + torch.rand(batch, generator=generator) * (high - low)
    return shift, scale
