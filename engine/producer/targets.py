"""The song a kick is written for: a MIDI file (its snare and bass parts; an old kick
part is set aside for comparison) or audio stems (snare and bass, a folder or files)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from kickgen.engine.errors import InputFileError, MissingRoleError
from kickgen.engine.producer.kick_midi import TimeBase
from kickgen.engine.signals.audio import AUDIO_SUFFIXES, stems_in
from kickgen.engine.signals.beat_grid import GridSpec
from kickgen.engine.signals.frames import SAMPLE_RATE, Onsets, SongSignals
from kickgen.engine.signals.midi import MIDI_SUFFIXES, RoleMap, midi_song, read_midi

STEM_ROLES = ("snare", "bass")


@dataclass(frozen=True)
class Target:
    """name; signals (the context; `kick` is the old kick's curve or None); time_base
    for writing MIDI; midi and midi_path: the file (MIDI targets, for --merge and --mix);
    stems: mono 44.1 kHz audio by role (audio targets, for --mix); old_kick: the song's
    own kicks."""

    name: str
    signals: SongSignals
    time_base: TimeBase
    midi: mido.MidiFile | None
    stems: dict[str, np.ndarray]
    old_kick: Onsets | None
    midi_path: Path | None = None

    @property
    def duration_s(self) -> float:
        return self.signals.n_frames / self.signals.fps


def notice(message: str) -> None:
    print(f"kickgen: notice: {message}", file=sys.stderr)


def check_length(target: Target, origin: Path) -> Target:
    """Refuse a song shorter than one bar (no downbeat after its first)."""
    downbeats = target.signals.downbeat_times_s
    bar_s = float(np.diff(downbeats)[0]) if len(downbeats) > 1 else None
    if bar_s is None or target.duration_s < bar_s:
        raise InputFileError(origin, f"the song is {target.duration_s:.2f} s long, shorter than one bar")
    return target


def midi_target(path: Path, *, roles: RoleMap = RoleMap(), stems: dict[str, Path] | None = None) -> Target:
    """A MIDI song; `stems` (snare/bass audio of the same song) only sound in a preview mix."""
    from kickgen.engine.signals.audio import load_audio

    midi = read_midi(path)
    signals, onsets = midi_song(path, roles=roles, required=STEM_ROLES, midi=midi)
    kick = onsets["kick"] if len(onsets["kick"].times_s) else None
    audio = {role: load_audio(p) for role, p in (stems or {}).items()}
    target = Target(path.stem, signals, TimeBase.from_midi(midi), midi, audio, kick, path)
    return check_length(target, path)


def stem_paths(target: Path | None, *, snare: Path | None, bass: Path | None) -> dict[str, Path]:
    """Snare and bass stems: from the flags, else the folder's files named snare.* and bass.*;
    `MissingRoleError` names the ones not found."""
    found = stems_in(target, {"snare": snare, "bass": bass})
    missing = [role for role in STEM_ROLES if role not in found]
    if missing:  # as a MIDI song without one of them is refused
        where = target if target is not None else "render"
        raise MissingRoleError(where, f"no {' and no '.join(missing)} stem (give "
                                      + " ".join(f"--{r} {r[0].upper()}.wav" for r in missing)
                                      + ", or a folder holding snare.wav and bass.wav)")
    return found


def stems_time_base(signals: SongSignals, grid: GridSpec | None) -> TimeBase:
    """The tempo map the kicks of audio stems are written on: the producer's grid (a
    MIDI file's own tempo map, or the steady tempo and meter), else the tracked beats'."""
    if grid is None:
        return TimeBase.from_beats(signals.beat_times_s, signals.downbeat_times_s)
    if grid.midi_path is not None:
        return TimeBase.from_midi(read_midi(grid.midi_path))
    return TimeBase.steady(tempo_us=round(60e6 / grid.bpm), meter=grid.meter)


def audio_target(paths: dict[str, Path], *, grid: GridSpec | None = None) -> Target:
    """Stems of different lengths are zero-padded (with a notice); silent stems are refused.
    `grid`: the song's beat grid as the producer knows it (else madmom tracks it)."""
    from kickgen.engine.signals.audio import load_audio, signals_from_stems

    stems = {role: load_audio(p) for role, p in paths.items()}
    for role, audio in stems.items():
        if not np.any(np.abs(audio) > 1e-5):
            raise InputFileError(paths[role], "the stem is silent")
    lengths = {role: len(a) / SAMPLE_RATE for role, a in stems.items()}
    if max(lengths.values()) - min(lengths.values()) > 0.05:
        notice("stems differ in length (" + ", ".join(f"{r} {s:.2f} s" for r, s in lengths.items())
               + "); the shorter ones are padded with silence")
    signals = signals_from_stems(stems, grid=grid)
    name = next(iter(paths.values())).parent.name or "song"
    target = Target(name, signals, stems_time_base(signals, grid), None, stems, None)
    return check_length(target, next(iter(paths.values())))


def refuse_grid_for_midi(path: Path, grid: GridSpec | None) -> None:
    if grid is not None:
        raise InputFileError(path, "is a MIDI file: its own tempo map and meter are the beat grid "
                                   "(--bpm, --meter and --grid-from are for audio stems)")


def load_target(
    target: Path | None, *, snare: Path | None = None, bass: Path | None = None, roles: RoleMap = RoleMap(),
    grid: GridSpec | None = None,
) -> Target:
    """A MIDI file, or audio stems (a folder, a stem file, or --snare/--bass) with the
    known beat `grid`, if any."""
    if target is not None and not target.exists():
        raise InputFileError(target, "no such file or folder")
    if target is not None and target.is_file():
        suffix = target.suffix.lower()
        if suffix in MIDI_SUFFIXES or (suffix not in AUDIO_SUFFIXES and target.read_bytes()[:4] == b"MThd"):
            refuse_grid_for_midi(target, grid)
            stems = {role: p for role, p in (("snare", snare), ("bass", bass)) if p is not None}
            return midi_target(target, roles=roles, stems=stems)
        if suffix not in AUDIO_SUFFIXES:
            raise InputFileError(target, "neither a MIDI file nor an audio file")
        role = target.stem.lower()
        if role not in STEM_ROLES:
            raise InputFileError(target, "an audio target must be a snare or bass stem (name it snare.wav or "
                                         "bass.wav, or use --snare and --bass)")
        return audio_target(stem_paths(None, snare=target if role == "snare" else snare,
                                       bass=target if role == "bass" else bass), grid=grid)
    return audio_target(stem_paths(target, snare=snare, bass=bass), grid=grid)


def load_reference_song(
    reference: Path | None, *, kick: Path | None = None, snare: Path | None = None, bass: Path | None = None,
    roles: RoleMap = RoleMap(), grid: GridSpec | None = None,
) -> tuple[SongSignals, Path]:
    """A song whose kick a preset learns: a MIDI file with kick, snare and bass notes, or
    stems (a folder holding kick.wav, snare.wav, bass.wav, or the flags) with the known
    beat `grid`, if any. Returns its signals (with the kick) and the file that names it
    (the MIDI file or the kick stem)."""
    from kickgen.engine.signals.audio import signals_from_audio

    if reference is not None and reference.is_file() and reference.suffix.lower() not in AUDIO_SUFFIXES:
        refuse_grid_for_midi(reference, grid)
        signals, onsets = midi_song(reference, roles=roles, required=STEM_ROLES)
        if not len(onsets["kick"].times_s):
            raise InputFileError(reference, "has no kick notes: a preset learns the style of a song's kick")
        return signals, reference
    if reference is not None and not reference.exists():
        raise InputFileError(reference, "no such file or folder")
    stems = stems_in(reference, {"kick": kick, "snare": snare, "bass": bass})
    if "kick" not in stems:
        raise InputFileError(reference or "preset save", "no kick stem (give --kick K.wav or a folder holding kick.wav)")
    signals = signals_from_audio(snare=stems.get("snare"), bass=stems.get("bass"), kick=stems["kick"], grid=grid)
    return signals, stems["kick"]
