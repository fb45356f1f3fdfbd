"""What many test files share: the `kickgen` command run as a producer runs it, Python in
a fresh interpreter, the assertion that an error is one line with exit code 2, and a tiny
trained model (its checkpoint and its exported bundle), and commands a test interrupts."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SONG = ROOT / "examples" / "demo-song"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' helper modules (song_bytes)


@pytest.fixture(scope="session")
def example_song() -> Path:
    """The example song's folder: song.mid (kick, snare, bass), snare.flac, bass.flac."""
    return EXAMPLE_SONG


@pytest.fixture(scope="session")
def kickgen():
    """`kickgen ARGS...` in a fresh interpreter; returns the CompletedProcess (text)."""

    def run(*args, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kickgen.engine.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=300, **kwargs)

    return run


@pytest.fixture(scope="session")
def fresh_python():
    """Run Python `code` in a fresh interpreter; returns the CompletedProcess (text)."""

    def run(code: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, **kwargs)

    return run


@pytest.fixture
def interruptible():
    """Popen(ARGS, **kwargs) for a command the test will interrupt: Ctrl-C reaches it as in a
    terminal, and whatever still runs when the test ends is killed, not left on the CPU.
    (Tests run in the background, `cmd &`, start with SIGINT ignored, which a child inherits,
    and Python then never turns Ctrl-C into KeyboardInterrupt; a handled SIGINT is reset to
    its default in the child.)"""
    started: list[subprocess.Popen] = []

    def start(args: list[str], **kwargs) -> subprocess.Popen:
        ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        if ignored:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            started.append(subprocess.Popen(args, **kwargs))
        finally:
            if ignored:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def one_line_error():
    """Assert that a command failed as a user is promised: exit 2, one line on stderr,
    no traceback, naming each of `needles`."""

    def check(result: subprocess.CompletedProcess, *needles: str) -> None:
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
        for needle in needles:
            assert needle in result.stderr, result.stderr

    return check


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny CGAE trained for 3 epochs on 8 generated songs: its checkpoint.pt."""
    from kickgen.engine.corpus.synthetic import generate_songs
    from kickgen.engine.model.checkpoint import CHECKPOINT_NAME
    from kickgen.engine.model.demo import quick_train

    run = tmp_path_factory.mktemp("run")
    quick_train([s.signals for s in generate_songs(8, seed=1)], out_dir=run, epochs=3, progress=False)
    return run / CHECKPOINT_NAME


@pytest.fixture(scope="session")
def tiny_bundle(tiny_checkpoint, tmp_path_factory) -> Path:
    """The tiny checkpoint exported to a model bundle folder."""
    from kickgen.export.onnx_export import export_checkpoint

    out = tmp_path_factory.mktemp("bundles") / "tiny"
    export_checkpoint(tiny_checkpoint, out)
    return out
