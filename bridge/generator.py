"""Kicks for one bar: its notes and those of a window of bars around it are laid out at
the current tempo, the decoder runs on the frames the bar's peak picking reads (and their
receptive field), and the bar's picked kicks are returned in clock ticks from its start.

With a context song the whole song is rendered offline once per style (exactly as
`kickgen render` does) and the bar's kicks are read from that, so the bridge and the
render agree wherever the song is known in advance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kickgen.bridge.clock import TICKS_PER_QUARTER, Meter
from kickgen.bridge.memory import Note
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import kick_curve_window, quantize
from kickgen.engine.signals.frames import Onsets
from kickgen.engine.signals.midi import RoleMap, signals_from_onsets
from kickgen.engine.signals.peaks import pick_peaks

Kick = tuple[float, float]  # (tick in its bar, velocity 0..1)


@dataclass(frozen=True)
class Style:
    """What shapes the kicks: the code, the peak threshold and the quantize grid."""

    code: np.ndarray
    threshold: float = 0.25
    grid: str = "off"

    def key(self) -> tuple:
        return (self.code.astype(np.float32).tobytes(), self.threshold, self.grid)


@dataclass(frozen=True)
class GenerationRequest:
    """Generate `bar` from the notes of bars first_bar .. first_bar + len(notes) - 1."""

    bar: int
    first_bar: int
    notes: tuple[tuple[Note, ...], ...]
    period_s: float
    meter: Meter
    style: Style
    serial: int  # the core's style/jump counter when asked; stale answers are dropped
    prepared: bool = False  # asked while stopped, for the bar a Start or Continue lands in


@dataclass
class ContextSong:
    """A whole arrangement known in advance: its notes by bar (for bar memory) and the
    MIDI file, rendered per style on demand."""

    path: Path
    notes: dict[int, list[Note]]
    roles: RoleMap = field(default_factory=RoleMap)
    rendered: dict[tuple, dict[int, list[Kick]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, meter: Meter, roles: RoleMap = RoleMap()) -> ContextSong:
        from kickgen.engine.signals.midi import absolute_events, midi_song, read_midi, tempo_map

        _, onsets = midi_song(path, roles=roles, required=("snare", "bass"))
        midi = read_midi(path)
        tempo = tempo_map(absolute_events(midi), ticks_per_beat=midi.ticks_per_beat)
        notes: dict[int, list[Note]] = {}
        for role in ("snare", "bass"):
            for bar, tick, velocity in to_bar_ticks(onsets[role], tempo, meter):
                notes.setdefault(bar, []).append(Note(tick, role, velocity))
        return cls(path, notes, roles)

    def kicks(self, bundle: ModelBundle, style: Style, meter: Meter) -> dict[int, list[Kick]]:
        """The offline render's kicks by bar, for this style (cached)."""
        if style.key() not in self.rendered:
            from kickgen.engine.producer.render import RenderSettings, render_kicks_for
            from kickgen.engine.producer.targets import midi_target
            from kickgen.engine.signals.midi import absolute_events, read_midi, tempo_map

            target = midi_target(self.path, roles=self.roles)
            _, kicks = render_kicks_for(bundle, target, style.code,
                                        RenderSettings(threshold=style.threshold, grid=style.grid))
            midi = read_midi(self.path)
            tempo = tempo_map(absolute_events(midi), ticks_per_beat=midi.ticks_per_beat)
            by_bar: dict[int, list[Kick]] = {}
            for bar, tick, velocity in to_bar_ticks(kicks, tempo, meter):
                by_bar.setdefault(bar, []).append((tick, velocity))
            self.rendered = {style.key(): by_bar}  # one style at a time
        return self.rendered[style.key()]


def to_bar_ticks(onsets: Onsets, tempo, meter: Meter) -> list[tuple[int, float, float]]:
    """(bar, clock tick in bar, velocity) of onsets in seconds on a file's tempo map."""
    clock = tempo.to_ticks(onsets.times_s) * TICKS_PER_QUARTER / tempo.ticks_per_beat
    bars = np.floor(clock / meter.ticks_per_bar + 1e-9).astype(int)
    ticks = clock - bars * meter.ticks_per_bar
    return list(zip(bars.tolist(), ticks.tolist(), onsets.velocities.tolist()))


def window_onsets(request: GenerationRequest) -> tuple[dict[str, Onsets], np.ndarray, np.ndarray, float]:
    """The window's notes as onsets in seconds from its start, its beats and downbeats,
    and its length, at the request's tempo."""
    bar_ticks, beat_ticks = request.meter.ticks_per_bar, request.meter.ticks_per_beat
    found: dict[str, list[tuple[float, float]]] = {"snare": [], "bass": []}
    for offset, notes in enumerate(request.notes):
        for note in notes:
            found[note.role].append(((offset * bar_ticks + note.tick) * request.period_s, note.velocity))
    onsets = {role: Onsets(np.array([t for t, _ in v]), np.array([v_ for _, v_ in v])) for role, v in found.items()}
    n_bars = len(request.notes)
    beats = np.arange(n_bars * request.meter.numerator) * beat_ticks * request.period_s
    downbeats = np.arange(n_bars) * bar_ticks * request.period_s
    return onsets, beats, downbeats, n_bars * bar_ticks * request.period_s


def peak_frames(request: GenerationRequest, n_frames: int, fps: float) -> tuple[int, int]:
    """Frames [lo, hi) of the window (of `n_frames` at `fps`) whose kick curve the bar's
    peaks are picked from: the bar and one bar either side.

    Not the whole window: its edges (silence before a song's start, the end of what is
    known) can draw the curve's maximum and push the bar's own peaks under the threshold.
    """
    bar_ticks = request.meter.ticks_per_bar
    offset = (request.bar - request.first_bar) * bar_ticks
    frames_per_tick = request.period_s * fps
    lo = max(0, int((offset - bar_ticks) * frames_per_tick))
    hi = min(n_frames, int(np.ceil((offset + 2 * bar_ticks) * frames_per_tick)) + 1)
    return lo, hi


def bar_kicks(request: GenerationRequest, curve: np.ndarray, lo: int, fps: float, beats_s: np.ndarray) -> list[Kick]:
    """The bar's kicks from the kick curve (n,) on frames [lo, lo + n) of the window: its
    peaks, quantized on the window's beats (s), as (tick from the bar's start, velocity)."""
    picked = pick_peaks(curve, threshold=request.style.threshold, fps=fps)
    picked = Onsets(picked.times_s + lo / fps, picked.velocities)
    kicks = quantize(picked, beats_s, grid=request.style.grid)
    bar_ticks = request.meter.ticks_per_bar
    ticks = kicks.times_s / request.period_s - (request.bar - request.first_bar) * bar_ticks
    inside = (ticks >= 0) & (ticks < bar_ticks)
    return list(zip(ticks[inside].tolist(), kicks.velocities[inside].tolist()))


class KickGenerator:
    """Turns generation requests into kicks (off the MIDI thread in the live bridge)."""

    def __init__(self, bundle: ModelBundle, context: ContextSong | None = None) -> None:
        self.bundle = bundle
        self.context = context

    def __call__(self, request: GenerationRequest) -> list[Kick]:
        if self.context is not None and request.bar in self.context.notes:
            return self.context.kicks(self.bundle, request.style, request.meter).get(request.bar, [])
        onsets, beats, downbeats, duration_s = window_onsets(request)
        # the whole window's signals: each channel is standardized over all of it
        signals = signals_from_onsets(onsets, beat_times_s=beats, downbeat_times_s=downbeats, duration_s=duration_s)
        lo, hi = peak_frames(request, signals.n_frames, signals.fps)
        curve = kick_curve_window(self.bundle, signals, request.style.code, start=lo, stop=hi)
        return bar_kicks(request, curve, lo, signals.fps, beats)
