#!/usr/bin/env python3
"""Bridge generation cost: how long the decoder step takes per bar with the default
window (8 bars), at 120 and 240 bpm, on the shipped model, side by side with the previous
method (the decoder run on the whole window); and whether any commit deadline is missed
over --bars bars.

(a) Per-bar time: the example song's snare and bass are looped to --bars bars and
played through `BridgeCore` in simulated time; every generation request is answered both
by `KickGenerator` (which decodes only the frames the bar's peak picking reads, widened
by the decoder's receptive field) and by a decode of the whole window, each timed with
time.perf_counter (one onnxruntime thread; the two take turns going first): p50 / p99 /
max of each, their ratio (cropped / whole window), the frames each decodes (median), and
whether the two gave identical kicks for every bar.
(b) Deadlines: the same run answers each request after the time `KickGenerator` really
took (the generator thread's delay), so a kick committed after its time is counted as a
missed deadline by the core.

Prints one JSON object. From the repository root:

    .venv/bin/python benchmarks/bridge_generation.py [--bars 500]
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np

from kickgen.bridge.clock import Meter
from kickgen.bridge.core import BridgeCore, BridgeSettings
from kickgen.bridge.generator import (
    ContextSong,
    GenerationRequest,
    Kick,
    KickGenerator,
    bar_kicks,
    peak_frames,
    window_onsets,
)
from kickgen.bridge.simulate import Timeline
from kickgen.engine.runtime.bundle import ModelBundle
from kickgen.engine.runtime.kicks import kick_curve
from kickgen.engine.signals.frames import frames_for_duration
from kickgen.engine.signals.midi import signals_from_onsets

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


def full_window_kicks(bundle: ModelBundle, request: GenerationRequest) -> list[Kick]:
    """The previous method: the decoder run on the whole window, the same peak picking."""
    onsets, beats, downbeats, duration_s = window_onsets(request)
    signals = signals_from_onsets(onsets, beat_times_s=beats, downbeat_times_s=downbeats, duration_s=duration_s)
    lo, hi = peak_frames(request, signals.n_frames, signals.fps)
    curve = kick_curve(bundle, signals, request.style.code)
    return bar_kicks(request, curve[lo:hi], lo, signals.fps, beats)


def decoded_frames(bundle: ModelBundle, request: GenerationRequest) -> tuple[int, int]:
    """Frames the whole window has, and frames `KickGenerator` decodes of it."""
    n_frames = frames_for_duration(window_onsets(request)[3], fps=bundle.info.fps)
    lo, hi = peak_frames(request, n_frames, bundle.info.fps)
    reach = bundle.info.receptive_field
    return n_frames, min(n_frames, hi + reach["decoder_right"]) - max(0, lo - reach["decoder_left"])


def timed(generate, request: GenerationRequest) -> tuple[list[Kick], float]:
    started = time.perf_counter()
    kicks = generate(request)
    return kicks, time.perf_counter() - started


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)), "max": float(ms.max())}


def run_at(bundle: ModelBundle, bpm: float, bars: int) -> dict:
    code = np.random.default_rng(0).standard_normal(bundle.info.code_size).astype(np.float32)
    core = BridgeCore(BridgeSettings(), [("style", code)])
    generator = KickGenerator(bundle)
    full_window = functools.partial(full_window_kicks, bundle)
    timeline = Timeline()
    timeline.play(start_s=0.0, ticks=bars * 96, bpm=bpm, notes=looped_notes(bars))
    cropped_s: list[float] = []
    full_s: list[float] = []
    frames: list[tuple[int, int]] = []
    identical = True
    pending: list[tuple[float, object]] = []
    for event in sorted(timeline.events):
        # answers whose (measured) generation time has passed are committed first
        while pending and pending[0][0] <= event.time_s:
            at, (request, kicks) = pending.pop(0)
            core.commit(request, kicks, at)
        core.receive(event.time_s, event.data)
        for request in core.take_requests():
            if len(cropped_s) % 2:
                kicks, elapsed = timed(generator, request)
                full_kicks, full_elapsed = timed(full_window, request)
            else:
                full_kicks, full_elapsed = timed(full_window, request)
                kicks, elapsed = timed(generator, request)
            cropped_s.append(elapsed)
            full_s.append(full_elapsed)
            frames.append(decoded_frames(bundle, request))
            identical = identical and kicks == full_kicks
            pending.append((event.time_s + elapsed, (request, kicks)))
            pending.sort(key=lambda p: p[0])
        while (due := core.next_due()) is not None and due <= event.time_s:
            core.advance(due)
    full, cropped = percentiles_ms(full_s), percentiles_ms(cropped_s)
    window_frames, crop_frames = np.median(np.array(frames), axis=0)
    return {
        "bpm": bpm, "bars": bars, "generations": len(cropped_s),
        "per_bar_ms": {"full_window": {k: round(v, 3) for k, v in full.items()},
                       "cropped": {k: round(v, 3) for k, v in cropped.items()},
                       "cropped_over_full": {k: round(cropped[k] / full[k], 3) for k in full}},
        "frames_decoded": {"full_window": int(window_frames), "cropped": int(crop_frames)},
        "kicks_identical": identical,
        "kicks_sent": core.notes_sent, "missed_deadlines": core.missed_deadlines,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=500)
    args = parser.parse_args()
    bundle = ModelBundle.default()
    print(json.dumps({"window_bars": BridgeSettings().window_bars, "runs": [run_at(bundle, bpm, args.bars)
                                                                             for bpm in (120, 240)]}, indent=1))


if __name__ == "__main__":
    main()
