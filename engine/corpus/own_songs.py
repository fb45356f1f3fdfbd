"""A producer's own songs as training material: MIDI songs with kick, snare and bass,
and stem folders (kick, snare and bass audio), into feature files split by whole song
into training and validation, `FEATURES/train/` and `FEATURES/validation/`, with an
index `FEATURES/songs.json` that `kickgen eval FEATURES` reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kickgen.engine.errors import (
    InputFileError,
    KickgenError,
    OutputExistsError,
    missing_package_hint,
)
from kickgen.engine.signals.audio import stems_in
from kickgen.engine.signals.feature_files import save_features
from kickgen.engine.signals.frames import SongSignals
from kickgen.engine.signals.midi import MIDI_SUFFIXES, RoleMap
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.parallel import run_parallel

SONGS_INDEX = "songs.json"
SPLITS = ("train", "validation")
STEM_ROLES = {"kick": None, "snare": None, "bass": None}


@dataclass(frozen=True)
class OwnSong:
    """One song: a MIDI file (domain "midi") or a folder of stems (domain "audio")."""

    source: Path
    domain: str

    @property
    def name(self) -> str:
        return self.source.stem if self.domain == "midi" else self.source.name


def is_stem_folder(folder: Path) -> bool:
    """A folder holding a kick stem and a snare or bass stem (kick.wav, Snare.flac, ...)."""
    stems = stems_in(folder, dict(STEM_ROLES))
    return "kick" in stems and ("snare" in stems or "bass" in stems)


def find_songs(targets: list[Path]) -> list[OwnSong]:
    """MIDI files, stem folders, and folders of either (one level down), in a stable order."""
    songs: list[OwnSong] = []
    for target in targets:
        if not target.exists():
            raise InputFileError(target, "no such file or folder")
        if target.is_file():
            if target.suffix.lower() not in MIDI_SUFFIXES:
                raise InputFileError(target, "is not a MIDI file (.mid) nor a folder of songs or stems")
            songs.append(OwnSong(target, "midi"))
        elif is_stem_folder(target):
            songs.append(OwnSong(target, "audio"))
        else:
            inside = sorted(target.iterdir())
            found = [OwnSong(p, "midi") for p in inside if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES]
            found += [OwnSong(p, "audio") for p in inside if p.is_dir() and is_stem_folder(p)]
            if not found:
                raise InputFileError(target, "holds no MIDI songs and no stem folders (kick, snare and bass audio)")
            songs += found
    return songs


def song_signals(job: tuple[OwnSong, RoleMap]) -> SongSignals | str:
    """One song's signals with its kick as the target, or why it is skipped (one line)."""
    song, roles = job
    try:
        if song.domain == "midi":
            from kickgen.engine.signals.midi import signals_from_midi

            signals = signals_from_midi(song.source, roles=roles)
        else:
            from kickgen.engine.signals.audio import signals_from_audio

            stems = stems_in(song.source, dict(STEM_ROLES))
            signals = signals_from_audio(snare=stems.get("snare"), bass=stems.get("bass"), kick=stems["kick"])
    except KickgenError as error:
        return str(error)
    except ModuleNotFoundError as error:  # stems without madmom: the MIDI songs go on
        return f"{song.source}: {missing_package_hint(error.name)}"
    if signals.kick is None or not np.any(signals.kick):
        return f"{song.source}: has no kick to learn from"
    return signals


def split_songs(n_songs: int, *, validation_share: float, seed: int) -> list[str]:
    """Each song's split, whole songs drawn at random (seeded): round(share × n) of them
    for validation, at least one when there are two songs or more and the share is not 0."""
    n_validation = min(round(validation_share * n_songs), n_songs - 1)  # one to train on, always
    if validation_share > 0 and n_songs >= 2:
        n_validation = max(n_validation, 1)
    order = np.random.default_rng(seed).permutation(n_songs)
    splits = ["train"] * n_songs
    for i in order[:n_validation]:
        splits[i] = "validation"
    return splits


def unique_names(songs: list[OwnSong]) -> list[str]:
    """File-name stems for the songs' feature files, numbered where two songs share a name."""
    names: list[str] = []
    for song in songs:
        name, n = song.name, 1
        while name in names:
            n += 1
            name = f"{song.name}-{n}"
        names.append(name)
    return names


def write_features(
    targets: list[Path], out: Path, *, roles: RoleMap = RoleMap(), validation_share: float = 0.2, seed: int = 0,
    jobs: int = 2, force: bool = False, progress: bool = True,
) -> tuple[list[dict], list[str]]:
    """Extract the songs of `targets` into `out`; returns the index's entries and the
    one-line reasons of the songs skipped. Refuses an `out` that already holds an index
    or feature files unless `force` (the earlier files are then removed, once the new ones
    and the index are written)."""
    index_path = out / SONGS_INDEX
    if out.exists() and not out.is_dir():
        raise InputFileError(out, "is a file, not a features folder")
    earlier = [p for split in SPLITS for p in sorted((out / split).glob("*.npz"))]
    if (index_path.exists() or earlier) and not force:
        raise OutputExistsError(index_path if index_path.exists() else earlier[0])
    songs = list({song.source.resolve(): song for song in find_songs(targets)}.values())  # each song once
    results = run_parallel(song_signals, [(song, roles) for song in songs], jobs=jobs, desc="features",
                           progress=progress)
    skipped = [r for r in results if isinstance(r, str)]
    kept = [(song, r) for song, r in zip(songs, results) if not isinstance(r, str)]
    if not kept:
        raise InputFileError(targets[0] if len(targets) == 1 else "features", "no song could be used: "
                             + "; ".join(skipped[:3]))
    splits = split_songs(len(kept), validation_share=validation_share, seed=seed)
    entries = []
    for (song, signals), name, split in zip(kept, unique_names([s for s, _ in kept]), splits):
        relative = f"{split}/{name}.{song.domain}.npz"
        (out / split).mkdir(parents=True, exist_ok=True)
        save_features(out / relative, signals, source=str(song.source), force=True)
        entries.append({"name": name, "source": str(song.source.resolve()), "domain": song.domain, "split": split,
                        "file": relative, "duration_s": round(signals.n_frames / signals.fps, 2)})
    document = {"songs": entries, "validation_share": validation_share, "seed": seed}
    with atomic_path(index_path, force=True) as tmp:
        tmp.write_text(json.dumps(document, indent=1) + "\n")
    written = {out / entry["file"] for entry in entries}
    for stale in earlier:  # an earlier run's songs, which `kickgen train --data` would still read
        if stale not in written:
            stale.unlink()
    return entries, skipped


def read_index(features: Path) -> list[dict]:
    """The entries of a features folder's index (`InputFileError` when it has none)."""
    path = features / SONGS_INDEX
    if not path.exists():
        raise InputFileError(features, f"has no {SONGS_INDEX} (make one with `kickgen features`)")
    return json.loads(path.read_text())["songs"]
