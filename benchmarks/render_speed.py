#!/usr/bin/env python3
"""The producer's commands on a 4-minute song, each run as its own process, side by side
with the same commands on a reference commit (default: the code before issue 23's work)
in the same run: `kickgen render` from MIDI, `kickgen preset save` from MIDI, `kickgen
sample -n 20`, `kickgen-bridge --help` and `kickgen render` from audio stems.

Per command and tree: wall time (median of --repeats runs, time.perf_counter around the
process, the two trees taking turns) and the process's peak RSS (ru_maxrss from os.wait4);
then current / reference as ratios. The MIDI commands run in the producer's install
(.venv-producer: no torch, no madmom; `make demo` builds it), the audio render in .venv
(madmom). The reference tree is a `git worktree` of --reference, imported through a
PYTHONPATH shim ahead of the editable install.

The song is the example song's composition extended to --bars bars at 100 bpm
(examples/make_demo_song.py), its snare and bass rendered with FluidSynth. Uses the shipped
model. Prints one JSON object; progress goes to stderr. Run with nothing else loading the
CPU; from the repository root:

    .venv/bin/python benchmarks/render_speed.py [--bars 100] [--repeats 5] [--reference REV] [--commands NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCER_PYTHON = ROOT / ".venv-producer" / "bin" / "python"
FULL_PYTHON = ROOT / ".venv" / "bin" / "python"
BEFORE_ISSUE_23 = "d37d2aa"  # the last commit before the producer install and its speed work
BRIDGE_MAIN = "import sys; from kickgen.bridge.cli import main; sys.exit(main())"  # `kickgen-bridge`
COMMANDS = ("render_midi", "preset_save", "sample_20", "bridge_help", "render_audio")
PACKAGES = ("engine", "bridge", "export", "presets", "models")  # kickgen.<name> -> <name>/ (pyproject)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_process(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one command."""
    with tempfile.TemporaryFile() as errors:  # (a pipe left unread would stall a chatty child)
        started = time.perf_counter()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(args)} failed: {errors.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def reference_tree(revision: str, scratch: Path) -> dict[str, str]:
    """A worktree of `revision` and the environment that imports kickgen from it."""
    tree, shim = scratch / "reference", scratch / "shim" / "kickgen"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
                   check=True, capture_output=True)
    shim.mkdir(parents=True)
    for name in PACKAGES:
        (shim / name).symlink_to(tree / name)
    return {**os.environ, "PYTHONPATH": str(shim.parent)}


def compare(name: str, args: list[str], python: Path, trees: dict[str, dict[str, str]], repeats: int) -> dict:
    runs: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
    for i in range(repeats):
        for tree in (list(trees) if i % 2 == 0 else list(trees)[::-1]):  # taking turns going first
            runs[tree].append(run_process([str(python), *args], trees[tree]))
            log(f"{name} [{tree}] run {i + 1}: {runs[tree][-1][0]:.2f} s, {runs[tree][-1][1]:.0f} MiB")
    result = {tree: {"wall_s_median": round(statistics.median(r[0] for r in rs), 3),
                     "peak_rss_mib": round(max(r[1] for r in rs), 1)} for tree, rs in runs.items()}
    result["current_over_reference"] = {
        key: round(result["current"][key] / result["reference"][key], 3) for key in ("wall_s_median", "peak_rss_mib")}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference", default=BEFORE_ISSUE_23, help="commit to compare with")
    parser.add_argument("--commands", nargs="+", choices=COMMANDS, default=COMMANDS, help="which commands to time")
    args = parser.parse_args()
    if not PRODUCER_PYTHON.exists():
        raise SystemExit(f"{PRODUCER_PYTHON} is missing: `make demo` builds the producer's install")
    sys.path.insert(0, str(ROOT / "examples"))
    from make_demo_song import BPM, write_song

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        song, out = scratch / "song", scratch / "out"
        log(f"writing a {args.bars}-bar song ...")
        write_song(song, bars=args.bars)
        trees = {"current": dict(os.environ), "reference": reference_tree(args.reference, scratch)}
        cli = ["-m", "kickgen.engine.cli"]
        try:
            result = {"song_s": args.bars * 4 * 60 / BPM, "bars": args.bars, "repeats": args.repeats,
                      "reference": args.reference}
            commands = {
                "render_midi": (PRODUCER_PYTHON, [*cli, "render", str(song / "song.mid"), "-o", str(out / "a.mid"),
                                                  "--force"]),
                "preset_save": (PRODUCER_PYTHON, [*cli, "preset", "save", "--from", str(song / "song.mid"),
                                                  "--name", "bench", "--preset-dir", str(out), "--force"]),
                "sample_20": (PRODUCER_PYTHON, [*cli, "sample", str(song / "song.mid"), "-o", str(out / "variations"),
                                                "-n", "20", "--force"]),
                "bridge_help": (PRODUCER_PYTHON, ["-c", BRIDGE_MAIN, "--help"]),
                "render_audio": (FULL_PYTHON, [*cli, "render", str(song), "-o", str(out / "b.mid"), "--force"]),
            }
            for name in args.commands:
                python, command = commands[name]
                result[name] = compare(name, command, python, trees, args.repeats)
            for tree in trees if "render_audio" in result else ():
                result["render_audio"][tree]["times_real_time"] = round(
                    result["song_s"] / result["render_audio"][tree]["wall_s_median"], 1)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(scratch / "reference")],
                           capture_output=True)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
