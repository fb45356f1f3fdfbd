"""A song's kick, snare and bass parts as a clean three-track GM MIDI file, and one
MIDI file per part (the stems FluidSynth renders).

Parts are chosen the GM way (`RoleMap` defaults): kick and snare by drum note on
channel 10, bass by the program playing each note (never by track name, since some
arrangements call a guitar riff "bass").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido

from kickgen.engine.signals.midi import RoleMap, absolute_events, read_midi, role_onsets, tempo_map
from kickgen.engine.util.atomic import atomic_path

PART_NAMES = ("Kick", "Snare", "Bass")
KEPT_META = ("set_tempo", "time_signature", "key_signature")
GM_ROLES = RoleMap(bass_track_pattern="")  # bass by program only

TimedMessage = tuple[int, mido.Message]  # (absolute tick, message)


@dataclass(frozen=True)
class PartsSummary:
    """Note-on counts of a parts file, its first meter and its length in seconds."""

    kick: int
    snare: int
    bass: int
    meter: tuple[int, int]
    duration_s: float


def to_track(name: str, messages: list[TimedMessage]) -> mido.MidiTrack:
    """A named track from (absolute tick, message) pairs in time order."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    last = 0
    for tick, msg in messages:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _write(path: Path, ticks_per_beat: int, tracks: dict[str, list[TimedMessage]]) -> None:
    """Write a type-1 file atomically: one track per entry, absolute ticks -> deltas."""
    out = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    out.tracks.extend(to_track(name, messages) for name, messages in tracks.items())
    with atomic_path(path, force=True, suffix=".mid") as tmp:
        out.save(tmp)


def extract_parts(source: str | Path, out: str | Path) -> None:
    """Copy `source`'s tempo map and its kick, snare and bass notes (with their note-offs
    and the bass programs) into `out`: tracks "Meta", "Kick", "Snare", "Bass"."""
    midi = read_midi(source)
    roles = GM_ROLES
    meta: list[TimedMessage] = []
    parts: dict[str, list[TimedMessage]] = {name: [] for name in PART_NAMES}
    programs = [0] * 16
    sounding_bass: set[tuple[int, int]] = set()
    announced: dict[int, int] = {}
    for tick, _, msg in absolute_events(midi):
        if msg.is_meta:
            if msg.type in KEPT_META:
                meta.append((tick, msg))
            continue
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
        if msg.type not in ("note_on", "note_off"):
            continue
        starts = msg.type == "note_on" and msg.velocity > 0
        key = (msg.channel, msg.note)
        if msg.channel == roles.drum_channel:
            part = "Kick" if msg.note in roles.kick_notes else "Snare" if msg.note in roles.snare_notes else None
            if part:
                parts[part].append((tick, msg))
        elif starts and programs[msg.channel] in roles.bass_programs:
            if announced.get(msg.channel) != programs[msg.channel]:
                announced[msg.channel] = programs[msg.channel]
                parts["Bass"].append(
                    (tick, mido.Message("program_change", channel=msg.channel, program=programs[msg.channel]))
                )
            parts["Bass"].append((tick, msg))
            sounding_bass.add(key)
        elif not starts and key in sounding_bass:
            parts["Bass"].append((tick, msg))
            sounding_bass.discard(key)
    _write(Path(out), midi.ticks_per_beat, {"Meta": meta, **parts})


def write_part(parts_file: str | Path, part: str, out: str | Path) -> None:
    """Write the tempo map and one part of a parts file (from `extract_parts`) to `out`."""
    midi = read_midi(parts_file)
    keep = {"Meta", part}
    tracks = {}
    for track in midi.tracks:
        if track.name in keep:
            tick, messages = 0, []
            for msg in track:
                tick += msg.time
                if msg.type not in ("track_name", "end_of_track"):
                    messages.append((tick, msg))
            tracks[track.name] = messages
    _write(Path(out), midi.ticks_per_beat, tracks)


def read_parts_midi(path: str | Path) -> PartsSummary:
    """Count the parts of a MIDI file (GM roles, bass by program)."""
    midi = read_midi(path)
    events = absolute_events(midi)
    tempo = tempo_map(events, ticks_per_beat=midi.ticks_per_beat)
    onsets = role_onsets(midi, events, tempo, GM_ROLES)
    meter = next(((m.numerator, m.denominator) for _, _, m in events if m.type == "time_signature"), (4, 4))
    end_tick = events[-1][0] if events else 0
    return PartsSummary(
        kick=len(onsets["kick"].times_s),
        snare=len(onsets["snare"].times_s),
        bass=len(onsets["bass"].times_s),
        meter=meter,
        duration_s=float(tempo.seconds(end_tick)),
    )
