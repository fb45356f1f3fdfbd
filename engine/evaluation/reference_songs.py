"""Songs with a known kick part, for evaluation: a MIDI file, a corpus song in either
domain, or a producer's song from a features folder (`kickgen features`). The reference
kick onsets come from the notes (exact times); in the audio domain the model hears the
rendered stems; a features folder's song is scored against the peaks of its own kick
curve (its kick notes, or the onsets of its kick stem)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.corpus.manifest import MANIFEST_NAME, STEM_SUFFIX, read_manifest
from kickgen.engine.corpus.own_songs import SONGS_INDEX, read_index
from kickgen.engine.errors import InputFileError
from kickgen.engine.signals.feature_files import load_features
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, Onsets, SongSignals
from kickgen.engine.signals.midi import MIDI_SUFFIXES, RoleMap, midi_song
from kickgen.engine.signals.parts import GM_ROLES
from kickgen.engine.signals.peaks import pick_peaks


@dataclass(frozen=True)
class ReferenceSong:
    """A song's signals in one domain (with its kick curve), its notes by role (the kick
    notes are what is scored against), its bass onsets (the notes in MIDI, picked from
    the bass curve in audio) and the score's beat times in seconds (the MIDI tempo map,
    in either domain). `path` is the MIDI file, the corpus song folder, or a features
    folder's feature file (.npz)."""

    name: str
    domain: str
    path: Path
    signals: SongSignals
    notes: dict[str, Onsets]
    bass_s: np.ndarray
    meta: dict
    score_beats_s: np.ndarray

    @property
    def kick_s(self) -> np.ndarray:
        return self.notes["kick"].times_s


def load_reference(path: Path, *, domain: str, roles: RoleMap = RoleMap(), meta: dict | None = None) -> ReferenceSong:
    """A MIDI file (domain "midi"), or a corpus song folder (song.mid and stems)."""
    midi_path = path / "song.mid" if path.is_dir() else path
    signals, onsets = midi_song(midi_path, roles=GM_ROLES if path.is_dir() else roles)
    if not len(onsets["kick"].times_s):
        raise InputFileError(midi_path, "has no kick notes to evaluate against")
    missing = [role for role in ("snare", "bass") if not len(onsets[role].times_s)]
    if missing:
        raise InputFileError(midi_path, f"has no {' and no '.join(missing)} notes")
    bass_s, score_beats_s = onsets["bass"].times_s, signals.beat_times_s
    if domain == "audio":
        from kickgen.engine.signals.audio import signals_from_audio

        if not path.is_dir():
            raise InputFileError(path, "the audio domain needs a corpus song folder (song.mid and stems)")
        stems = {part: path / f"{part}{STEM_SUFFIX}" for part in ("kick", "snare", "bass")}
        signals = signals_from_audio(snare=stems["snare"], bass=stems["bass"], kick=stems["kick"])
        bass_s = pick_peaks(signals.context[CONTEXT_CHANNELS.index("bass")], fps=signals.fps).times_s
    name = path.name if path.is_dir() else path.stem
    return ReferenceSong(name, domain, path, signals, onsets, bass_s, meta or {}, score_beats_s)


def load_feature_song(path: Path, *, meta: dict) -> ReferenceSong:
    """A song of a features folder (`kickgen features`), from its feature file: its kick,
    snare and bass onsets are the peaks of its curves."""
    signals = load_features(path)
    if signals.kick is None:
        raise InputFileError(path, "has no kick curve to evaluate against")
    notes = {"kick": pick_peaks(signals.kick[0], fps=signals.fps)}
    for role in ("snare", "bass"):
        notes[role] = pick_peaks(signals.context[CONTEXT_CHANNELS.index(role)], fps=signals.fps)
    return ReferenceSong(meta.get("name", path.stem), meta.get("domain", "midi"), path, signals, notes,
                         notes["bass"].times_s, meta, signals.beat_times_s)


def reference_paths(targets: list[Path], *, split: str | None, domain: str | None = None) -> list[tuple[Path, dict]]:
    """Expand eval targets: MIDI files, folders of MIDI files, corpus folders (their
    songs of `split`, or all), features folders from `kickgen features` (their songs of
    `split` heard in `domain`). Returns (path, manifest or index entry or {}) pairs."""
    found: list[tuple[Path, dict]] = []
    for target in targets:
        if (target / SONGS_INDEX).exists():
            found += [(target / entry["file"], entry) for entry in read_index(target)
                      if (split is None or entry["split"] == split) and (domain is None or entry["domain"] == domain)]
        elif (target / MANIFEST_NAME).exists():
            for entry in read_manifest(target)["songs"]:
                if split is None or entry["split"] == split:
                    found.append((target / entry["path"], entry))
        elif target.is_dir():
            midi = sorted(p for p in target.iterdir() if p.suffix.lower() in MIDI_SUFFIXES)
            if not midi:
                raise InputFileError(target, "holds no MIDI files and no corpus manifest")
            found += [(p, {}) for p in midi]
        elif target.exists():
            found.append((target, {}))
        else:
            raise InputFileError(target, "no such file or folder")
    return found
