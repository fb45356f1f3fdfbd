"""Generated songs with a known kick rule, for the demo and the learning tests.

Two kick styles, so that a code has something to choose between:
- "bass-on-beats": a kick on every bass note that falls on a beat;
- "four-on-the-floor": a kick on every beat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kickgen.engine.signals.frames import FPS, Onsets, SongSignals
from kickgen.engine.signals.midi import signals_from_onsets

STYLES = ("bass-on-beats", "four-on-the-floor")


@dataclass(frozen=True)
class SyntheticSong:
    """A generated song: its signals (with kick), the true kick times (s) and its style."""

    signals: SongSignals
    kick_times_s: np.ndarray
    style: str
    bpm: float


def generate_song(
    rng: np.random.Generator, *, style: str, n_bars: int = 16, beats_per_bar: int = 4, fps: float = FPS
) -> SyntheticSong:
    """One song on an eighth-note grid: random bass, backbeat snare, the style's kick."""
    bpm = float(rng.uniform(90, 140))
    beat_s = 60.0 / bpm
    n_eighths = n_bars * beats_per_bar * 2
    eighth_times = np.arange(n_eighths) * beat_s / 2
    on_beat = np.arange(n_eighths) % 2 == 0
    beat_in_bar = (np.arange(n_eighths) // 2) % beats_per_bar

    bass_hits = rng.random(n_eighths) < np.where(beat_in_bar == 0, 0.7, 0.4) * np.where(on_beat, 1, 0.8)
    backbeat = on_beat & (beat_in_bar % 2 == 1)
    ghost = ~on_beat & (rng.random(n_eighths) < 0.1)
    snare_hits = backbeat | ghost
    snare_vel = np.where(backbeat, rng.uniform(0.8, 1.0, n_eighths), rng.uniform(0.3, 0.5, n_eighths))

    if style == "bass-on-beats":
        kick_hits = bass_hits & on_beat
    elif style == "four-on-the-floor":
        kick_hits = on_beat.copy()
    else:
        raise ValueError(f"unknown style {style!r}; choose from {STYLES}")

    beat_times = np.arange(n_bars * beats_per_bar) * beat_s
    downbeat_times = beat_times[::beats_per_bar]

    def onsets(hits: np.ndarray, velocities: np.ndarray) -> Onsets:
        return Onsets(eighth_times[hits], velocities[hits])

    signals = signals_from_onsets(
        {
            "snare": onsets(snare_hits, snare_vel),
            "bass": onsets(bass_hits, rng.uniform(0.6, 1.0, n_eighths)),
            "kick": onsets(kick_hits, rng.uniform(0.8, 1.0, n_eighths)),
        },
        beat_times_s=beat_times,
        downbeat_times_s=downbeat_times,
        duration_s=n_bars * beats_per_bar * beat_s,
        fps=fps,
    )
    return SyntheticSong(signals, eighth_times[kick_hits], style, bpm)


def generate_songs(
    n_songs: int, *, seed: int, styles: tuple[str, ...] = STYLES, n_bars: int = 16
) -> list[SyntheticSong]:
    """`n_songs` songs taking the `styles` in turn."""
    rng = np.random.default_rng(seed)
    return [generate_song(rng, style=styles[i % len(styles)], n_bars=n_bars) for i in range(n_songs)]
