"""The one error root of kickgen and its specific subclasses.

The commands turn every `KickgenError` into a one-line message and exit code 2
(`run_command`).
"""

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


def run_command(prog: str, action: Callable[[], None]) -> int:
    """Run a command's `action`; returns its exit code.

    A `KickgenError`, or a missing optional package (torch and onnx come with the
    `train` extra), becomes one line on stderr and exit code 2.
    """
    try:
        action()
    except KickgenError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        print(f"{prog}: error: the package {exc.name!r} is not installed (training and export need "
              "kickgen's 'train' extra)", file=sys.stderr)
        return 2
    return 0
