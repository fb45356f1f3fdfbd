"""The host link's wire format, version 2 (`hostlink/core/hl_proto.h` is the C side).

One message per Unix datagram, little-endian. Every message starts with a 16-byte header:
"KGHL", u16 version, u16 type, u32 instance id, u32 epoch. The epoch grows on every flush
in the plugin (stop, locate, loop wrap); an answer carries the epoch of the transport
message it answers, and the plugin drops answers for an epoch it has left.

plugin -> bridge: HELLO (sample rate, host and plugin names), TRANSPORT (play state, frame,
bar, quarter note, beat in bar, tempo, meter, why it was sent), NOTES (the track's MIDI
stamped in quarter notes from the song's start), STYLE (the track's style settings),
SAVED_STYLE (the style a project saved: played as it is, whatever the bridge's slots), BYE.
bridge -> plugin: KICKS (a window [from_qn, to_qn) and the events that replace whatever the
plugin had queued there), STYLE_STATE (the style the bridge now plays for the plugin: what
the plugin saves with the project).

Version 2 added SAVED_STYLE and STYLE_STATE.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

VERSION = 2
MAGIC = b"KGHL"
HELLO, TRANSPORT, NOTES, KICKS, BYE, STYLE, SAVED_STYLE, STYLE_STATE = 1, 2, 3, 4, 5, 6, 7, 8
WHY_NAMES = {0: "change", 1: "bar", 2: "locate", 3: "stop", 4: "connect"}
MAX_EVENTS = 128  # events in one KICKS answer (HL_WINDOW_MAX)
MAX_CODE = 256  # code values in one style state (HL_CODE_MAX): a bar of 16 codes of 16

_HEADER = struct.Struct("<4sHHII")
_HELLO = struct.Struct("<dI32s16s")
_TRANSPORT = struct.Struct("<BBBxqqddddd")
_EVENT = struct.Struct("<dB3s4x")
_COUNT = struct.Struct("<Hxx")
_WINDOW = struct.Struct("<ddHxx")
_STYLE = struct.Struct("<iid")
_STYLE_STATE = struct.Struct("<iid32s16sHxx")


class WireError(ValueError):
    """A datagram that is not a version-2 host-link message."""


@dataclass(frozen=True)
class Header:
    kind: int
    instance: int
    epoch: int


@dataclass(frozen=True)
class Hello:
    sample_rate: float
    host: str
    plugin: str


@dataclass(frozen=True)
class Transport:
    """The host's position: `qn` quarter notes from the song's start at host `frame`;
    `bar` 0-based and `bar_beat` the beats into it; tempo in beats (of `beat_unit`) a
    minute; `has_bbt` False when the host gives no musical time."""

    playing: bool
    has_bbt: bool
    why: int
    frame: int
    bar: int
    qn: float
    bar_beat: float
    bpm: float
    beats_per_bar: float
    beat_unit: float

    @property
    def qn_per_bar(self) -> float:
        return self.beats_per_bar * 4.0 / self.beat_unit


@dataclass(frozen=True)
class StyleSettings:
    """The style a plugin's settings ask for: the bridge's preset `slot`, or a random
    style drawn with `seed` when it is above 0; the peak threshold (0..1)."""

    slot: int
    seed: int
    threshold: float


@dataclass(frozen=True)
class StyleState:
    """A style as a project saves it: the settings that chose it (`slot`, `seed`,
    `threshold`), its `name`, the `model` it was made for (the bundle id's first 12 hex
    digits) and its `code`."""

    slot: int
    seed: int
    threshold: float
    name: str
    model: str
    code: tuple[float, ...]


@dataclass(frozen=True)
class Event:
    """A MIDI message (1-3 bytes) at `qn` quarter notes from the song's start."""

    qn: float
    message: tuple[int, ...]


def _header(kind: int, instance: int, epoch: int) -> bytes:
    return _HEADER.pack(MAGIC, VERSION, kind, instance, epoch)


def _event(event: Event) -> bytes:
    return _EVENT.pack(event.qn, len(event.message), bytes(event.message).ljust(3, b"\0"))


def _events(body: bytes, offset: int, count: int) -> list[Event]:
    if len(body) < offset + count * _EVENT.size:
        raise WireError(f"{count} events announced, {(len(body) - offset) // _EVENT.size} sent")
    events = []
    for i in range(count):
        qn, size, data = _EVENT.unpack_from(body, offset + i * _EVENT.size)
        if not 1 <= size <= 3:
            raise WireError(f"an event of {size} bytes")
        events.append(Event(qn, tuple(data[:size])))
    return events


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")


def _style_state(body: bytes) -> StyleState:
    slot, seed, threshold, name, model, size = _STYLE_STATE.unpack_from(body)
    if size > MAX_CODE or len(body) < _STYLE_STATE.size + 4 * size:
        raise WireError(f"a style code of {size} values, {(len(body) - _STYLE_STATE.size) // 4} sent")
    code = struct.unpack_from(f"<{size}f", body, _STYLE_STATE.size)
    return StyleState(slot, seed, threshold, _text(name), _text(model), code)


def decode(datagram: bytes) -> tuple[Header, Hello | Transport | StyleSettings | StyleState | list[Event] | None]:
    """A datagram's header and body (Hello, Transport, StyleSettings, StyleState, the
    events of NOTES or KICKS, or None for BYE); raises WireError for anything else."""
    if len(datagram) < _HEADER.size:
        raise WireError(f"{len(datagram)} bytes, shorter than a header")
    magic, version, kind, instance, epoch = _HEADER.unpack_from(datagram)
    if magic != MAGIC or version != VERSION:
        raise WireError(f"not a version-{VERSION} host-link message ({magic!r}, version {version})")
    header, body = Header(kind, instance, epoch), datagram[_HEADER.size:]
    try:
        if kind == HELLO:
            rate, _flags, host, plugin = _HELLO.unpack_from(body)
            return header, Hello(rate, _text(host), _text(plugin))
        if kind == TRANSPORT:
            playing, has_bbt, why, *rest = _TRANSPORT.unpack_from(body)
            return header, Transport(bool(playing), bool(has_bbt), why, *rest)
        if kind == NOTES:
            (count,) = _COUNT.unpack_from(body)
            return header, _events(body, _COUNT.size, count)
        if kind == KICKS:
            _from_qn, _to_qn, count = _WINDOW.unpack_from(body)
            return header, _events(body, _WINDOW.size, count)
        if kind == STYLE:
            return header, StyleSettings(*_STYLE.unpack_from(body))
        if kind in (SAVED_STYLE, STYLE_STATE):
            return header, _style_state(body)
        if kind == BYE:
            return header, None
    except struct.error as exc:
        raise WireError(f"message type {kind} cut short ({exc})") from None
    raise WireError(f"unknown message type {kind}")


def window_of(datagram: bytes) -> tuple[float, float]:
    """A KICKS message's [from_qn, to_qn)."""
    from_qn, to_qn, _ = _WINDOW.unpack_from(datagram, _HEADER.size)
    return from_qn, to_qn


def encode_kicks(instance: int, epoch: int, from_qn: float, to_qn: float, events: list[Event]) -> bytes:
    """KICKS: `events` replace what the plugin queued in [from_qn, to_qn)."""
    if len(events) > MAX_EVENTS:
        raise ValueError(f"{len(events)} events in one answer; at most {MAX_EVENTS}")
    return (_header(KICKS, instance, epoch) + _WINDOW.pack(from_qn, to_qn, len(events))
            + b"".join(_event(e) for e in events))


def encode_hello(instance: int, epoch: int, hello: Hello) -> bytes:
    return _header(HELLO, instance, epoch) + _HELLO.pack(hello.sample_rate, 0, hello.host.encode()[:31],
                                                         hello.plugin.encode()[:15])


def encode_transport(instance: int, epoch: int, t: Transport) -> bytes:
    return _header(TRANSPORT, instance, epoch) + _TRANSPORT.pack(
        t.playing, t.has_bbt, t.why, t.frame, t.bar, t.qn, t.bar_beat, t.bpm, t.beats_per_bar, t.beat_unit)


def encode_notes(instance: int, epoch: int, events: list[Event]) -> bytes:
    return _header(NOTES, instance, epoch) + _COUNT.pack(len(events)) + b"".join(_event(e) for e in events)


def encode_style(instance: int, epoch: int, style: StyleSettings) -> bytes:
    return _header(STYLE, instance, epoch) + _STYLE.pack(style.slot, style.seed, style.threshold)


def encode_style_state(kind: int, instance: int, epoch: int, state: StyleState) -> bytes:
    """SAVED_STYLE (plugin -> bridge) or STYLE_STATE (bridge -> plugin)."""
    if len(state.code) > MAX_CODE:
        raise ValueError(f"a style code of {len(state.code)} values; at most {MAX_CODE}")
    return (_header(kind, instance, epoch)
            + _STYLE_STATE.pack(state.slot, state.seed, state.threshold, state.name.encode()[:31],
                                state.model.encode()[:15], len(state.code))
            + struct.pack(f"<{len(state.code)}f", *state.code))


def encode_bye(instance: int, epoch: int) -> bytes:
    return _header(BYE, instance, epoch)
