"""Frozen config dataclasses to and from JSON objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from kickgen.engine.errors import InputFileError

T = TypeVar("T")


def from_json_object(cls: type[T], data: Any) -> T:
    """`cls(**data)` with JSON lists turned back into tuples; `TypeError` when `data` is
    not an object of `cls`'s fields (the dataclass's own checks may raise `ValueError`)."""
    if not isinstance(data, dict):
        raise TypeError(f"a {cls.__name__} is a JSON object of its fields")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def read_json_file(path: str | Path, *, what: str, missing: str = "no such file") -> Any:
    """The parsed JSON of `path`; `InputFileError` naming the file when it is missing
    (`missing`) or is not readable JSON ("not <what> (...)")."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputFileError(path, missing) from None
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"not {what} ({exc})") from None
    except RecursionError:
        raise InputFileError(path, f"not {what} (nested too deep)") from None
