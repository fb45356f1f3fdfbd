"""Kicks from a style code: decode the song's context under the code laid over its
frames (held, or looped with its bars), pick the peaks, and optionally snap them to a grid of the song's beats."""

from __future__ import annotations

import numpy as np

from kickgen.engine.runtime.bundle import CodeModel, ModelBundle
from kickgen.engine.runtime.style import bar_steps, style_frames
from kickgen.engine.signals.frames import Onsets, SongSignals
from kickgen.engine.signals.peaks import DEFAULT_THRESHOLD, pick_peaks

QUANTIZE_STEPS = {"off": 0, "1/16": 4, "1/32": 8}  # grid points per quarter-note beat


def kick_curve(bundle: CodeModel, signals: SongSignals, code: np.ndarray) -> np.ndarray:
    """The decoder's kick curve (T,) for the song under a style code: (K,) held, or
    (K, BAR_STEPS) looped with the song's bars (`style_frames`)."""
    return bundle.decode(bundle.context_of(signals), style_frames(code, bar_steps(signals)))[0]


def kick_curve_window(
    bundle: ModelBundle, signals: SongSignals, code: np.ndarray, *, start: int, stop: int
) -> np.ndarray:
    """Frames [start, stop) of `kick_curve(bundle, signals, code)`, (stop - start,): the
    decoder runs only on those frames widened by its receptive field (clipped to the song),
    on the context as standardized over the whole song, so the values are the same."""
    context = bundle.context_of(signals)
    return bundle.decode_window(context, style_frames(code, bar_steps(signals)), start=start, stop=stop)[0]


def own_code_curve(bundle: CodeModel, signals: SongSignals) -> np.ndarray:
    """The kick curve (T,) decoded under the song's own code path (the ground-truth
    codes), which the encoder infers from its context and kick (`signals.kick`)."""
    context = bundle.context_of(signals)
    return bundle.decode(context, bundle.encode(context, signals.kick))[0]


def generate_kicks(
    bundle: CodeModel, signals: SongSignals, code: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD
) -> Onsets:
    """Picked kicks (times in s, velocities 0.7..1) for the song under a style code (`kick_curve`)."""
    return pick_peaks(kick_curve(bundle, signals, code), threshold=threshold, fps=signals.fps)


def beat_subdivisions(beats_s: np.ndarray, steps_per_beat: int) -> np.ndarray:
    """`steps_per_beat` evenly spaced grid points in every beat interval (the last
    interval repeated past the last beat); (n_beats * steps_per_beat,) seconds."""
    beats_s = np.asarray(beats_s, dtype=np.float64)
    if len(beats_s) < 2:
        return beats_s
    bounds = np.append(beats_s, 2 * beats_s[-1] - beats_s[-2])
    steps = np.arange(steps_per_beat) / steps_per_beat
    return (bounds[:-1, None] + np.diff(bounds)[:, None] * steps[None, :]).reshape(-1)


def quantize(kicks: Onsets, beats_s: np.ndarray, *, grid: str) -> Onsets:
    """Snap kicks to the nearest grid point ("1/16", "1/32"; "off" leaves them); two
    kicks on one point keep the louder."""
    steps = QUANTIZE_STEPS[grid]
    points = beat_subdivisions(beats_s, steps) if steps else np.zeros(0)
    if not steps or len(points) < 2 or len(kicks.times_s) == 0:
        return kicks
    nearest = np.abs(kicks.times_s[:, None] - points[None, :]).argmin(axis=1)
    loudest: dict[int, float] = {}
    for point, velocity in zip(nearest.tolist(), kicks.velocities.tolist()):
        loudest[point] = max(velocity, loudest.get(point, 0.0))
    order = sorted(loudest)
    return Onsets(points[order], np.array([loudest[p] for p in order]))
