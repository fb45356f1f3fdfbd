"""The bridge's logic as a plain object in simulated time: timestamped MIDI in, timed MIDI
out. No threads, ports or clocks here; `ports` and `cli` drive it in real time.

Driving it: `receive(t, bytes)` for every incoming message, `advance(t)` whenever
`next_due()` comes (or often), `take_requests()` to get generation work and
`commit(request, kicks)` with the answer. Every returned `Sent` is to be sent at once.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

import numpy as np

from kickgen.bridge.clock import TICKS_PER_SIXTEENTH, ClockFollower, Meter
from kickgen.bridge.generator import GenerationRequest, Kick, Style
from kickgen.bridge.memory import BarMemory, Note
from kickgen.bridge.midi_bytes import CLOCK, CONTINUE, SONG_POSITION, START, STOP, MidiParser
from kickgen.engine.runtime.style import StylePrior, mix_codes, sample_code

ALL_NOTES_OFF = 123


@dataclass(frozen=True)
class Controls:
    """MIDI control of the bridge, all on `channel` (1-based): program change picks a
    preset slot; `density_cc` sets the threshold (0 sparse .. 127 dense); `morph_cc`
    blends the slot's code with the next slot's; `random_cc` (value >= 64) or any note
    on the control channel draws a new random code; `panic_cc` silences everything."""

    channel: int = 16
    density_cc: int = 20
    morph_cc: int = 21
    random_cc: int = 22
    panic_cc: int = 23


@dataclass(frozen=True)
class BridgeSettings:
    meter: Meter = field(default_factory=Meter)
    lookahead_beats: float = 1.0
    window_bars: int = 8
    bars_after: int = 2  # of the window, bars after the one generated
    note: int = 36
    channel: int = 10  # 1-based output channel
    drum_channel: int = 10
    snare_notes: tuple[int, ...] = (38, 40, 39, 37)
    bass_channels: tuple[int, ...] | None = None  # 1-based; None: every channel but drums and controls
    note_length_ticks: float = 3.0  # a 32nd note
    clock_timeout_ticks: float = 4.0
    controls: Controls = field(default_factory=Controls)
    # clock ticks a song position pointer counts: 6 (a sixteenth), as the MIDI standard has
    # it; 1 for a DAW that counts clocks (Ardour 7 sends beats x 24, see README)
    ticks_per_song_position: int = TICKS_PER_SIXTEENTH

    def role_of(self, channel: int, note: int) -> str | None:
        """What a note-on on `channel` (1-based) is to the bridge: "snare", "bass", or None
        (the rest of the kit, incoming kicks, the control channel, other channels)."""
        if channel == self.drum_channel:
            return "snare" if note in self.snare_notes else None
        if channel != self.controls.channel and (self.bass_channels is None or channel in self.bass_channels):
            return "bass"
        return None


def kick_notes(kicks: list[Kick], note_length_ticks: float) -> list[tuple[float, float, int]]:
    """A bar's kicks in order as (tick, length in ticks, MIDI velocity 1..127): a note lasts
    `note_length_ticks`, or half the gap to the next kick when that is shorter."""
    ordered = sorted(kicks)
    notes = []
    for i, (tick, velocity) in enumerate(ordered):
        gap = ordered[i + 1][0] - tick if i + 1 < len(ordered) else np.inf
        notes.append((tick, min(note_length_ticks, max(gap * 0.5, 0.1)), int(np.clip(round(velocity * 127), 1, 127))))
    return notes


@dataclass(frozen=True)
class Sent:
    time_s: float
    message: tuple[int, ...]


@dataclass(order=True)
class Pending:
    position: float  # fractional clock ticks from the song's start
    order: int  # note-offs (0) before note-ons (1) at one position
    velocity: int = field(compare=False, default=0)


def threshold_for(density: int) -> float:
    """CC 0..127 -> peak threshold 0.6 (sparse) .. 0.05 (dense)."""
    return 0.05 + 0.55 * (1.0 - density / 127.0)


class BridgeCore:
    def __init__(
        self, settings: BridgeSettings, slots: list[tuple[str, np.ndarray]], *, memory: BarMemory | None = None,
        threshold: float = 0.25, grid: str = "off", seed: int = 0, prior: StylePrior | None = None,
    ) -> None:
        if not slots:
            raise ValueError("at least one style slot is needed")
        self.settings = settings
        self.slots = slots
        self.memory = memory or BarMemory()
        self.clock = ClockFollower()
        self.parser = MidiParser()
        self.rng = np.random.default_rng(seed)
        self.prior = prior  # where the random-style control draws from (`sample_code`)
        self.slot, self.morph, self.random_code = 0, 0.0, None
        self.style = Style(slots[0][1], threshold, grid)
        self.serial = 0
        self.committed: dict[int, list[Kick]] = {}
        self.requested: set[int] = set()
        self.requests: list[GenerationRequest] = []
        self.pending: list[Pending] = []
        self.sounding = 0  # note-ons sent without their note-off yet
        self.clock_lost = False
        self.last_time_s = 0.0
        self.notes_sent = 0
        self.missed_deadlines = 0
        self.current_bar = -1
        self.last_sent_position = 0.0  # of the last kick sent, for timing measurements
        self.prepared: dict[int, list[Kick]] = {}  # bars generated while stopped (current serial)
        self._prepare(0.0)

    # --- what the status line shows -----------------------------------------------------
    @property
    def style_name(self) -> str:
        if self.random_code is not None:
            return "random code"
        name = self.slots[self.slot][0]
        if self.morph > 0 and len(self.slots) > 1:
            name += f" -> {self.slots[(self.slot + 1) % len(self.slots)][0]} {self.morph:.0%}"
        return name

    def bar_beat(self) -> tuple[int, int]:
        position = max(self.clock.position - 1, 0)
        meter = self.settings.meter
        return position // meter.ticks_per_bar + 1, position % meter.ticks_per_bar // meter.ticks_per_beat + 1

    # --- input --------------------------------------------------------------------------
    def receive(self, time_s: float, data) -> list[Sent]:
        """Bytes from the DAW at `time_s`: clock, transport, notes, controls."""
        time_s = max(time_s, self.last_time_s)
        out: list[Sent] = []
        for message in self.parser.feed(data):
            out += self._handle(time_s, message)
        return out + self.advance(time_s)

    def _handle(self, t: float, message: tuple[int, ...]) -> list[Sent]:
        status = message[0]
        if status == CLOCK:
            return self._clock(t)
        if status in (START, CONTINUE):
            out = self._silence(t)
            self.clock.start() if status == START else self.clock.resume()
            self._jumped(t)
            return out
        if status == STOP:
            self.clock.stop()
            out = self._silence(t)
            self._prepare(t)
            return out
        if status == SONG_POSITION:
            out = self._silence(t)
            self.clock.song_position((message[1] | (message[2] << 7)) * self.settings.ticks_per_song_position)
            self._jumped(t)
            self._prepare(t)
            return out
        kind, channel = status & 0xF0, (status & 0x0F) + 1
        if channel == self.settings.controls.channel:
            return self._control(t, kind, message)
        if kind == 0x90 and message[2] > 0:
            self._note(t, channel, message[1], message[2])
        return []

    def _note(self, t: float, channel: int, note: int, velocity: int) -> None:
        s = self.settings
        role = s.role_of(channel, note)  # kicks (and the rest of the kit) are not context
        if role is None or not self.clock.playing or self.clock.last_position is None:
            return
        position = self.clock.position_at(t)
        bar = int(position // s.meter.ticks_per_bar)
        self.memory.hear(bar, Note(position - bar * s.meter.ticks_per_bar, role, velocity / 127.0))

    def _control(self, t: float, kind: int, message: tuple[int, ...]) -> list[Sent]:
        c = self.settings.controls
        if kind == 0xC0 and message[1] < len(self.slots):
            self.slot, self.random_code = message[1], None
        elif kind == 0xB0 and message[1] == c.density_cc:
            self.style = replace(self.style, threshold=threshold_for(message[2]))
        elif kind == 0xB0 and message[1] == c.morph_cc:
            self.morph = message[2] / 127.0
        elif (kind == 0xB0 and message[1] == c.random_cc and message[2] >= 64) or (kind == 0x90 and message[2] > 0):
            self.random_code = sample_code(self.rng, code_size=len(self.slots[0][1]), prior=self.prior)
        elif kind == 0xB0 and message[1] == c.panic_cc:
            return self._silence(t)
        else:
            return []
        self._restyle()
        return []

    def _restyle(self) -> None:
        """A new style applies from the next bar not yet started."""
        if self.random_code is not None:
            code = self.random_code
        else:
            a = self.slots[self.slot][1]
            b = self.slots[(self.slot + 1) % len(self.slots)][1]
            code = mix_codes(a, b, self.morph)
        self.style = replace(self.style, code=code)
        self.serial += 1
        keep = self.current_bar
        self.committed = {bar: k for bar, k in self.committed.items() if bar <= keep}
        self.requested = {bar for bar in self.requested if bar <= keep}
        self.pending = [p for p in self.pending
                        if p.order == 0 or p.position < (keep + 1) * self.settings.meter.ticks_per_bar]
        heapq.heapify(self.pending)
        self._prepare(self.last_time_s)

    # --- clock and bars -----------------------------------------------------------------
    def _jumped(self, t: float) -> None:
        """Start, continue or a song position: the next clock tick lands elsewhere. The
        bar it lands in is scheduled from what was prepared while stopped, or else
        requested now, before that tick comes."""
        ready, self.prepared = self.prepared, {}
        self.serial += 1
        self.memory.finish_bar()
        self.committed.clear()
        self.requested.clear()
        self.pending.clear()
        self.current_bar = -1
        if not self.clock.playing:  # a song position while stopped: `_prepare` follows
            return
        bar = self.clock.position // self.settings.meter.ticks_per_bar
        if bar in ready:
            self.requested.add(bar)
            self._schedule(bar, ready[bar], now=float(self.clock.position))
        else:
            self._request(bar, t)

    def _prepare(self, t: float) -> None:
        """While stopped, have the bars ready that a Start (bar 0) or a Continue (the
        bar of the song position) lands in, so that their first kicks are not missed."""
        if self.clock.playing:
            return
        self.prepared = {}
        for bar in sorted({0, self.clock.position // self.settings.meter.ticks_per_bar}):
            self._request(bar, t, prepared=True)

    def _clock(self, t: float) -> list[Sent]:
        position = self.clock.clock(t)
        if position is None:
            return []
        self.clock_lost = False
        meter = self.settings.meter
        bar = position // meter.ticks_per_bar
        if bar != self.current_bar:
            self.current_bar = bar
            self.memory.begin_bar(bar)
            self.committed = {b: k for b, k in self.committed.items() if b >= bar - 1}
            self.requested = {b for b in self.requested if b >= bar - 1}
            self._request(bar, t)  # after a start or jump the bar itself is still to come
        lookahead = self.settings.lookahead_beats * meter.ticks_per_beat
        if position >= (bar + 1) * meter.ticks_per_bar - lookahead:
            self._request(bar + 1, t)
        return []

    def _request(self, bar: int, t: float, *, prepared: bool = False) -> None:
        if not prepared and bar in self.requested:
            return
        s = self.settings
        first = bar - (s.window_bars - 1 - s.bars_after)
        now = self.clock.position_at(t)
        notes = []
        for b in range(first, bar + s.bars_after + 1):
            up_to = now - b * s.meter.ticks_per_bar if b == self.memory.current_bar else None
            notes.append(tuple(self.memory.notes(b, up_to_tick=up_to)))
        if not prepared:
            self.requested.add(bar)
        self.requests.append(GenerationRequest(bar, first, tuple(notes), self.clock.period_s, s.meter,
                                               self.style, self.serial, prepared))

    def take_requests(self) -> list[GenerationRequest]:
        requests, self.requests = self.requests, []
        return requests

    def commit(self, request: GenerationRequest, kicks: list[Kick], time_s: float) -> list[Sent]:
        """The generated kicks of `request.bar`; those whose time has passed are missed.
        A prepared bar (asked while stopped) is kept until a Start or Continue lands in it."""
        if request.serial != self.serial:
            return []
        if request.prepared:
            self.prepared[request.bar] = kicks
            return []
        now = self.clock.position_at(time_s)
        self._schedule(request.bar, kicks, now=float(self.clock.position) if now is None else now)
        return self.advance(time_s)

    def _schedule(self, bar: int, kicks: list[Kick], *, now: float) -> None:
        """Queue a bar's kicks (ticks from the bar start) with their note-offs; those
        before position `now` are missed."""
        bar_start = bar * self.settings.meter.ticks_per_bar
        self.committed[bar] = kicks
        for tick, length, velocity in kick_notes(kicks, self.settings.note_length_ticks):
            position = bar_start + tick
            if position < now - 1e-9:
                self.missed_deadlines += 1
                continue
            heapq.heappush(self.pending, Pending(position, 1, velocity))
            heapq.heappush(self.pending, Pending(position + length, 0))

    # --- output -------------------------------------------------------------------------
    def next_due(self) -> float | None:
        """When `advance` next has something to send (or a clock loss to notice)."""
        if not self.clock.playing or self.clock_lost:
            return None
        candidates = []
        if self.pending:
            due = self.clock.time_of(self.pending[0].position)
            if due is not None:
                candidates.append(due)
        if self.clock.last_time_s is not None:
            candidates.append(self.clock.last_time_s + self.settings.clock_timeout_ticks * self.clock.period_s)
        return min(candidates) if candidates else None

    def advance(self, time_s: float) -> list[Sent]:
        """Send what is due at `time_s`; notice a lost clock."""
        time_s = max(time_s, self.last_time_s)
        self.last_time_s = time_s
        if not self.clock.playing or self.clock.last_time_s is None or self.clock_lost:
            return []
        if time_s - self.clock.last_time_s >= self.settings.clock_timeout_ticks * self.clock.period_s - 1e-12:
            self.clock_lost = True
            return self._silence(time_s)
        out = []
        while self.pending:
            due = self.clock.time_of(self.pending[0].position)
            if due is None or due > time_s + 1e-9:
                break
            item = heapq.heappop(self.pending)
            out += self._send(time_s, item)
        return out

    def _send(self, t: float, item: Pending) -> list[Sent]:
        status = 0x80 | (self.settings.channel - 1)
        note = self.settings.note
        if item.order == 0:
            if self.sounding == 0:
                return []
            self.sounding -= 1
            return [Sent(t, (status, note, 0))]
        out = []
        if self.sounding:  # a kick still ringing: end it first
            out.append(Sent(t, (status, note, 0)))
            self.sounding -= 1
        self.sounding += 1
        self.notes_sent += 1
        self.last_sent_position = item.position
        return [*out, Sent(t, (0x90 | (self.settings.channel - 1), note, item.velocity))]

    def _silence(self, t: float) -> list[Sent]:
        """Note-off for a sounding kick, then All Notes Off (CC 123) on the channel; the
        schedule of the bar being played and later ones is dropped."""
        channel = self.settings.channel - 1
        out = [Sent(t, (0x80 | channel, self.settings.note, 0))] if self.sounding else []
        self.sounding = 0
        self.pending.clear()
        self.committed = {b: k for b, k in self.committed.items() if b < self.current_bar}
        self.requested = {b for b in self.requested if b < self.current_bar}
        return [*out, Sent(t, (0xB0 | channel, ALL_NOTES_OFF, 0))]

    def shutdown(self, time_s: float) -> list[Sent]:
        """Everything off before the bridge exits."""
        return self._silence(max(time_s, self.last_time_s))
