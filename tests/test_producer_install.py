"""The producer's install (`make demo` builds it in .venv-producer from pyproject.toml's
base dependencies and the `plot` extra): it renders, saves and applies presets, samples
variations and runs the bridge with neither torch nor madmom, and a command that needs
one of them says in one line what to install."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCER_BIN = ROOT / ".venv-producer" / "bin"
SONG = ROOT / "examples" / "demo-song" / "song.mid"

pytestmark = pytest.mark.skipif(not (PRODUCER_BIN / "kickgen").exists(),
                                reason="no .venv-producer (make test builds it)")


def producer(*args: str, tool: str = "kickgen") -> subprocess.CompletedProcess:
    return subprocess.run([str(PRODUCER_BIN / tool), *args], capture_output=True, text=True, timeout=300)


def installed(module: str) -> bool:
    found = subprocess.run([str(PRODUCER_BIN / "python"), "-c", f"import importlib.util as u; print(bool(u.find_spec({module!r})))"],
                           capture_output=True, text=True, check=True)
    return found.stdout.strip() == "True"


def test_the_producer_install_has_no_torch():
    """(madmom comes only with `make audio`, which a producer may have run.)"""
    assert not installed("torch") and not installed("onnx")


def test_the_producers_commands_run_without_them(tmp_path):
    saved = producer("preset", "save", "--from", str(SONG), "--name", "mine", "--preset-dir", str(tmp_path))
    assert saved.returncode == 0, saved.stderr
    rendered = producer("render", str(SONG), "--preset", "mine", "--preset-dir", str(tmp_path),
                        "-o", str(tmp_path / "kick.mid"), "--wav", str(tmp_path / "kick.wav"),
                        "--plot", str(tmp_path / "kick.png"))
    assert rendered.returncode == 0, rendered.stderr
    assert all((tmp_path / name).stat().st_size > 0 for name in ("kick.mid", "kick.wav", "kick.png"))
    sampled = producer("sample", str(SONG), "-o", str(tmp_path / "variations"), "-n", "3")
    assert sampled.returncode == 0 and len(list((tmp_path / "variations").glob("*.mid"))) == 3, sampled.stderr
    bridge = producer("--help", tool="kickgen-bridge")
    assert bridge.returncode == 0 and "--preset" in bridge.stdout


@pytest.mark.parametrize(("args", "hint"), [
    (("train", "--data", "features", "--out", "run"), "pip install 'kickgen[train]'"),
    (("render", str(ROOT / "examples" / "demo-song"), "-o", "kick.mid"), "make audio"),
])
def test_a_command_that_needs_a_missing_part_says_what_to_install(tmp_path, args, hint):
    if hint == "make audio" and installed("madmom"):
        pytest.skip("`make audio` has put madmom into the producer's install")
    result = subprocess.run([str(PRODUCER_BIN / "kickgen"), *args], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and hint in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
