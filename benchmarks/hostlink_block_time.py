#!/usr/bin/env python3
"""What the host link's plugin costs the audio thread: its worst run() time against the
period, under jalv and a JACK dummy server (period 128 at 44.1 kHz, 2.9 ms), with the real
bridge answering, while the transport plays the example song through play, stop, locates
and a loop.

The plugin times every real-time run() itself (CLOCK_MONOTONIC, a vDSO call) and reports
the longest on its `worst_run_us` output port, which jalv -p prints. Prints one JSON object.
Run with nothing else loading the CPU; from the repository root, after `make hostlink`:

    .venv/bin/python benchmarks/hostlink_block_time.py [--seconds 30] [--realtime]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "hostlink"))
sys.path.insert(0, str(ROOT / "tests" / "bridge"))
from test_lv2_plugin import BPM, BUILD, RATE, PluginStudio

PERIOD_FRAMES = 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the transport plays in all")
    parser.add_argument("--realtime", action="store_true", help="run the JACK graph at real-time priority (jackd -R)")
    args = parser.parse_args()
    if not (BUILD / "lv2" / "kickgen-hostlink.lv2" / "kickgen-hostlink.so").exists():
        raise SystemExit("build the plugin first: make hostlink")
    bar = round(4 * 60 / BPM * RATE)
    part = args.seconds / 4
    with tempfile.TemporaryDirectory() as tmp:
        studio = PluginStudio(Path(tmp), BUILD, loop=(8 * bar, 10 * bar), realtime=args.realtime)
        with studio:
            for command, seconds in ((("start",), part), (("stop",), 0.5), (("locate", str(2 * bar)), 0.5),
                                     (("start",), part), (("locate", str(7 * bar)), 2 * part), (("stop",), 1.0)):
                studio.transport(*command)
                time.sleep(seconds)
            outputs = studio.monitors()
        heard = sum(1 for line in studio.heard.read_text().splitlines() if " 99 " in line)
    if "worst_run_us" not in outputs:
        raise SystemExit(f"jalv printed no worst_run_us: {outputs}")
    worst, period_us = outputs["worst_run_us"], PERIOD_FRAMES / RATE * 1e6
    print(json.dumps({"seconds": args.seconds, "realtime": args.realtime, "kicks_played": heard, "late": outputs.get("late"),
                      "period_us": round(period_us, 1), "worst_run_us": round(worst, 1),
                      "worst_share_of_period": round(worst / period_us, 4)}, indent=1))


if __name__ == "__main__":
    main()
