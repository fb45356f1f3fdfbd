#!/usr/bin/env python3
"""The bridge under JACK (dummy driver, 44.1 kHz, period 128): timing error of the kicks
it sends, and its memory over a long session.

A private JACK server runs the bridge (shipped model, random style), jack_midi_clock
driven by jack_transport at --bpm, a clock-following player for the snare and bass,
and jack_midi_dump recording the clock and the kicks (tests/bridge/jack_session.py).
Timing error: each recorded kick's position, interpolated between the recorded clock
ticks, against the position the bridge targeted (its --log), in ms at the clock's
tempo: p50 / p99 of |error| (end to end: the bridge, rtmidi, the JACK graph and the
recorder). From the exit line of the bridge's log: its own sender error, |sent - due|
against the clock as it heard it, and its missed commit deadlines (kicks generated
after their time). Memory: the bridge's VmRSS read from /proc every 10 s.

Prints one JSON object. From the repository root:

    .venv/bin/python benchmarks/bridge_jack.py [--seconds 600] [--bpm 240]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "bridge"))
from jack_session import JackSession

TICKS_PER_BAR = 96  # 4/4


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--bpm", type=float, default=240.0, help="240 bpm: 600 bars in the default 10 minutes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with JackSession(Path(tmp), bridge_args=["--seed", "1"], bpm=args.bpm) as session:
            session.transport("locate 0")
            session.transport("play")
            samples = []
            started = time.monotonic()
            while time.monotonic() - started < args.seconds:
                time.sleep(10.0)
                samples.append((round(time.monotonic() - started), round(rss_mib(session.bridge.pid), 1)))
                print(f"{samples[-1][0]} s: bridge RSS {samples[-1][1]} MiB", file=sys.stderr, flush=True)
            session.transport("stop")
            time.sleep(1.0)
        # the bridge has exited: its log is complete
        positions, targets, events = session.kick_timing()
        tick_s = session.tick_seconds(events)
        exit_lines = [line for line in session.log.read_text().splitlines() if line.startswith("# exit:")]
    words = exit_lines[-1].split()[2:] if exit_lines else []  # "# exit: name value name value ..."
    exit_facts = dict(zip(words[::2], words[1::2]))
    bars = int(targets.max() // TICKS_PER_BAR) + 1 if len(targets) else 0
    nearest = targets[np.abs(positions[:, None] - targets[None, :]).argmin(axis=1)]
    error_ms = np.abs(positions - nearest) * tick_s * 1000
    late = np.flatnonzero(error_ms > 3.0)  # over the goal: when in the run, in bars
    rss = np.array([r for _, r in samples])
    half = len(rss) // 2
    print(json.dumps({
        "seconds": args.seconds, "bpm": args.bpm, "bars_with_kicks": bars,
        "kicks_recorded": len(positions), "kicks_sent": len(targets),
        "missed_deadlines": int(exit_facts["missed_deadlines"]) if exit_facts else None,
        "generations": int(exit_facts["generations"]) if exit_facts else None,
        "sender_error_ms": {"p50": float(exit_facts["send_error_ms_p50"]), "p99": float(exit_facts["send_error_ms_p99"])}
        if exit_facts else None,
        "timing_error_ms": {"p50": round(float(np.percentile(error_ms, 50)), 3),
                            "p99": round(float(np.percentile(error_ms, 99)), 3),
                            "max": round(float(error_ms.max()), 3),
                            "over_3ms": len(late),
                            "over_3ms_bars": sorted({int(nearest[i] // TICKS_PER_BAR) for i in late})},
        "rss_mib": {"first": float(rss[0]), "last": float(rss[-1]), "max": float(rss.max()),
                    "mean_first_half": round(float(rss[:half].mean()), 1) if half else None,
                    "mean_second_half": round(float(rss[half:].mean()), 1)},
        "rss_samples": samples,
    }, indent=1))


if __name__ == "__main__":
    main()
