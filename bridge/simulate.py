"""A DAW in simulated time, for tests and benchmarks: MIDI clock at a tempo (steady,
ramped or jittered), transport messages and the song's snare and bass notes, fed to a
`BridgeCore` with generation answered at once (or after a delay)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kickgen.bridge.clock import TICKS_PER_QUARTER
from kickgen.bridge.core import BridgeCore, Sent
from kickgen.bridge.generator import GenerationRequest, Kick
from kickgen.bridge.midi_bytes import CLOCK, START, STOP


@dataclass(order=True)
class Event:
    time_s: float
    order: int
    data: tuple[int, ...] = field(compare=False)


@dataclass
class Timeline:
    """Timestamped bytes a DAW sends, built up by the helpers below."""

    events: list[Event] = field(default_factory=list)
    serial: int = 0

    def add(self, time_s: float, data: tuple[int, ...]) -> None:
        self.serial += 1
        self.events.append(Event(time_s, self.serial, data))

    def play(
        self, *, start_s: float, ticks: int, bpm: float | Callable[[int], float], start: bytes | int | None = START,
        jitter_s: float = 0.0, seed: int = 0, first_position: int = 0,
        notes: list[tuple[float, tuple[int, ...]]] = (), stop: bool = True,
    ) -> float:
        """Clock for `ticks` ticks from `start_s` (tempo fixed or per tick), preceded by
        Start (or Continue, or nothing) and followed by Stop; `notes` are (position in
        clock ticks from the song start, message) sent at their time. Returns the end."""
        rng = np.random.default_rng(seed)
        if start is not None:
            self.add(start_s, (start,))
        t, times = start_s + 0.001 + 2 * jitter_s, {}  # the first tick after Start, jitter or not
        for i in range(ticks):
            times[first_position + i] = t
            self.add(t + (rng.uniform(-jitter_s, jitter_s) if jitter_s else 0.0), (CLOCK,))
            tempo = bpm(i) if callable(bpm) else bpm
            t += 60.0 / tempo / TICKS_PER_QUARTER
        for position, message in notes:
            whole = int(np.floor(position))
            if whole in times and whole + 1 in times:
                at = times[whole] + (position - whole) * (times[whole + 1] - times[whole])
                self.add(at + 1e-6, message)
        if stop:
            self.add(t, (STOP,))
        return t


def run(
    core: BridgeCore, timeline: Timeline, generate: Callable[[GenerationRequest], list[Kick]], *,
    delay_s: float = 0.0, until_s: float | None = None,
) -> list[Sent]:
    """Feed the timeline to the core, calling `advance` at every due time and answering
    generation requests `delay_s` after they were made. Returns everything sent."""
    queue = sorted(timeline.events)
    answers: list[tuple[float, int, GenerationRequest]] = []
    sent: list[Sent] = []
    i, serial = 0, 0
    end = until_s if until_s is not None else (queue[-1].time_s + 1.0 if queue else 0.0)
    while True:
        for request in core.take_requests():  # (the first pass takes those made while stopped)
            serial += 1
            heapq.heappush(answers, (core.last_time_s + delay_s, serial, request))
        candidates = [end]
        if i < len(queue):
            candidates.append(queue[i].time_s)
        if answers:
            candidates.append(answers[0][0])
        due = core.next_due()
        if due is not None:
            candidates.append(due)
        t = min(candidates)
        if t >= end and i >= len(queue) and not answers:
            sent += core.advance(end)
            return sent
        if answers and answers[0][0] <= t:
            at, _, request = heapq.heappop(answers)
            sent += core.commit(request, generate(request), at)
        elif i < len(queue) and queue[i].time_s <= t:
            sent += core.receive(queue[i].time_s, queue[i].data)
            i += 1
        else:
            sent += core.advance(t)

