#!/usr/bin/env python3
"""Bridge generation cost: how long the decoder step takes per bar with the default
window (8 bars), at 120 and 240 bpm, on the shipped model; and whether any commit
deadline is missed over --bars bars at 240 bpm.

(a) Per-bar time: the example song's snare and bass are looped to --bars bars and
played through `BridgeCore` in simulated time; every generation request is timed with
time.perf_counter around `KickGenerator` (one onnxruntime thread): p50 / p99 / max.
(b) Deadlines: the same run answers each request after the time its generation really
took (the generator thread's delay), so a kick committed after its time is counted as a
missed deadline by the core.

Prints one JSON object. From the repository root:

    .venv/bin/python benchmarks/bridge_generation.py [--bars 500]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from kickgen.bridge.clock import Meter
from kickgen.bridge.core import BridgeCore, BridgeSettings
from kickgen.bridge.generator import ContextSong, KickGenerator
from kickgen.bridge.simulate import Timeline
from kickgen.engine.runtime.bundle import ModelBundle

SONG = Path(__file__).resolve().parent.parent / "examples" / "demo-song" / "song.mid"


def looped_notes(bars: int) -> list[tuple[float, tuple[int, ...]]]:
    context = ContextSong.load(SONG, Meter())
    song_bars = max(context.notes) + 1
    notes = []
    for bar in range(bars):
        for note in context.notes.get(bar % song_bars, []):
            status, pitch = (0x99, 38) if note.role == "snare" else (0x91, 45)
            notes.append((bar * 96 + note.tick, (status, pitch, max(1, round(note.velocity * 127)))))
    return notes


def run_at(bundle: ModelBundle, bpm: float, bars: int) -> dict:
    code = np.random.default_rng(0).standard_normal(bundle.info.code_size).astype(np.float32)
    core = BridgeCore(BridgeSettings(), [("style", code)])
    generator = KickGenerator(bundle)
    timeline = Timeline()
    timeline.play(start_s=0.0, ticks=bars * 96, bpm=bpm, notes=looped_notes(bars))
    times_ms: list[float] = []
    pending: list[tuple[float, object]] = []
    for event in sorted(timeline.events):
        # answers whose (measured) generation time has passed are committed first
        while pending and pending[0][0] <= event.time_s:
            at, (request, kicks) = pending.pop(0)
            core.commit(request, kicks, at)
        core.receive(event.time_s, event.data)
        for request in core.take_requests():
            started = time.perf_counter()
            kicks = generator(request)
            elapsed = time.perf_counter() - started
            times_ms.append(elapsed * 1000)
            pending.append((event.time_s + elapsed, (request, kicks)))
            pending.sort(key=lambda p: p[0])
        while (due := core.next_due()) is not None and due <= event.time_s:
            core.advance(due)
    ms = np.array(times_ms)
    return {"bpm": bpm, "bars": bars, "generations": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3), "max_ms": round(float(ms.max()), 3),
            "kicks_sent": core.notes_sent, "missed_deadlines": core.missed_deadlines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=500)
    args = parser.parse_args()
    bundle = ModelBundle.default()
    print(json.dumps({"window_bars": BridgeSettings().window_bars, "runs": [run_at(bundle, bpm, args.bars)
                                                                             for bpm in (120, 240)]}, indent=1))


if __name__ == "__main__":
    main()
