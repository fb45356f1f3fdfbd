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
LOST_TICK_TOLERANCE = 0.3  # periods: how close to the fitted line a tick after lost ones must be
MAX_LOST_TICKS = 2  # more than that is a paused clock, not lost messages
STALL_BURST_PERIODS = 0.5  # a tick this soon after a late one was queued behind it: a stall, not a loss


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
    followed within a beat; a jump (song position pointer) starts a new line. Ticks
    lost on the way are counted all the same, so the song position stays true: under
    JACK a client that overruns a cycle loses that cycle's events (benchmarks/bridge_jack.py
    saw one in 5,764 ticks). A tick that comes one or two periods late is only a suspect:
    a tick held up by a stalled driver or process comes just as late, and counting it as
    a loss would shift the song by whole ticks (seen with Ardour, tests/bridge/ardour_session.py).
    The next tick decides: a stall lets the ticks queued behind it through at once, while
    after lost ticks the next one comes a period later.
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
        self._suspect = 0  # ticks maybe lost: the last tick came that many periods late

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
        self._suspect = 0
        self.last_position = self.last_time_s = self.fitted_time_s = None

    def clock(self, time_s: float) -> int | None:
        """A 0xF8 at `time_s`: returns the position it marks (None when stopped). While
        ticks are suspect (see the class) they get the positions a stall would give them
        and stay out of the fit; `last_position` keeps the tick before them."""
        if not self.playing:
            return None
        position = self.position
        if self._suspect:
            position += self._judge_suspect(time_s, position)
        elif self.fitted_time_s is not None and len(self.history) >= FIT_TICKS // 2:
            late = self._periods_after_due(time_s, position)
            if 1 <= round(late) <= MAX_LOST_TICKS and abs(late - round(late)) <= LOST_TICK_TOLERANCE:
                self._suspect = round(late)
        self.position = position + 1
        self.last_time_s = time_s
        if self._suspect:
            return position
        self.history.append((position, time_s))
        self.last_position = position
        self._fit()
        return position

    def _judge_suspect(self, time_s: float, position: int) -> int:
        """Ticks found lost after a late one: a stall lets the ticks queued behind the late
        one through at once, so a tick a good part of a period after it means the late
        one really followed lost ticks (robust to a DAW's ticks a JACK period off)."""
        lost, self._suspect = self._suspect, 0
        if time_s - self.last_time_s < STALL_BURST_PERIODS * self.period_s:
            return 0
        self.lost_ticks += lost
        return lost

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
