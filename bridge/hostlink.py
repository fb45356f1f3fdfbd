"""`kickgen-bridge --host-link`: kicks for kickgen plugins inside the DAW, over a local socket.

Each plugin instance (told apart by its instance id) reports the host's transport and its
track's notes in quarter notes (`hostlink_wire`). Its `PluginSession` keeps the notes in
bar memory, as the MIDI-port bridge does, and plans every bar from the bar the transport
is in to the next one: a bar's kicks reach the plugin at least a bar before they sound,
so the plugin reports no latency and places each kick on its exact sample. Planning uses
the MIDI-port bridge's generator (`KickGenerator`): the same model, style, window of bars
and, with a context song, the offline render's kicks.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kickgen.bridge import hostlink_wire as wire
from kickgen.bridge.clock import TICKS_PER_QUARTER, Meter
from kickgen.bridge.core import BridgeSettings, kick_notes
from kickgen.bridge.generator import GenerationRequest, Kick, Style
from kickgen.bridge.memory import BarMemory, Note
from kickgen.engine.runtime.style import StylePrior, code_from_values, random_style

RECEIVE_TIMEOUT_S = 0.1  # how often the server looks up from its socket to see whether to stop
BAR_END_MARGIN_QN = 1e-3  # a kick's note-off ends this far before its bar's window closes


def default_socket_path() -> Path:
    """Where plugins look for the bridge: $KICKGEN_HOSTLINK_SOCKET, else
    $XDG_RUNTIME_DIR (or /tmp)/kickgen-hostlink.sock (as `hostlink/core/hl_link.c`)."""
    if os.environ.get("KICKGEN_HOSTLINK_SOCKET"):
        return Path(os.environ["KICKGEN_HOSTLINK_SOCKET"])
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "kickgen-hostlink.sock"


def meter_of(t: wire.Transport) -> Meter:
    """The host's meter as the bridge counts it (a fractional beats-per-bar is rounded)."""
    unit = int(t.beat_unit) if int(t.beat_unit) in (1, 2, 4, 8, 16) else 4
    return Meter(max(1, round(t.beats_per_bar)), unit)


@dataclass
class Plan:
    """A bar's answer: its window in quarter notes and the MIDI events that fill it."""

    bar: int
    epoch: int
    from_qn: float
    to_qn: float
    events: list[wire.Event]


@dataclass
class PluginSession:
    """One plugin instance: its timeline (epoch), meter and tempo, the notes its track
    played (bar memory), its style (`slots[0]` until the plugin asks for another: the
    settings that asked, the style's name, and why a saved style could not be played as
    saved) and the bars planned in this epoch."""

    instance: int
    settings: BridgeSettings
    slots: list[tuple[str, np.ndarray]]
    style: Style
    memory: BarMemory = field(default_factory=BarMemory)
    prior: StylePrior | None = None  # where seeded random styles are drawn from
    epoch: int = -1
    transport: wire.Transport | None = None
    planned: set[int] = field(default_factory=set)
    asked: wire.StyleSettings = field(init=False)
    style_name: str = field(init=False)
    mismatch: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.asked = wire.StyleSettings(0, 0, self.style.threshold)
        self.style_name = self.slots[0][0]

    def on_style(self, asked: wire.StyleSettings) -> list[GenerationRequest]:
        """The track's style settings: the bridge's preset slot, or a random style drawn
        with the seed; returns the bars to plan again (`restyle`)."""
        if asked.seed > 0:
            name, code = random_style(asked.seed, code_size=len(self.slots[0][1]), prior=self.prior)
        else:
            name, code = self.slots[asked.slot if 0 <= asked.slot < len(self.slots) else 0]
        return self.restyle(asked, name, code)

    def on_saved_style(self, saved: wire.StyleState, model_id: str) -> list[GenerationRequest]:
        """A style the project saved: its code as it is when it was made for this model
        (whatever the bridge's slots are now); else the style its settings choose here,
        with `mismatch` saying why."""
        asked = wire.StyleSettings(saved.slot, saved.seed, saved.threshold)
        code = code_from_values(saved.code, len(self.slots[0][1]))
        if saved.model != model_id or code is None:
            self.mismatch = f"style {saved.name!r} was saved for model {saved.model}; this bridge runs {model_id}"
            return self.on_style(asked)
        self.mismatch = None
        return self.restyle(asked, saved.name, code)

    def restyle(self, asked: wire.StyleSettings, name: str, code: np.ndarray) -> list[GenerationRequest]:
        """Play `code` from the next bar not yet started (the bar playing keeps its
        kicks); returns the bars to plan again."""
        self.asked, self.style_name = asked, name
        style = Style(code, float(np.clip(asked.threshold, 0.0, 1.0)), self.style.grid)
        if style.key() == self.style.key():
            return []
        self.style = style
        t = self.transport
        if t is None or not t.has_bbt:
            return []
        keep = t.bar if t.playing else t.bar - 1
        self.planned = {bar for bar in self.planned if bar <= keep}
        return self.on_transport(self.epoch, t)

    def style_state(self, model_id: str) -> wire.StyleState:
        """The style played now, as the plugin saves it with the project."""
        a = self.asked
        return wire.StyleState(a.slot, a.seed, a.threshold, self.style_name, model_id,
                               tuple(float(v) for v in self.style.code.ravel()))

    def on_transport(self, epoch: int, t: wire.Transport) -> list[GenerationRequest]:
        """A transport report: the bars to plan now (the one it is in and the next)."""
        if epoch != self.epoch:  # stop, locate or loop wrap: the plugin flushed its queue
            self.epoch, self.planned = epoch, set()
            self.memory.finish_bar()
        self.transport = t
        if not t.has_bbt:
            return []
        current = self.memory.current_bar
        if t.playing and (current is None or current < t.bar):
            self.memory.begin_bar(t.bar)  # a bar with no notes is heard as empty
        requests = []
        for bar in (t.bar, t.bar + 1):
            if bar not in self.planned:
                self.planned.add(bar)
                requests.append(self.request(bar, t))
        return requests

    def on_notes(self, epoch: int, events: list[wire.Event]) -> None:
        """The track's notes: snare and bass note-ons go into bar memory."""
        t = self.transport
        if epoch != self.epoch or t is None or not t.has_bbt:
            return
        for event in events:
            status = event.message[0]
            if len(event.message) < 3 or status & 0xF0 != 0x90 or event.message[2] == 0:
                continue
            role = self.settings.role_of((status & 0x0F) + 1, event.message[1])
            if role is None:
                continue
            bar = int(np.floor(event.qn / t.qn_per_bar + 1e-9))
            if self.memory.current_bar is not None and bar < self.memory.current_bar:
                continue  # (the plugin sends notes in order: only a stray one is older)
            tick = (event.qn - bar * t.qn_per_bar) * TICKS_PER_QUARTER
            self.memory.hear(bar, Note(tick, role, event.message[2] / 127.0))

    def request(self, bar: int, t: wire.Transport) -> GenerationRequest:
        """The generation request for `bar`: the notes of its window, at the host's tempo."""
        s, meter = self.settings, meter_of(t)
        first = bar - (s.window_bars - 1 - s.bars_after)
        now_tick = (t.qn - t.bar * t.qn_per_bar) * TICKS_PER_QUARTER
        notes = tuple(tuple(self.memory.notes(b, up_to_tick=now_tick if b == self.memory.current_bar else None))
                      for b in range(first, bar + s.bars_after + 1))
        period_s = 60.0 / t.bpm / meter.ticks_per_beat
        return GenerationRequest(bar, first, notes, period_s, meter, self.style, self.epoch)

    def plan(self, request: GenerationRequest, kicks: list[Kick]) -> Plan | None:
        """The bar's kicks as note-on/note-off events in quarter notes; None when the
        request belongs to an epoch the plugin has left."""
        t = self.transport
        if request.serial != self.epoch or t is None:
            return None
        s = self.settings
        bar_qn = t.qn_per_bar
        start, end = request.bar * bar_qn, (request.bar + 1) * bar_qn
        from_qn = max(start, t.qn) if request.bar == t.bar else start
        on, off = 0x90 | (s.channel - 1), 0x80 | (s.channel - 1)
        events = []
        for tick, length, velocity in kick_notes(kicks, s.note_length_ticks):
            qn = start + tick / TICKS_PER_QUARTER
            if qn < from_qn:
                continue
            events.append(wire.Event(qn, (on, s.note, velocity)))
            events.append(wire.Event(min(qn + length / TICKS_PER_QUARTER, end - BAR_END_MARGIN_QN), (off, s.note, 0)))
        return Plan(request.bar, self.epoch, from_qn, end, events[: wire.MAX_EVENTS])


class HostLinkServer:
    """Serves any number of plugin instances on one Unix datagram socket. Generation runs
    in the serving thread: a bar takes a few milliseconds and is asked a bar ahead."""

    def __init__(
        self, path: Path, new_session: Callable[[int], PluginSession], generate: Callable[[GenerationRequest], list],
        *, model_id: str, log: Path | None = None,
    ) -> None:
        self.path = path
        self.model_id = model_id  # the bundle id's first 12 hex digits, as styles are saved with
        self.new_session = new_session
        self.generate = generate
        self.sessions: dict[int, PluginSession] = {}
        self.peers: dict[int, str | bytes] = {}
        self.log = log.open("a") if log else None
        self.stats = {"messages": 0, "rejected": 0, "plans": 0, "undelivered": 0}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path.exists() or path.is_symlink():
            path.unlink()
        self.sock.bind(str(path))
        self.sock.settimeout(RECEIVE_TIMEOUT_S)

    def serve(self, stop: threading.Event) -> None:
        """Answer plugins until `stop` is set."""
        while not stop.is_set():
            try:
                datagram, peer = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            self.handle(datagram, peer)

    def handle(self, datagram: bytes, peer) -> None:
        try:
            header, body = wire.decode(datagram)
        except wire.WireError as exc:
            self.stats["rejected"] += 1
            self.write_log({"rejected": str(exc)})
            return
        self.stats["messages"] += 1
        if header.kind == wire.BYE:
            self.sessions.pop(header.instance, None)
            self.peers.pop(header.instance, None)
            return
        session = self.sessions.get(header.instance)
        if session is None:
            session = self.sessions[header.instance] = self.new_session(header.instance)
        self.peers[header.instance] = peer
        if header.kind == wire.HELLO:
            self.write_log({"instance": header.instance, "hello": {"rate": body.sample_rate, "host": body.host}})
        elif header.kind == wire.NOTES:
            session.on_notes(header.epoch, body)
        elif header.kind in (wire.STYLE, wire.SAVED_STYLE):
            saved = header.kind == wire.SAVED_STYLE
            requests = session.on_saved_style(body, self.model_id) if saved else session.on_style(body)
            self.send(session, wire.encode_style_state(wire.STYLE_STATE, session.instance, header.epoch,
                                                       session.style_state(self.model_id)))
            self.write_log({"instance": session.instance, "style": session.style_name, "saved": saved,
                            **({"mismatch": session.mismatch} if saved and session.mismatch else {})})
            if saved and session.mismatch:
                print(f"kickgen-bridge: {session.mismatch}: playing {session.style_name!r}", file=sys.stderr)
            for request in requests:
                self.answer(session, request)
        elif header.kind == wire.TRANSPORT:
            for request in session.on_transport(header.epoch, body):
                self.answer(session, request)

    def answer(self, session: PluginSession, request: GenerationRequest) -> None:
        started = time.perf_counter()
        plan = session.plan(request, self.generate(request))
        if plan is None:
            return
        if not self.send(session, wire.encode_kicks(session.instance, plan.epoch, plan.from_qn, plan.to_qn,
                                                    plan.events)):
            return
        self.stats["plans"] += 1
        self.write_log({"instance": session.instance, "epoch": plan.epoch, "bar": plan.bar,
                        "window_qn": [plan.from_qn, plan.to_qn], "ms": round(1e3 * (time.perf_counter() - started), 2),
                        "events": [[e.qn, list(e.message)] for e in plan.events]})

    def send(self, session: PluginSession, datagram: bytes) -> bool:
        """Send to the session's plugin; False (logged) when it went away: it says hello
        again when it is back."""
        try:
            self.sock.sendto(datagram, self.peers[session.instance])
        except OSError as exc:
            self.stats["undelivered"] += 1
            self.write_log({"instance": session.instance, "undelivered": str(exc)})
            return False
        return True

    def write_log(self, record: dict) -> None:
        if self.log:
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()

    def close(self) -> None:
        self.sock.close()
        if self.path.exists():
            self.path.unlink()
        if self.log:
            self.log.write(json.dumps({"exit": self.stats}) + "\n")
            self.log.close()
