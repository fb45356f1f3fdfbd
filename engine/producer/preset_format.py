"""Style presets (DESIGN §4): a named style code tied to one model bundle, with where it
came from and how it was found. JSON, versioned, written atomically.

The code is K numbers (one code, held: a sampled style) or, from format 2, BAR_STEPS
lists of K numbers (a bar of codes, one per sixteenth, fitted to a reference song)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from kickgen.engine import __version__
from kickgen.engine.errors import InputFileError, KickgenError
from kickgen.engine.runtime.bundle_files import file_sha256
from kickgen.engine.runtime.style import BAR_STEPS, StyleEstimate
from kickgen.engine.util.atomic import atomic_path
from kickgen.engine.util.json_files import read_json_file

PRESET_FORMAT = 2
READABLE_FORMATS = (1, 2)  # format 1: held codes only
PRESET_SUFFIX = ".json"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.+-]{0,63}$")


class PresetError(KickgenError):
    """A preset name is invalid, or a preset does not fit the model in use."""


@dataclass(frozen=True)
class Preset:
    """name; code: K floats, or BAR_STEPS tuples of K floats (one per bar step); model_id: the id of the bundle the code belongs to;
    source: {"file", "sha256", "duration_s"} of the reference song; clustering: {"k",
    "davies_bouldin", "share"} of its code path, and "fit" {"method", "evaluations", "mse_start", "mse_end"}
    when the code was fitted to its kicks (or None for a sampled code); created: ISO time (UTC)."""

    name: str
    code: tuple[float, ...] | tuple[tuple[float, ...], ...]
    model_id: str
    source: dict
    clustering: dict | None
    description: str = ""
    created: str = ""
    kickgen_version: str = __version__
    format_version: int = PRESET_FORMAT

    def to_json(self) -> dict:
        return {**asdict(self), "code": np.asarray(self.code, dtype=np.float64).round(6).tolist()}

    @property
    def code_array(self) -> np.ndarray:
        """The style code as the runtime takes it: (K,) held, or (K, BAR_STEPS)."""
        return np.asarray(self.code, dtype=np.float32).T


def check_name(name: str) -> str:
    """A preset name: letters, digits, space, `_ . + -`, at most 64, no path separators."""
    if not NAME_PATTERN.match(name) or name.endswith(PRESET_SUFFIX):
        raise PresetError(f"{name!r} is not a preset name (letters, digits, spaces and _ . + -; "
                          "no path separators; at most 64 characters)")
    return name


def preset_file_name(name: str) -> str:
    """The file a preset is stored in: its checked name, spaces as dashes, .json."""
    return f"{check_name(name).replace(' ', '-')}{PRESET_SUFFIX}"


def preset_from_style(
    name: str, style: StyleEstimate, *, model_id: str, source_file: Path, duration_s: float,
    description: str = "", source_name: str | None = None,
) -> Preset:
    """A preset from a reference song's style estimate; `source_name` (default: the
    file's name) is how the song is named in the preset."""
    return new_preset(
        name, style.code, model_id=model_id, source_file=source_file, source_name=source_name,
        duration_s=duration_s, description=description,
        clustering={"k": style.k, "davies_bouldin": round(style.davies_bouldin, 4), "share": round(style.share, 4),
                    **({"fit": style.fit} if style.fit else {})},
    )


def new_preset(
    name: str, code: np.ndarray, *, model_id: str, source_file: Path, duration_s: float,
    clustering: dict | None = None, description: str = "", source_name: str | None = None,
) -> Preset:
    """A preset of a style code, (K,) or (K, BAR_STEPS), found in `source_file` (a
    reference song, or the codes.json of `kickgen sample`), stamped with the time it is
    made. `clustering` is None for a sampled code."""
    return Preset(
        name=check_name(name),
        code=code_tuple(np.asarray(code).T),
        model_id=model_id,
        source={"file": source_name or source_file.name, "sha256": file_sha256(source_file),
                "duration_s": round(duration_s, 3)},
        clustering=clustering,
        description=description,
        created=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    )


def code_tuple(values) -> tuple[float, ...] | tuple[tuple[float, ...], ...]:
    """A preset's code as stored: K floats, or a tuple per bar step of K floats."""
    return tuple(code_tuple(v) if np.ndim(v) else float(v) for v in values)


def save_preset(preset: Preset, path: Path, *, force: bool = False) -> None:
    with atomic_path(path, force=force) as tmp:
        tmp.write_text(json.dumps(preset.to_json(), indent=1) + "\n")


def load_preset(path: Path) -> Preset:
    """Read a preset file; `InputFileError` names the file and the problem."""
    data = read_json_file(path, what="a kickgen preset", missing="no such preset file")
    if not isinstance(data, dict) or data.get("format_version") not in READABLE_FORMATS:
        version = data.get("format_version") if isinstance(data, dict) else None
        raise InputFileError(path, f"preset format {version!r}; this kickgen reads formats "
                                   f"{' and '.join(map(str, READABLE_FORMATS))}")
    problem = field_problem(data)
    if problem:
        raise InputFileError(path, f"not a kickgen preset ({problem})")
    try:
        preset = Preset(**{**data, "code": code_tuple(data["code"])})
    except (TypeError, KeyError, ValueError) as exc:
        raise InputFileError(path, f"not a kickgen preset ({exc})") from None
    if not np.isfinite(preset.code_array).all():
        raise InputFileError(path, "its code holds values that are not finite numbers")
    return preset


FIELD_TYPES = {"name": str, "code": list, "model_id": str, "source": dict, "clustering": (dict, type(None)),
               "description": str, "created": str, "kickgen_version": str}


def field_problem(data: dict) -> str:
    """What is wrong with a preset's fields, field by field ("" when nothing is): each of
    the right JSON type, the code a list of numbers (not a string of digits) or, from
    format 2, BAR_STEPS lists of as many numbers."""
    for name, kind in FIELD_TYPES.items():
        if name in data and not isinstance(data[name], kind):
            return f"{name} is {type(data[name]).__name__}, not {getattr(kind, '__name__', 'an object or null')}"
    code = data.get("code", [])
    if code and all(isinstance(step, list) for step in code) and data.get("format_version", 1) > 1:
        if len(code) != BAR_STEPS or len({len(step) for step in code}) != 1:
            return f"a bar of codes must be {BAR_STEPS} lists of one length"
        code = [c for step in code for c in step]
    if not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in code):
        return "code must be a list of numbers"
    return ""


def check_model(preset: Preset, model_id: str, *, origin: str, code_size: int | None = None) -> None:
    """Refuse a preset made for another model, naming both ids, or whose code is not of
    the model's `code_size`."""
    if code_size is not None and len(preset.code_array) != code_size:
        raise PresetError(f"{origin}: preset {preset.name!r} has a {len(preset.code_array)}-dim code; the model in use "
                          f"takes {code_size}")
    if preset.model_id != model_id:
        raise PresetError(f"{origin}: preset {preset.name!r} was made for model {preset.model_id[:12]}, "
                          f"but the model in use is {model_id[:12]} (save it again from its song)")
