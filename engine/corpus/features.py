"""Feature files of a corpus, both signal domains of every song, by split:
`FEATURES/<split>/<song id>.midi.npz` and `.audio.npz`. Files newer than their song are
kept, so an interrupted extraction resumes where it stopped."""

from __future__ import annotations

from pathlib import Path

from kickgen.engine.corpus.manifest import STEM_SUFFIX, read_manifest
from kickgen.engine.signals.feature_files import save_features
from kickgen.engine.signals.frames import SongSignals
from kickgen.engine.signals.parts import GM_ROLES
from kickgen.engine.util.parallel import run_parallel

DOMAINS = ("midi", "audio")


def feature_path(features: Path, entry: dict, domain: str) -> Path:
    return features / entry["split"] / f"{entry['song_id']}.{domain}.npz"


def is_fresh(feature_file: Path, song_dir: Path) -> bool:
    """Whether `feature_file` exists and was written after the song (a rebuilt song's
    features are extracted again)."""
    return feature_file.exists() and feature_file.stat().st_mtime_ns >= (song_dir / "song.mid").stat().st_mtime_ns


def song_signals(song_dir: Path, domain: str) -> SongSignals:
    """One corpus song in `domain`: its MIDI parts, or its three audio stems."""
    if domain == "midi":
        from kickgen.engine.signals.midi import signals_from_midi

        return signals_from_midi(song_dir / "song.mid", roles=GM_ROLES)
    from kickgen.engine.signals.audio import signals_from_audio

    stem = {part: song_dir / f"{part}{STEM_SUFFIX}" for part in ("kick", "snare", "bass")}
    return signals_from_audio(snare=stem["snare"], bass=stem["bass"], kick=stem["kick"])


def extract_song_features(job: tuple[Path, Path, str]) -> Path:
    """Write one song's feature file: job is (song folder, feature file, domain)."""
    song_dir, out, domain = job
    save_features(out, song_signals(song_dir, domain), source=f"{song_dir.name} ({domain})", force=True)
    return out


def extract_corpus_features(corpus: Path, features: Path, *, jobs: int = 2, progress: bool = True) -> int:
    """Extract the missing feature files of `corpus` into `features`; returns how many
    were written. MIDI first (milliseconds a song), then audio (madmom: seconds)."""
    songs = read_manifest(corpus)["songs"]
    written = 0
    for domain in DOMAINS:
        todo = [
            (corpus / entry["path"], feature_path(features, entry, domain), domain)
            for entry in songs
            if not is_fresh(feature_path(features, entry, domain), corpus / entry["path"])
        ]
        written += len(run_parallel(extract_song_features, todo, jobs=jobs if domain == "audio" else 1,
                                    desc=f"{domain} features", progress=progress))
    return written
