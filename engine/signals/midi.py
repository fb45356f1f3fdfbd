"""MIDI domain: snare, bass and kick onset curves from note-ons; beats from the tempo map.

Roles are found by General MIDI conventions (drum notes on channel 10, bass programs,
track names) and every rule can be overridden with a `RoleMap`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
from mido.midifiles.meta import KeySignatureError, MetaSpec_key_signature, add_meta_spec

from kickgen.engine.errors import InputFileError, MissingRoleError
from kickgen.engine.signals.frames import (
    FPS,
    Onsets,
    SongSignals,
    assemble,
    frames_for_duration,
    grid_curves,
    impulse_curve,
)

DEFAULT_TEMPO_US = 500_000  # 120 bpm, the MIDI default
MIDI_SUFFIXES = (".mid", ".midi")
MAX_SONG_S = 3600  # longer MIDI files are refused before their curves are allocated
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32, 64)


@dataclass(frozen=True)
class RoleMap:
    """How notes are assigned to the snare, bass and kick roles.

    Channels are 0-based (GM drum channel 10 is 9). A note on `drum_channel` is a
    snare or kick by its note number; any other note is bass when its channel's
    program is in `bass_programs`, its track's name matches `bass_track_pattern` (a
    case-insensitive regular expression), its track is in `bass_tracks` (0-based
    indices, as error messages number them) or its channel is in `bass_channels`.
    """

    snare_notes: tuple[int, ...] = (38, 40, 39, 37)
    kick_notes: tuple[int, ...] = (35, 36)
    drum_channel: int = 9
    bass_programs: tuple[int, ...] = tuple(range(32, 40))
    bass_track_pattern: str = "bass"
    bass_channels: tuple[int, ...] = ()  # 0-based channels whose notes are all bass
    bass_tracks: tuple[int, ...] = ()  # 0-based track indices whose notes are all bass


@dataclass(frozen=True)
class TempoMap:
    """Piecewise-constant tempo: `ticks` (n,) where each tempo (µs per quarter) starts."""

    ticks_per_beat: int
    ticks: np.ndarray
    tempos_us: np.ndarray

    def seconds(self, ticks: np.ndarray) -> np.ndarray:
        """Seconds at absolute `ticks` (any shape)."""
        ticks = np.asarray(ticks, dtype=np.float64)
        seg_s = np.diff(self.ticks) * self.tempos_us[:-1] / 1e6 / self.ticks_per_beat
        starts_s = np.concatenate([[0.0], np.cumsum(seg_s)])
        i = np.searchsorted(self.ticks, ticks, side="right") - 1
        return starts_s[i] + (ticks - self.ticks[i]) * self.tempos_us[i] / 1e6 / self.ticks_per_beat

    def to_ticks(self, seconds: np.ndarray) -> np.ndarray:
        """Absolute ticks (float) at `seconds`, the inverse of `seconds`."""
        seconds = np.asarray(seconds, dtype=np.float64)
        starts_s = self.seconds(self.ticks)
        i = np.clip(np.searchsorted(starts_s, seconds, side="right") - 1, 0, None)
        return self.ticks[i] + (seconds - starts_s[i]) * 1e6 * self.ticks_per_beat / self.tempos_us[i]


class _LenientKeySignature(MetaSpec_key_signature):
    """A key signature that cannot be decoded (a mode byte of 255, 20 sharps) reads as C:
    real files carry such events, a DAW opens them, and a key tells kickgen nothing."""

    type = "key_signature"

    def decode(self, message, data):
        try:
            super().decode(message, data)
        except (KeySignatureError, IndexError):
            message.key = "C"


add_meta_spec(_LenientKeySignature)


def read_midi(path: str | Path) -> mido.MidiFile:
    """Open a standard MIDI file the way a DAW does (undecodable key signatures read as C,
    data bytes above 127 clipped), and refuse what cannot be a song (`check_song`);
    `InputFileError` names the file and the problem."""
    try:
        midi = mido.MidiFile(path, clip=True)
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a MIDI file") from None
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputFileError(path, f"not a readable standard MIDI file ({exc})") from None
    check_song(midi, path)
    return midi


def check_song(midi: mido.MidiFile, path: str | Path) -> None:
    """Refuse, before any large allocation, a file whose timing cannot be a song: a time
    division of 0 or in SMPTE frames, a tempo of 0, a meter of 0 beats or an impossible
    note value, or a length over `MAX_SONG_S`."""
    if not 0 < midi.ticks_per_beat < 0x8000:
        raise InputFileError(path, f"its time division ({midi.ticks_per_beat}) is not ticks per quarter note "
                                   "(SMPTE or zero), which kickgen cannot place on a beat grid")
    events = absolute_events(midi)
    for _, _, msg in events:
        if msg.type == "set_tempo" and msg.tempo <= 0:
            raise InputFileError(path, "it sets a tempo of 0")
        if msg.type == "time_signature" and not (1 <= msg.numerator <= 64 and msg.denominator in METER_DENOMINATORS):
            raise InputFileError(path, f"it sets an impossible meter ({msg.numerator}/{msg.denominator})")
    end_tick = events[-1][0] if events else 0
    duration_s = float(tempo_map(events, ticks_per_beat=midi.ticks_per_beat).seconds(np.array([end_tick]))[0])
    if duration_s > MAX_SONG_S:
        raise InputFileError(path, f"it lasts {duration_s / 3600:.1f} hours; kickgen reads songs of up to "
                                   f"{MAX_SONG_S // 3600} hour")


Event = tuple[int, int, mido.Message]  # (absolute tick, track index, message)


def absolute_events(midi: mido.MidiFile) -> list[Event]:
    """All messages as (absolute tick, track index, message), sorted by tick."""
    events = []
    for track_index, track in enumerate(midi.tracks):
        tick = 0
        for msg in track:
            tick += msg.time
            events.append((tick, track_index, msg))
    events.sort(key=lambda e: e[0])
    return events


def tempo_map(events: list[Event], *, ticks_per_beat: int) -> TempoMap:
    """The tempo changes among `events` as a `TempoMap` (120 bpm until the first set_tempo)."""
    ticks, tempos = [0], [DEFAULT_TEMPO_US]
    for tick, _, msg in events:
        if msg.type == "set_tempo":
            if tick == ticks[-1]:
                tempos[-1] = msg.tempo
            else:
                ticks.append(tick)
                tempos.append(msg.tempo)
    return TempoMap(ticks_per_beat, np.array(ticks, np.int64), np.array(tempos, np.float64))


def beat_grid_ticks(events: list[Event], *, ticks_per_beat: int, end_tick: int) -> tuple[np.ndarray, np.ndarray]:
    """Beat and downbeat ticks up to `end_tick`, following the time-signature changes.

    A beat is one denominator note (a quarter in 4/4 and 3/4, an eighth in 6/8). A new
    time signature starts a new bar. Returns (beat_ticks, downbeat_ticks); beats include
    the downbeats.
    """
    signatures = [(0, 4, 4)]
    for tick, _, msg in events:
        if msg.type == "time_signature":
            entry = (tick, msg.numerator, msg.denominator)
            signatures = signatures[:-1] + [entry] if tick == signatures[-1][0] else signatures + [entry]
    beats, downbeats = [], []
    for i, (start, numerator, denominator) in enumerate(signatures):
        stop = signatures[i + 1][0] if i + 1 < len(signatures) else end_tick + 1
        beat_ticks = ticks_per_beat * 4 / denominator
        bar = 0
        while start + bar * numerator * beat_ticks < stop:
            bar_start = start + bar * numerator * beat_ticks
            downbeats.append(bar_start)
            for b in range(numerator):
                t = bar_start + b * beat_ticks
                if t < stop:
                    beats.append(t)
            bar += 1
    return np.array(beats), np.array(downbeats)


def role_onsets(
    midi: mido.MidiFile, events: list[Event], tempo: TempoMap, roles: RoleMap
) -> dict[str, Onsets]:
    """Note-ons of the snare, bass and kick roles among `events` (of `midi`), in seconds,
    with velocities in 0..1."""
    pattern = re.compile(roles.bass_track_pattern, re.IGNORECASE) if roles.bass_track_pattern else None
    bass_tracks = set(roles.bass_tracks) | {
        i for i, track in enumerate(midi.tracks) if pattern is not None and pattern.search(track.name or "")
    }
    programs = [0] * 16
    found: dict[str, list[tuple[int, int]]] = {"snare": [], "bass": [], "kick": []}
    for tick, track_index, msg in events:
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
        if msg.type != "note_on" or msg.velocity == 0:
            continue
        if msg.channel == roles.drum_channel:
            if msg.note in roles.snare_notes:
                found["snare"].append((tick, msg.velocity))
            elif msg.note in roles.kick_notes:
                found["kick"].append((tick, msg.velocity))
        elif (programs[msg.channel] in roles.bass_programs or track_index in bass_tracks
              or msg.channel in roles.bass_channels):
            found["bass"].append((tick, msg.velocity))
    onsets = {}
    for role, notes in found.items():
        arr = np.array(notes, dtype=np.float64).reshape(-1, 2)
        onsets[role] = Onsets(tempo.seconds(arr[:, 0]), arr[:, 1] / 127.0)
    return onsets


def signals_from_onsets(
    onsets: dict[str, Onsets],
    *,
    beat_times_s: np.ndarray,
    downbeat_times_s: np.ndarray,
    duration_s: float,
    fps: float = FPS,
) -> SongSignals:
    """Build the standardized bundle from role onsets and a beat grid.

    onsets: "snare" and "bass" (and optionally "kick") `Onsets`. The beat channel
    marks beats that are not downbeats (as madmom's downbeat network does); the
    downbeat channel marks bar starts. The kick is None when there are no kick notes.
    """
    n_frames = frames_for_duration(duration_s, fps=fps)

    def curve(o: Onsets) -> np.ndarray:
        return impulse_curve(o.times_s, o.velocities, n_frames=n_frames, fps=fps)

    kick = onsets.get("kick")
    return assemble(
        {
            "snare": curve(onsets["snare"]),
            "bass": curve(onsets["bass"]),
            **grid_curves(beat_times_s, downbeat_times_s, n_frames=n_frames, fps=fps),
        },
        curve(kick) if kick is not None and len(kick.times_s) else None,
        beat_times_s=beat_times_s,
        downbeat_times_s=downbeat_times_s,
        fps=fps,
    )


def signals_from_midi(path: str | Path, *, roles: RoleMap = RoleMap(), fps: float = FPS) -> SongSignals:
    """Read a MIDI file into a `SongSignals`.

    Raises `InputFileError` for an unreadable file and `MissingRoleError` when the file
    has neither snare nor bass notes; a song with only one of them gets a silent channel.
    """
    return midi_song(path, roles=roles, fps=fps)[0]


def describe_parts(midi: mido.MidiFile, events: list[Event]) -> str:
    """What a file holds, for error messages: each track with notes, its channels (1-based)
    and, on the drum channel, its note numbers."""
    channels: dict[int, set[int]] = {}
    drum_notes: dict[int, set[int]] = {}
    for _, track_index, msg in events:
        if msg.type == "note_on" and msg.velocity > 0:
            channels.setdefault(track_index, set()).add(msg.channel + 1)
            if msg.channel == 9:
                drum_notes.setdefault(track_index, set()).add(msg.note)
    if not channels:
        return "no notes at all"
    parts = []
    for i, chans in sorted(channels.items()):
        notes = f", drum notes {', '.join(map(str, sorted(drum_notes[i])))}" if i in drum_notes else ""
        parts.append(f"track {i} {midi.tracks[i].name or '(unnamed)'!r}: channel {', '.join(map(str, sorted(chans)))}{notes}")
    return "; ".join(parts)


def midi_song(
    path: str | Path, *, roles: RoleMap = RoleMap(), fps: float = FPS, required: tuple[str, ...] = (),
    midi: mido.MidiFile | None = None,
) -> tuple[SongSignals, dict[str, Onsets]]:
    """`signals_from_midi` and the role onsets ("snare", "bass", "kick") it was built from.

    Raises `MissingRoleError` when a role in `required` has no notes (or neither snare
    nor bass has any), naming what the file holds and the flags that assign roles.
    `midi`: the file already parsed (it is not read again)."""
    midi = midi if midi is not None else read_midi(path)
    events = absolute_events(midi)
    tempo = tempo_map(events, ticks_per_beat=midi.ticks_per_beat)
    onsets = role_onsets(midi, events, tempo, roles)
    missing = [r for r in ("snare", "bass") if not len(onsets[r].times_s) and (r in required or not required)]
    if missing and (required or len(missing) == 2):
        raise MissingRoleError(
            path,
            f"no {' and no '.join(missing)} notes found (it holds {describe_parts(midi, events)}). "
            f"Snare: GM drum notes {'/'.join(map(str, roles.snare_notes))} on channel {roles.drum_channel + 1} "
            f"(--snare-notes, --drum-channel); bass: GM programs 33-40 or a track named like "
            f"{roles.bass_track_pattern!r} (--bass-channels, --bass-track)",
        )
    end_tick = events[-1][0] if events else 0
    beat_ticks, downbeat_ticks = beat_grid_ticks(events, ticks_per_beat=midi.ticks_per_beat, end_tick=end_tick)
    signals = signals_from_onsets(
        onsets,
        beat_times_s=tempo.seconds(beat_ticks),
        downbeat_times_s=tempo.seconds(downbeat_ticks),
        duration_s=float(tempo.seconds(np.array([end_tick]))[0]),
        fps=fps,
    )
    return signals, onsets
