#!/usr/bin/env python3
"""The bridge with Ardour 7 as the DAW: consecutive takes, each kick measured three ways.

Ardour (headless, tests/bridge/ardour_session.py) is the MIDI clock master at 120 bpm,
plays the example song's snare and bass from a MIDI track and records the bridge's
kicks (--quantize 1/16, so every kick belongs on a sixteenth) while its transport goes
through the scenarios in turn: start from bar 1, stop and continue, locate while
stopped, locate while playing, a loop range, a tempo change. Per take:
- region: Ardour's recording, each kick's distance to the sixteenths of Ardour's tempo
  map (ms, p50 / p99 of |distance|);
- stream: the kicks as they passed on the JACK graph (jack_midi_dump's frame stamps),
  against the sixteenths of Ardour's clock as sent (p50 / p99);
- shift: the clock tick each kick passed at less the tick the bridge's log meant it for
  (max |shift| in ticks: 1 is a whole-tick shift, 20.8 ms at 120 bpm);
- ended: every kick ended by its note-off or by All Notes Off.
Studio starts that failed (Ardour 7.3 now and then breaks jackd2 1.9.21's request
stream while it starts, see ArdourStudio) are counted and retried.

Run with nothing else loading the CPU (the dummy driver is not real-time). From the
repository root:

    .venv/bin/python benchmarks/bridge_ardour.py [--takes 20] [--bars 8] [--scenarios loop ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "bridge"))
from ardour_session import SCENARIOS, ArdourStudio

START_ATTEMPTS = 3


def percentiles(values: np.ndarray) -> str:
    if not len(values):
        return f"{'-':>6} {'-':>6}"
    magnitude = np.abs(values)
    return f"{np.percentile(magnitude, 50):6.1f} {np.percentile(magnitude, 99):6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=20)
    parser.add_argument("--bars", type=int, default=8, help="bars a take plays")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=SCENARIOS, help="taken in turn")
    parser.add_argument("--keep", type=Path, help="keep the logs, the recording and the session in this folder")
    parser.add_argument("--realtime", action="store_true", help="run the JACK graph at real-time priority (jackd -R)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or scratch
        failed_starts = 0
        for attempt in range(START_ATTEMPTS):
            try:
                with ArdourStudio(Path(tmp) / f"studio{attempt}", bars=args.bars, realtime=args.realtime) as studio:
                    takes = [studio.take(args.scenarios[i % len(args.scenarios)]) for i in range(args.takes)]
                break
            except RuntimeError as error:
                failed_starts += 1
                print(f"studio start {attempt + 1} failed: {error}", file=sys.stderr)
        else:
            raise SystemExit("no studio started")
    print(f"{'take':>4} {'scenario':<15} {'kicks':>5} {'region p50':>10} {'p99':>6} {'stream p50':>10} {'p99':>6} "
          f"{'max shift':>9} {'ended':>5}")
    for i, take in enumerate(takes, 1):
        shift = np.abs(take.tick_shift).max() if len(take.tick_shift) else float("nan")
        print(f"{i:4d} {take.scenario:<15} {len(take.region_kicks):5d} {percentiles(take.region_off_ms):>17} "
              f"{percentiles(take.stream_off_ms):>17} {shift:9.2f} {take.all_ended!s:>5}")
    region = np.concatenate([t.region_off_ms for t in takes])
    stream = np.concatenate([t.stream_off_ms for t in takes])
    shifted = sum(1 for t in takes if len(t.tick_shift) and np.abs(t.tick_shift).max() >= 0.5)
    print(f"all {len(takes)} takes: region |ms| p50 / p99 {percentiles(region).split()[0]} / "
          f"{percentiles(region).split()[1]} over {len(region)} kicks; stream {percentiles(stream).split()[0]} / "
          f"{percentiles(stream).split()[1]} over {len(stream)}; takes with a whole-tick shift {shifted}; "
          f"takes with a hanging note {sum(1 for t in takes if not t.all_ended)}; failed studio starts "
          f"{failed_starts}")


if __name__ == "__main__":
    main()
