"""The one error root of kickgen and its specific subclasses.

The commands turn every `KickgenError` into a one-line message and exit code 2
(`run_command`).
"""

import signal
import sys
from collections.abc import Callable


class KickgenError(Exception):
    """Root of every error kickgen reports to a user."""


class InputFileError(KickgenError):
    """A user-supplied file is missing, unreadable or malformed."""

    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class MissingRoleError(InputFileError):
    """A song lacks the parts (snare, bass) that the model listens to."""


class CheckpointError(InputFileError):
    """A training checkpoint cannot be used."""


class TrainingSetupError(KickgenError):
    """A training run cannot start as asked (device, batch split, data without kicks)."""


class OutputExistsError(KickgenError):
    """An output would overwrite an existing file without `--force`."""

    def __init__(self, path):
        super().__init__(f"{path}: already exists (use --force to overwrite)")
        self.path = path


class Terminated(Exception):
    """SIGTERM arrived: raised in the main thread, so that every `finally` (temporary
    files, sounding notes) runs before the command exits."""


def _terminate(signum, frame):
    raise Terminated


# What each optional package is for and how to get it (the base install has none of them).
INSTALL_HINTS = {
    "torch": "training and export need torch: pip install 'kickgen[train]' (`make test` installs it)",
    "onnx": "export needs onnx: pip install 'kickgen[train]'",
    "madmom": "audio stems need madmom for their beat grid (or give --bpm, or --grid-from a MIDI file): "
              "`make audio`, or pip install cython numpy && pip install --no-build-isolation madmom==0.16.1",
    "matplotlib": "plots need matplotlib: pip install 'kickgen[plot]'",
}


def missing_package_hint(name: str | None) -> str:
    """One line: what needs the missing package `name` and how to install it."""
    top = (name or "").split(".")[0]
    return INSTALL_HINTS.get(top, f"the package {top!r} is not installed: pip install {top}")


def run_command(prog: str, action: Callable[[], None]) -> int:
    """Run a command's `action`; returns its exit code.

    A `KickgenError`, or a missing optional package (`INSTALL_HINTS` says which install
    brings it), becomes one line on stderr and exit code 2. Ctrl-C and SIGTERM end
    it with one line and exit code 130 or 143, after its clean-up (no temporary file is
    left).
    """
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        action()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"{prog}: terminated", file=sys.stderr)
        return 143
    except KickgenError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        print(f"{prog}: error: {missing_package_hint(exc.name)}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
