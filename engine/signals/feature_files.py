"""Feature files: one song's `SongSignals` as an uncompressed `.npz` (no pickles).

Keys: context (4, T) float32, kick (1, T) float32 or (0, T) when absent, beat_times_s,
downbeat_times_s (n,) float64, fps () float64, silent_channels (k,) str, source () str.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from kickgen.engine.errors import InputFileError
from kickgen.engine.signals.frames import CONTEXT_CHANNELS, SongSignals
from kickgen.engine.util.atomic import atomic_path

FEATURE_SUFFIX = ".npz"


def save_features(path: str | Path, song: SongSignals, *, source: str = "", force: bool = False) -> None:
    """Write `song` to `path` atomically."""
    kick = song.kick if song.kick is not None else np.zeros((0, song.n_frames), np.float32)
    with atomic_path(path, force=force, suffix=FEATURE_SUFFIX) as tmp:
        np.savez(
            tmp,
            context=song.context,
            kick=kick,
            beat_times_s=song.beat_times_s,
            downbeat_times_s=song.downbeat_times_s,
            fps=np.float64(song.fps),
            silent_channels=np.array(song.silent_channels, dtype=str),
            source=np.array(source),
        )


def load_features(path: str | Path) -> SongSignals:
    """Read a feature file; raises `InputFileError` naming it when it is not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            context, kick = data["context"], data["kick"]
            song = SongSignals(
                context=context.astype(np.float32),
                kick=kick.astype(np.float32) if kick.shape[0] else None,
                beat_times_s=data["beat_times_s"],
                downbeat_times_s=data["downbeat_times_s"],
                fps=float(data["fps"]),
                silent_channels=tuple(str(s) for s in data["silent_channels"]),
            )
    except FileNotFoundError:
        raise InputFileError(path, "no such file") from None
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise InputFileError(path, f"not a kickgen feature file ({exc})") from None
    if context.ndim != 2 or context.shape[0] != len(CONTEXT_CHANNELS):
        raise InputFileError(path, f"context has shape {context.shape}, expected (4, T)")
    if kick.shape[0] and kick.shape != (1, context.shape[1]):
        raise InputFileError(path, f"kick has shape {kick.shape}, expected (1, {context.shape[1]})")
    return song


def feature_files(directory: str | Path) -> list[Path]:
    """Sorted feature files in `directory`; raises `InputFileError` when there are none."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputFileError(directory, "no such directory")
    files = sorted(directory.glob(f"*{FEATURE_SUFFIX}"))
    if not files:
        raise InputFileError(directory, f"holds no feature files (*{FEATURE_SUFFIX})")
    return files
