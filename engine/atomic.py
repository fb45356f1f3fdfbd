"""Atomic file writes that never clobber a user's file without being asked."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kickgen.engine.errors import OutputExistsError


@contextlib.contextmanager
def atomic_path(path: str | Path, *, force: bool = False, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step.

    Raises `OutputExistsError` when `path` exists and `force` is false. On an error the
    temporary file is removed and `path` is left as it was. `suffix` keeps an extension
    that a writer insists on (numpy's `.npz`).
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
