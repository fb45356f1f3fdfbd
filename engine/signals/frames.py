"""The typed bundle both signal domains return, and the steps they share.

Frame `n` of every curve is centred at time `n / fps` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

SAMPLE_RATE = 44100
HOP_LENGTH = 512
FRAME_LENGTH = 1024
FPS = SAMPLE_RATE / HOP_LENGTH  # about 86.13 frames per second
CONTEXT_CHANNELS = ("snare", "bass", "beat", "downbeat")
KICK_CHANNEL = "kick"
# How the downbeat channel is drawn: "impulses" at bar starts (madmom's activation in
# audio), or "bar_phase", the position in the bar rising from 0 at each downbeat to 1
# before the next: dense, so that dropout and warping cannot erase where the bar starts.
DOWNBEAT_FORMS = ("impulses", "bar_phase")


@dataclass(frozen=True)
class Onsets:
    """Onset times (s) and velocities (0..1), both (n,): a role's notes, or picked kicks."""

    times_s: np.ndarray
    velocities: np.ndarray


@dataclass(frozen=True)
class SongSignals:
    """What the model sees of one song.

    context: (4, T) float32, channels `CONTEXT_CHANNELS`, each standardized.
    kick: (1, T) float32 standardized kick onset strength, or None when the song has none.
    beat_times_s / downbeat_times_s: (n,) beat and bar-start times in seconds
    (beat times include the downbeats).
    fps: frame rate of the curves.
    silent_channels: names of channels that were all zero and so stay zero.
    """

    context: np.ndarray
    kick: np.ndarray | None
    beat_times_s: np.ndarray
    downbeat_times_s: np.ndarray
    fps: float
    silent_channels: tuple[str, ...] = ()

    @property
    def n_frames(self) -> int:
        return self.context.shape[1]


def standardize(curve: np.ndarray) -> tuple[np.ndarray, bool]:
    """Zero mean, unit variance over time; returns (curve, was_silent).

    A constant curve carries no information: it becomes all zeros and is reported
    as silent instead of being divided by zero.
    """
    curve = np.asarray(curve, dtype=np.float64)
    std = curve.std()
    if std < 1e-8 * max(1.0, float(np.abs(curve).max(initial=0.0))):
        return np.zeros(curve.shape, dtype=np.float32), True
    return ((curve - curve.mean()) / std).astype(np.float32), False


def assemble(
    raw_context: dict[str, np.ndarray],
    raw_kick: np.ndarray | None,
    *,
    beat_times_s: np.ndarray,
    downbeat_times_s: np.ndarray,
    fps: float,
) -> SongSignals:
    """Standardize raw (T,) curves into a `SongSignals`.

    raw_context: one (T,) curve per name in `CONTEXT_CHANNELS`; raw_kick: (T,) or None.
    """
    rows, silent = [], []
    for name in CONTEXT_CHANNELS:
        row, was_silent = standardize(raw_context[name])
        rows.append(row)
        if was_silent:
            silent.append(name)
    kick = None
    if raw_kick is not None:
        kick_row, kick_silent = standardize(raw_kick)
        if kick_silent:
            silent.append(KICK_CHANNEL)
        kick = kick_row[None, :]
    return SongSignals(
        context=np.stack(rows),
        kick=kick,
        beat_times_s=np.asarray(beat_times_s, dtype=np.float64),
        downbeat_times_s=np.asarray(downbeat_times_s, dtype=np.float64),
        fps=float(fps),
        silent_channels=tuple(silent),
    )


def median_beat_period_s(beats_s: np.ndarray) -> float | None:
    """The median interval (seconds) of ascending beat times; None with fewer than two."""
    return float(np.median(np.diff(beats_s))) if len(beats_s) > 1 else None


def frames_for_duration(duration_s: float, *, fps: float = FPS) -> int:
    """Number of frames that cover `duration_s` seconds (frame 0 at time 0)."""
    return int(np.ceil(duration_s * fps)) + 1


def frames_for_samples(n_samples: int) -> int:
    """Number of hop-512 frames of `n_samples` of 44.1 kHz audio (frame 0 at sample 0)."""
    return 1 + n_samples // HOP_LENGTH


def impulse_curve(
    times_s: np.ndarray, weights: np.ndarray, *, n_frames: int, fps: float = FPS
) -> np.ndarray:
    """Weighted impulses at `times_s`, shaped by a short decay kernel; (n_frames,) float32.

    Each onset goes to its nearest frame and is convolved with an exponential decay
    (time constant 1.5 frames, 8 frames long), so that the curve resembles an onset
    detection function and its peak lies on the onset's frame.
    """
    curve = np.zeros(n_frames, dtype=np.float64)
    frames = np.round(np.asarray(times_s, dtype=np.float64) * fps).astype(int)
    keep = (frames >= 0) & (frames < n_frames)
    np.add.at(curve, frames[keep], np.asarray(weights, dtype=np.float64)[keep])
    kernel = np.exp(-np.arange(8) / 1.5)
    return np.convolve(curve, kernel)[:n_frames].astype(np.float32)


def grid_curves(
    beat_times_s: np.ndarray, downbeat_times_s: np.ndarray, *, n_frames: int, fps: float = FPS
) -> dict[str, np.ndarray]:
    """A known beat grid drawn as the "beat" and "downbeat" channels, each (n_frames,)
    float32 impulses: the beat channel marks the beats that are not downbeats (as
    madmom's downbeat network does), the downbeat channel the bar starts."""
    downbeat_frames = set(np.round(np.asarray(downbeat_times_s) * fps).astype(int).tolist())
    plain_beats = np.array([t for t in beat_times_s if round(t * fps) not in downbeat_frames], dtype=np.float64)
    downbeats = np.asarray(downbeat_times_s, dtype=np.float64)
    return {
        "beat": impulse_curve(plain_beats, np.ones(len(plain_beats)), n_frames=n_frames, fps=fps),
        "downbeat": impulse_curve(downbeats, np.ones(len(downbeats)), n_frames=n_frames, fps=fps),
    }


def bar_phase_curve(downbeat_times_s: np.ndarray, *, n_frames: int, fps: float = FPS) -> np.ndarray:
    """Each frame's position in its bar, 0 at a downbeat rising linearly to 1 before the
    next; before the first and after the last downbeat the first and last bar lengths
    carry on. (n_frames,) float32; all zeros with fewer than two downbeats."""
    downbeats = np.asarray(downbeat_times_s, dtype=np.float64)
    if len(downbeats) < 2:
        return np.zeros(n_frames, np.float32)
    times = np.arange(n_frames) / fps
    first, last = downbeats[1] - downbeats[0], downbeats[-1] - downbeats[-2]
    ahead = np.ceil(max(0.0, downbeats[0]) / first) + 1
    behind = np.ceil(max(0.0, times[-1] - downbeats[-1]) / last) + 1
    grid = np.concatenate([downbeats[0] - first * np.arange(ahead, 0, -1), downbeats,
                           downbeats[-1] + last * np.arange(1, behind + 1)])
    bar = np.searchsorted(grid, times, side="right") - 1
    return ((times - grid[bar]) / (grid[bar + 1] - grid[bar])).astype(np.float32)


def with_downbeat_form(signals: SongSignals, form: str) -> SongSignals:
    """`signals` with the downbeat channel drawn in `form` (one of DOWNBEAT_FORMS), from
    the song's downbeat times; the "impulses" form is the channel as computed."""
    if form == "impulses":
        return signals
    if form != "bar_phase":
        raise ValueError(f"downbeat form must be one of {', '.join(DOWNBEAT_FORMS)}, not {form!r}")
    row, _ = standardize(bar_phase_curve(signals.downbeat_times_s, n_frames=signals.n_frames, fps=signals.fps))
    context = signals.context.copy()
    context[CONTEXT_CHANNELS.index("downbeat")] = row
    return replace(signals, context=context)
