"""Bar memory: the snare and bass notes of every bar, by position in the bar.

A bar's notes come from, in order: what was heard in it (the bar being played: what
has been heard so far, the rest as below); the last pass through it; the context song
given at start; or a loop guess, the bar one, two or four bars back whose pattern best
predicted the recent bars. Memory is bounded: the oldest bars are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

MAX_BARS = 2048
LOOP_LENGTHS = (1, 2, 4)
LOOP_EVIDENCE_BARS = 4


@dataclass(frozen=True)
class Note:
    """A context note: `tick` in its bar (fractional clock ticks), role, velocity 0..1."""

    tick: float
    role: str  # "snare" or "bass"
    velocity: float


def pattern(notes: list[Note]) -> frozenset[tuple[int, str]]:
    """A bar's rhythm for comparison: (sixteenth, role) pairs."""
    return frozenset((round(n.tick / 6), n.role) for n in notes)


def similarity(a: list[Note], b: list[Note]) -> float:
    pa, pb = pattern(a), pattern(b)
    return len(pa & pb) / len(pa | pb) if pa | pb else 1.0


class BarMemory:
    def __init__(self, context: dict[int, list[Note]] | None = None, *, max_bars: int = MAX_BARS) -> None:
        self.heard: OrderedDict[int, list[Note]] = OrderedDict()
        self.context = dict(context or {})
        self.max_bars = max_bars
        self.current_bar: int | None = None
        self.current: list[Note] = []

    def begin_bar(self, bar: int) -> None:
        """The song enters `bar`: the bar before it is complete."""
        self.finish_bar()
        self.current_bar, self.current = bar, []

    def finish_bar(self) -> None:
        if self.current_bar is not None:
            self.heard.pop(self.current_bar, None)
            self.heard[self.current_bar] = self.current
            while len(self.heard) > self.max_bars:
                self.heard.popitem(last=False)
        self.current_bar, self.current = None, []

    def hear(self, bar: int, note: Note) -> None:
        if bar != self.current_bar:
            self.begin_bar(bar)
        if len(self.current) < 512:  # a bar of more notes than that is noise
            self.current.append(note)

    def loop_length(self, bar: int) -> int | None:
        """The loop length (1, 2 or 4 bars) that best predicts the heard bars before `bar`."""
        best, best_score = None, -1.0
        for length in LOOP_LENGTHS:
            scores = [similarity(self.heard[b], self.heard[b - length])
                      for b in range(bar - LOOP_EVIDENCE_BARS, bar)
                      if b in self.heard and b - length in self.heard]
            if scores and sum(scores) / len(scores) > best_score + 1e-9:
                best, best_score = length, sum(scores) / len(scores)
        return best

    def fallback(self, bar: int) -> list[Note]:
        """A bar not being heard: its last pass, the context, or the loop guess."""
        if bar in self.heard:
            return self.heard[bar]
        if bar in self.context:
            return self.context[bar]
        length = self.loop_length(bar) or 1
        for back in range(1, 9):
            if bar - back * length in self.heard:
                return self.heard[bar - back * length]
        return []

    def notes(self, bar: int, *, up_to_tick: float | None = None) -> list[Note]:
        """The notes of `bar`; for the bar being heard, those heard before `up_to_tick`
        and the fallback's after it."""
        if bar == self.current_bar and up_to_tick is not None:
            before = [n for n in self.current if n.tick < up_to_tick]
            after = [n for n in self.fallback(bar) if n.tick >= up_to_tick]
            return before + after
        return self.fallback(bar)
