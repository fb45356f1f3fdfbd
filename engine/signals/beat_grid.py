"""A beat grid the producer knows: a steady tempo and meter from a first downbeat, or a
MIDI file's tempo map. Audio stems given one skip madmom's beat tracking; their beat
and downbeat channels are then drawn as the MIDI domain draws them (`grid_curves`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kickgen.engine.signals.frames import CONTEXT_CHANNELS, SongSignals, grid_curves, standardize
from kickgen.engine.signals.midi import absolute_events, beat_grid_ticks, read_midi, tempo_map


@dataclass(frozen=True)
class BeatGrid:
    """Beat and bar-start times in seconds, each (n,) ascending; beats include downbeats."""

    beat_times_s: np.ndarray
    downbeat_times_s: np.ndarray


@dataclass(frozen=True)
class GridSpec:
    """What the producer says about a song's grid: `bpm` (quarter notes a minute, as DAWs
    count) in `meter` (numerator, denominator; a beat is one denominator note) with the
    first downbeat at `first_downbeat_s`, or the tempo map and meter of `midi_path`."""

    bpm: float | None = None
    meter: tuple[int, int] = (4, 4)
    first_downbeat_s: float = 0.0
    midi_path: Path | None = None

    def grid(self, duration_s: float) -> BeatGrid:
        """The grid over a song of `duration_s` seconds."""
        if self.midi_path is not None:
            return grid_from_midi(self.midi_path, duration_s=duration_s)
        return steady_grid(bpm=self.bpm, meter=self.meter, first_downbeat_s=self.first_downbeat_s,
                           duration_s=duration_s)


def steady_grid(*, bpm: float, meter: tuple[int, int], first_downbeat_s: float, duration_s: float) -> BeatGrid:
    """A constant tempo: bars of `meter` from `first_downbeat_s`, reaching back to the
    song's start (a pickup has beats too) and on to `duration_s`."""
    numerator, denominator = meter
    beat_s = 60.0 / bpm * 4 / denominator
    bar_s = beat_s * numerator
    first_bar = -math.ceil(first_downbeat_s / bar_s - 1e-9)
    bars = np.arange(first_bar, math.ceil((duration_s - first_downbeat_s) / bar_s) + 1)
    downbeats = first_downbeat_s + bars * bar_s
    beats = (downbeats[:, None] + np.arange(numerator) * beat_s).ravel()
    inside = lambda t: t[(t > -1e-6) & (t <= duration_s)]
    return BeatGrid(inside(beats), inside(downbeats))


def grid_from_midi(path: str | Path, *, duration_s: float) -> BeatGrid:
    """The beats and bars of a MIDI file's tempo map and time signatures, carried on to
    `duration_s` (the audio may outlast the file's last event)."""
    midi = read_midi(path)
    events = absolute_events(midi)
    tempo = tempo_map(events, ticks_per_beat=midi.ticks_per_beat)
    end_tick = max(events[-1][0] if events else 0, float(tempo.to_ticks(np.array(duration_s))))
    beats, downbeats = beat_grid_ticks(events, ticks_per_beat=midi.ticks_per_beat, end_tick=math.ceil(end_tick))
    beats_s, downbeats_s = tempo.seconds(beats), tempo.seconds(downbeats)
    return BeatGrid(beats_s[beats_s <= duration_s], downbeats_s[downbeats_s <= duration_s])


def with_beat_grid(signals: SongSignals, grid: BeatGrid) -> SongSignals:
    """`signals` with the beat and downbeat channels (and times) of `grid` in place of
    those it was built with."""
    curves = grid_curves(grid.beat_times_s, grid.downbeat_times_s, n_frames=signals.n_frames, fps=signals.fps)
    context = signals.context.copy()
    silent = [name for name in signals.silent_channels if name not in curves]
    for name, curve in curves.items():
        context[CONTEXT_CHANNELS.index(name)], was_silent = standardize(curve)
        if was_silent:
            silent.append(name)
    return replace(signals, context=context, beat_times_s=np.asarray(grid.beat_times_s, np.float64),
                   downbeat_times_s=np.asarray(grid.downbeat_times_s, np.float64), silent_channels=tuple(silent))
