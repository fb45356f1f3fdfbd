"""Kick notes to a standard MIDI file (DESIGN §4): the target's tempo map, one track
"Kick", explicit note-offs; or, merged, the target song with its old kick replaced."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from kickgen.engine.signals.frames import Onsets, median_beat_period_s
from kickgen.engine.signals.midi import (
    DEFAULT_TEMPO_US,
    RoleMap,
    TempoMap,
    absolute_events,
    tempo_map,
)
from kickgen.engine.signals.parts import to_track
from kickgen.engine.util.atomic import atomic_path

TICKS_PER_BEAT = 480
NOTE_LENGTH_BEATS = 0.25  # a sixteenth, shortened when the next kick comes sooner
TIMING_META = ("set_tempo", "time_signature", "key_signature")


@dataclass(frozen=True)
class KickStyle:
    """How kicks become notes: GM note (36 = bass drum 1) and 1-based channel (10 = drums)."""

    note: int = 36
    channel: int = 10


@dataclass(frozen=True)
class TimeBase:
    """The ticks the kicks are written in: a tempo map and its timing meta messages
    (absolute tick, message), from the target MIDI file or made for an audio target."""

    tempo: TempoMap
    meta: tuple[tuple[int, mido.MetaMessage], ...]

    @classmethod
    def from_midi(cls, midi: mido.MidiFile) -> TimeBase:
        events = absolute_events(midi)
        meta = tuple((tick, msg) for tick, _, msg in events if msg.is_meta and msg.type in TIMING_META)
        return cls(tempo_map(events, ticks_per_beat=midi.ticks_per_beat), meta)

    @classmethod
    def from_beats(cls, beats_s: np.ndarray, downbeats_s: np.ndarray) -> TimeBase:
        """A constant tempo (the median beat period) and meter (median beats a bar) for a
        song known only from audio; 120 bpm in 4/4 when there are too few beats."""
        period_s = median_beat_period_s(beats_s) or DEFAULT_TEMPO_US / 1e6
        beats_per_bar = 4
        if len(downbeats_s) > 1:
            per_bar = [np.sum((beats_s >= a) & (beats_s < b)) for a, b in itertools.pairwise(downbeats_s)]
            beats_per_bar = int(np.median(per_bar)) or 4
        return cls.steady(tempo_us=round(period_s * 1e6), meter=(beats_per_bar, 4))

    @classmethod
    def steady(cls, *, tempo_us: int, meter: tuple[int, int]) -> TimeBase:
        """A constant tempo (µs a quarter note) and meter (numerator, denominator)."""
        meta = ((0, mido.MetaMessage("set_tempo", tempo=tempo_us)),
                (0, mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1])))
        return cls(TempoMap(TICKS_PER_BEAT, np.array([0]), np.array([float(tempo_us)])), meta)


def kick_messages(kicks: Onsets, time_base: TimeBase, style: KickStyle) -> list[tuple[int, mido.Message]]:
    """(absolute tick, message) note-on/note-off pairs; velocities 1..127 from 0..1."""
    ticks = np.round(time_base.tempo.to_ticks(kicks.times_s)).astype(int)
    channel = style.channel - 1
    full = round(NOTE_LENGTH_BEATS * time_base.tempo.ticks_per_beat)
    messages = []
    for i, (tick, velocity) in enumerate(zip(ticks.tolist(), kicks.velocities.tolist())):
        length = full if i + 1 == len(ticks) else max(1, min(full, ticks[i + 1] - tick))
        messages.append((tick, mido.Message("note_on", channel=channel, note=style.note,
                                            velocity=int(np.clip(round(velocity * 127), 1, 127)))))
        messages.append((tick + length, mido.Message("note_off", channel=channel, note=style.note, velocity=0)))
    return sorted(messages, key=lambda m: (m[0], m[1].type == "note_on"))


def is_old_kick(msg: mido.Message, roles: RoleMap) -> bool:
    return msg.type in ("note_on", "note_off") and msg.channel == roles.drum_channel and msg.note in roles.kick_notes


def without_kicks(track: mido.MidiTrack, roles: RoleMap) -> mido.MidiTrack:
    """A copy of `track` without its kick notes; every other message keeps its time."""
    out, carried = mido.MidiTrack(), 0
    for msg in track:
        if is_old_kick(msg, roles):
            carried += msg.time
            continue
        out.append(msg.copy(time=msg.time + carried))
        carried = 0
    return out


def write_kick_midi(
    path: Path, kicks: Onsets, time_base: TimeBase, *, style: KickStyle = KickStyle(),
    merge_with: mido.MidiFile | None = None, roles: RoleMap = RoleMap(), force: bool = False,
) -> None:
    """Write the kicks atomically: a type-1 file of the timing meta and a "Kick" track,
    or (`merge_with`) that song's tracks with their kick notes removed plus "Kick"."""
    messages = kick_messages(kicks, time_base, style)
    if merge_with is not None:
        out = mido.MidiFile(type=1, ticks_per_beat=merge_with.ticks_per_beat)
        out.tracks.extend(without_kicks(t, roles) for t in merge_with.tracks)
    else:
        out = mido.MidiFile(type=1, ticks_per_beat=time_base.tempo.ticks_per_beat)
        out.tracks.append(to_track("Tempo", list(time_base.meta)))
    out.tracks.append(to_track("Kick", messages))
    with atomic_path(path, force=force, suffix=".mid") as tmp:
        out.save(tmp)
