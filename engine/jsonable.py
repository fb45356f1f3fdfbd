"""Frozen config dataclasses to and from JSON objects."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def from_json_object(cls: type[T], data: Any) -> T:
    """`cls(**data)` with JSON lists turned back into tuples; `TypeError` when `data` is
    not an object of `cls`'s fields (the dataclass's own checks may raise `ValueError`)."""
    if not isinstance(data, dict):
        raise TypeError(f"a {cls.__name__} is a JSON object of its fields")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
