"""Song position and tempo from MIDI clock: 24 ticks a quarter note, start, continue,
stop and song position pointer. Positions are clock ticks from the song's start."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

TICKS_PER_QUARTER = 24
TICKS_PER_SIXTEENTH = 6
FIT_TICKS = 24  # clock ticks in the tempo fit: one beat, jitter averages out, ramps are followed
DEFAULT_PERIOD_S = 60.0 / 120 / TICKS_PER_QUARTER
OFF_LINE_PERIODS = 0.3  # a tick this far off the fitted line is a suspect; the next tick judges it
LOST_TICK_TOLERANCE = 0.15  # periods: how close to whole periods late a lost tick and the next one must be
MAX_LOST_TICKS = 2  # more than that is a paused clock, not lost messages
STALL_BURST_PERIODS = 0.5  # a tick this soon after a late one was queued behind it: a stall, not a loss
SUSPECT_MIN_TICKS = 3  # ticks on the fitted line before one off it can be judged


@dataclass(frozen=True)
class Meter:
    """Beats a bar and the beat's note value (3/4, 7/8, ...)."""

    numerator: int = 4
    denominator: int = 4

    @classmethod
    def parse(cls, text: str) -> Meter:
        try:
            numerator, denominator = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"{text!r} is not a meter like 4/4 or 7/8") from None
        if numerator < 1 or denominator not in (1, 2, 4, 8, 16):
            raise ValueError(f"{text!r} is not a meter like 4/4 or 7/8")
        return cls(numerator, denominator)

    @property
    def ticks_per_beat(self) -> int:
        return TICKS_PER_QUARTER * 4 // self.denominator

    @property
    def ticks_per_bar(self) -> int:
        return self.numerator * self.ticks_per_beat


class ClockFollower:
    """Where the song is and how fast it goes.

    `position` is the clock tick the next 0xF8 will mark; after a tick arrives,
    `last_position`/`last_time_s` hold it. The tempo is a least-squares line through the
    last `FIT_TICKS` ticks' (position, time), so steady jitter averages out and a ramp is
    followed within a beat; a jump (song position pointer) starts a new line.

    A tick off the line by `OFF_LINE_PERIODS` or more is a suspect, kept out of the line
    until the next tick tells what happened (all seen under JACK, most with Ardour,
    tests/bridge/ardour_session.py):
    - a stall: the graph held the tick up and lets the ones queued behind it through at
      once, so the next comes at once; nothing was lost, the song must not move;
    - lost ticks: a client that overran a cycle lost its events (benchmarks/bridge_jack.py
      saw one in 5,764 ticks); the suspect and the next tick both sit whole periods
      late, and the missing ticks are counted all the same;
    - an extra tick: a second 0xF8 on the heels of one on time; both sit a period early,
      and the extra one is dropped;
    - a step: the graph came back from a stall a fraction of a period late and stayed so;
      the line moves to the new phase, the count stays.
    Counting a step as a lost tick, or an extra tick as a real one, would shift the song
    by a whole tick (20.8 ms at 120 bpm).
    """

    def __init__(self) -> None:
        self.playing = False
        self.position = 0
        self.last_position: int | None = None
        self.last_time_s: float | None = None
        self.history: deque[tuple[int, float]] = deque(maxlen=FIT_TICKS)
        self.period_s = DEFAULT_PERIOD_S
        self.fitted_time_s: float | None = None  # the fit's time of `last_position`
        self.lost_ticks = 0  # ticks counted that never arrived (the log's exit line reports them)
        self.extra_ticks = 0  # ticks that arrived twice and were dropped (likewise)
        # a tick off the line: (position, time s, periods off the line, the tick before's)
        self._suspect: tuple[int, float, float, float] | None = None
        self._last_off = 0.0  # periods off the line of the last tick that joined it

    def start(self) -> None:
        self.playing, self.position = True, 0
        self._new_line()

    def resume(self) -> None:
        self.playing = True
        self._new_line()

    def stop(self) -> None:
        self.playing = False

    def song_position(self, ticks: int) -> None:
        """A song position pointer, in clock ticks (the standard's sixteenths times 6)."""
        self.position = ticks
        self._new_line()

    def _new_line(self) -> None:
        self.history.clear()
        self._suspect, self._last_off = None, 0.0
        self.last_position = self.last_time_s = self.fitted_time_s = None

    def clock(self, time_s: float) -> int | None:
        """A 0xF8 at `time_s`: returns the position it marks (None when stopped). A suspect
        (see the class) marks the position it would have on a steady clock and stays out
        of the line; `last_position` keeps the tick before it."""
        if not self.playing:
            return None
        position = self._judge_suspect(time_s) if self._suspect is not None else None
        if position is None:
            position = self.position
            if self.fitted_time_s is not None and len(self.history) >= SUSPECT_MIN_TICKS:
                off = self._periods_after_due(time_s, position)
                if abs(off) >= OFF_LINE_PERIODS:
                    self._suspect = (position, time_s, off, self._last_off)
                    self.position, self.last_time_s = position + 1, time_s
                    return position
                self._last_off = off
            self._on_line(position, time_s)
        self.position, self.last_time_s = position + 1, time_s
        return position

    def _judge_suspect(self, time_s: float) -> int | None:
        """The position of the tick after a suspect, which tells what the suspect was
        (None: the suspect was a lone outlier, or the tempo is moving; it joined the line
        and this tick is judged afresh)."""
        (position, suspect_s, off, off_before), self._suspect = self._suspect, None
        self._last_off = 0.0
        if off > 0 and time_s - suspect_s < STALL_BURST_PERIODS * self.period_s:
            self._on_line(position + 1, time_s)  # a stall let it through: the suspect stays out
            return position + 1
        next_off = self._periods_after_due(time_s, position + 1)
        if abs(next_off - off) > LOST_TICK_TOLERANCE:  # the two disagree
            self._on_line(position, suspect_s)
            self._last_off = off
            return None
        both_off = (off + next_off) / 2
        whole = round(both_off)
        if whole == -1 and abs(both_off - whole) <= LOST_TICK_TOLERANCE:
            self.extra_ticks += 1
            self._on_line(position, time_s)
            return position
        if 1 <= whole <= MAX_LOST_TICKS and abs(both_off - whole) <= LOST_TICK_TOLERANCE:
            self.lost_ticks += whole
            position += whole
        elif abs(both_off) >= OFF_LINE_PERIODS and abs(off_before) < OFF_LINE_PERIODS / 2:
            # a step from a tick on the line (a tempo change drifts off it and spaces the
            # ticks anew): the line moves by it, its slope stays
            shift_s = both_off * self.period_s
            self.history = deque(((p, t + shift_s) for p, t in self.history), maxlen=FIT_TICKS)
        else:
            self._last_off = both_off  # jitter, or a tempo drifting away: the fit follows
        self._on_line(position, suspect_s)
        self._on_line(position + 1, time_s)
        return position + 1

    def _on_line(self, position: int, time_s: float) -> None:
        self.history.append((position, time_s))
        self.last_position, self.last_time_s = position, time_s
        self._fit()

    def _periods_after_due(self, time_s: float, position: int) -> float:
        """How many periods after the fitted line's time for `position` `time_s` comes."""
        return (time_s - self.time_of(position)) / self.period_s

    def _fit(self) -> None:
        if len(self.history) < 2:
            self.fitted_time_s = self.last_time_s
            return
        positions = np.array([p for p, _ in self.history], dtype=np.float64)
        times = np.array([t for _, t in self.history], dtype=np.float64)
        slope, intercept = np.polyfit(positions - positions[-1], times, 1)
        if slope > 0:
            self.period_s = float(slope)
        self.fitted_time_s = float(intercept)

    @property
    def bpm(self) -> float:
        return 60.0 / (self.period_s * TICKS_PER_QUARTER)

    def time_of(self, position: float) -> float | None:
        """When the song reaches `position` (fractional ticks) at the current tempo."""
        if self.last_position is None or self.fitted_time_s is None:
            return None
        return self.fitted_time_s + (position - self.last_position) * self.period_s

    def position_at(self, time_s: float) -> float | None:
        """The fractional position at `time_s` (never beyond the next tick while it is
        still to come, so a note heard early stays in its tick)."""
        if self.last_position is None or self.fitted_time_s is None:
            return None
        ahead = (time_s - self.fitted_time_s) / self.period_s
        return self.last_position + min(max(ahead, 0.0), 1.0)
