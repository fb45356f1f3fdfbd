"""Training examples: random fixed-length crops of songs' curves, songs drawn in
proportion to their length, optionally with the kick displaced against its context."""

from __future__ import annotations

import numpy as np
import torch

from kickgen.engine.runtime.style import BAR_STEPS, step_indicators
from kickgen.engine.signals.frames import SongSignals, median_beat_period_s

KICK_DISPLACEMENTS_SIXTEENTHS = (-2, -1, 1, 2)  # kick moved against the context by this many sixteenths


def sample_crops(
    songs: list[SongSignals], n_crops: int, *, chunk_frames: int, rng: np.random.Generator,
    kick_displacement_probability: float = 0.0, song_steps: list[np.ndarray] | None = None,
) -> tuple[torch.Tensor, ...]:
    """Random `chunk_frames`-long crops, songs drawn in proportion to their length;
    shorter songs are zero-padded. Returns context (n, 4, L) and kick (n, 1, L), and with
    `song_steps` (each song's (T,) bar step of every frame, `runtime.style.bar_steps`) the
    crops' bar-step indicators (n, BAR_STEPS, L) too (all zero on padding).

    With `kick_displacement_probability` > 0, that share of crops has its kick moved
    against the context by one of `KICK_DISPLACEMENTS_SIXTEENTHS` (the song's median
    sixteenth note): pairs whose kick sits off the beat where the groove's sat on it.
    """
    lengths = np.array([s.n_frames for s in songs], dtype=np.float64)
    picks = rng.choice(len(songs), size=n_crops, p=lengths / lengths.sum())
    x = np.zeros((n_crops, songs[0].context.shape[0], chunk_frames), np.float32)
    y = np.zeros((n_crops, 1, chunk_frames), np.float32)
    steps = None if song_steps is None else np.zeros((n_crops, BAR_STEPS, chunk_frames), np.float32)
    for i, song_index in enumerate(picks):
        song = songs[song_index]
        start = int(rng.integers(0, max(1, song.n_frames - chunk_frames + 1)))
        delay = 0
        if kick_displacement_probability > 0 and rng.random() < kick_displacement_probability:
            delay = round(float(rng.choice(KICK_DISPLACEMENTS_SIXTEENTHS)) * sixteenth_frames(song))
        x[i] = window(song.context, start, chunk_frames)
        y[i] = window(song.kick, start - delay, chunk_frames)
        if steps is not None:  # the crop's frames inside the song (start ≥ 0), zeros past its end
            steps[i] = window(step_indicators(song_steps[song_index][start:start + chunk_frames], BAR_STEPS),
                              0, chunk_frames)
    crops = (torch.from_numpy(x), torch.from_numpy(y))
    return crops if steps is None else (*crops, torch.from_numpy(steps))


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
