"""The one error root of kickgen and its specific subclasses.

The CLI turns every `KickgenError` into a one-line message and exit code 2.
"""


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


class OutputExistsError(KickgenError):
    """An output would overwrite an existing file without `--force`."""

    def __init__(self, path):
        super().__init__(f"{path}: already exists (use --force to overwrite)")
        self.path = path
