#!/usr/bin/env python3
"""End-to-end cost of the producer's commands on a 4-minute song, each run as its own
process (`kickgen render` from MIDI, `kickgen render` from audio stems, `kickgen sample
-n 20`): wall time (median of --repeats runs, time.perf_counter around the process) and
the process's peak RSS (ru_maxrss of that child from os.wait4; this parent imports
nothing heavy, so the child does not inherit a large peak).

The song is the example song's composition extended to --bars bars at 100 bpm
(examples/make_demo_song.py), its snare and bass rendered with FluidSynth. madmom's
share of the audio render is measured in-process on the same stems. Uses the shipped
model. Prints one JSON object; progress goes to stderr. From the repository root:

    .venv/bin/python benchmarks/render_speed.py [--bars 100] [--repeats 3]
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
KICKGEN = [sys.executable, "-m", "kickgen.engine.cli"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_process(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one command."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed: {child.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def measure(name: str, args: list[str], repeats: int) -> dict:
    runs = []
    for i in range(repeats):
        runs.append(run_process(args))
        log(f"{name} run {i + 1}: {runs[-1][0]:.2f} s, {runs[-1][1]:.0f} MiB")
    return {"wall_s_median": round(statistics.median(r[0] for r in runs), 3),
            "wall_s_runs": [round(r[0], 3) for r in runs],
            "peak_rss_mib": round(max(r[1] for r in runs), 1)}


def madmom_seconds(song: Path) -> float:
    """In-process: madmom's downbeat activations + tracking on the snare+bass sum."""
    code = ("import time; from kickgen.engine.signals.audio import load_audio, track_beats; "
            f"a = load_audio('{song}/snare.flac') + load_audio('{song}/bass.flac'); "
            "track_beats(a[:44100]); t = time.perf_counter(); track_beats(a); print(time.perf_counter() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "examples"))
    from make_demo_song import BPM, write_song

    with tempfile.TemporaryDirectory() as tmp:
        song, out = Path(tmp) / "song", Path(tmp) / "out"
        log(f"writing a {args.bars}-bar song ...")
        write_song(song, bars=args.bars)
        duration_s = args.bars * 4 * 60 / BPM
        result = {"song_s": duration_s, "bars": args.bars, "repeats": args.repeats}
        result["render_midi"] = measure("render (MIDI)", [*KICKGEN, "render", str(song / "song.mid"), "-o",
                                                          str(out / "a.mid"), "--force"], args.repeats)
        result["render_audio"] = measure("render (audio)", [*KICKGEN, "render", str(song), "-o", str(out / "b.mid"),
                                                            "--force"], args.repeats)
        result["render_audio"]["times_real_time"] = round(duration_s / result["render_audio"]["wall_s_median"], 1)
        madmom_s = madmom_seconds(song)
        result["render_audio"]["madmom_s"] = round(madmom_s, 3)
        result["render_audio"]["madmom_share"] = round(madmom_s / result["render_audio"]["wall_s_median"], 3)
        result["sample_20"] = measure("sample -n 20", [*KICKGEN, "sample", str(song / "song.mid"), "-o",
                                                       str(out / "variations"), "-n", "20", "--force"], args.repeats)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
