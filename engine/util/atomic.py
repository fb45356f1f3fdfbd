"""Atomic file writes that never clobber a user's file without being asked."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kickgen.engine.errors import InputFileError, OutputExistsError


def creation_mode(*, directory: bool = False) -> int:
    """The mode a new file (0o644 usually) or folder (0o755) gets under the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


NOT_A_FILE = ("is not a regular file (a folder, device or pipe); kickgen writes only regular files, "
              "never over anything else")


@contextlib.contextmanager
def atomic_path(path: str | Path, *, force: bool = False, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one step.

    Raises `OutputExistsError` when `path` exists and `force` is false. The new file
    gets the mode of the file it replaces (or the umask's), is flushed to disk before
    the rename, and on an error is removed, leaving `path` as it was. `suffix` keeps an
    extension that a writer insists on (numpy's `.npz`).
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise InputFileError(path, NOT_A_FILE)
    if path.exists() and not force:
        raise OutputExistsError(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    except (FileExistsError, NotADirectoryError):
        raise InputFileError(path.parent, "is not a folder") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be written ({exc.strerror})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else creation_mode())
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_outputs(paths: list[Path], *, force: bool = False) -> Iterator[dict[Path, Path]]:
    """All of a command's outputs or none: yields a temporary path beside each of `paths`
    (write each with `force=True`); only when the block succeeds do they replace their
    paths, one after another. On an error (or Ctrl-C) every temporary file is removed and
    no output is touched. The same checks as `atomic_path` apply to each path first."""
    with contextlib.ExitStack() as stack:
        temporary = {Path(path): stack.enter_context(_staged(Path(path), force=force)) for path in paths}
        yield temporary


@contextlib.contextmanager
def _staged(path: Path, *, force: bool) -> Iterator[Path]:
    """`atomic_path` for one of several outputs: the temporary file is what the caller
    writes to (by its own atomic writer); it replaces `path` when the whole block succeeds."""
    with atomic_path(path, force=force) as tmp:
        yield tmp
