"""Where presets live: the user's preset folder (platformdirs' user data folder, or
`--preset-dir`) and the factory presets shipped in `kickgen.presets`. A preset is asked
for by name or by the path of its .json file."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from kickgen.engine.errors import InputFileError
from kickgen.engine.producer.preset_format import (
    PRESET_SUFFIX,
    Preset,
    PresetError,
    load_preset,
    preset_file_name,
)

FACTORY_PACKAGE = "kickgen.presets"


@dataclass(frozen=True)
class StoredPreset:
    preset: Preset
    path: Path
    origin: str  # "user", "factory" or "file"


def user_preset_dir() -> Path:
    return Path(platformdirs.user_data_dir("kickgen", appauthor=False)) / "presets"


def factory_presets() -> list[StoredPreset]:
    found = []
    for entry in sorted(importlib.resources.files(FACTORY_PACKAGE).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(PRESET_SUFFIX):
            with importlib.resources.as_file(entry) as path:
                found.append(StoredPreset(load_preset(path), Path(path), "factory"))
    return found


def user_presets(directory: Path) -> list[StoredPreset]:
    if not directory.is_dir():
        return []
    return [StoredPreset(load_preset(p), p, "user") for p in sorted(directory.glob(f"*{PRESET_SUFFIX}"))]


def all_presets(directory: Path) -> list[StoredPreset]:
    """The user's presets, then the factory ones."""
    return user_presets(directory) + factory_presets()


def find_preset(name_or_path: str, directory: Path) -> StoredPreset:
    """A preset by path (anything ending in .json or holding a separator), else by name
    among the user's and then the factory presets (name or file name)."""
    if name_or_path.endswith(PRESET_SUFFIX) or "/" in name_or_path or "\\" in name_or_path:
        path = Path(name_or_path)
        return StoredPreset(load_preset(path), path, "file")
    for stored in all_presets(directory):
        if name_or_path in (stored.preset.name, stored.path.stem):
            return stored
    names = ", ".join(sorted({s.preset.name for s in all_presets(directory)})) or "none"
    raise PresetError(f"{name_or_path!r}: no such preset (known: {names})")


def user_preset_path(name: str, directory: Path) -> Path:
    path = directory / preset_file_name(name)
    if directory.exists() and not directory.is_dir():
        raise InputFileError(directory, "is not a folder")
    return path
