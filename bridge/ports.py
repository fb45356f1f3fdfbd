"""MIDI ports through python-rtmidi (the one module that imports it): virtual ports
named "kickgen in" / "kickgen out" where the platform has them (ALSA, JACK, CoreMIDI),
or existing ports by name (Windows with loopMIDI, or any host's ports)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import rtmidi

from kickgen.engine.errors import KickgenError

APIS = {
    "auto": rtmidi.API_UNSPECIFIED,
    "jack": rtmidi.API_UNIX_JACK,
    "alsa": rtmidi.API_LINUX_ALSA,
    "coremidi": rtmidi.API_MACOSX_CORE,
    "windows": rtmidi.API_WINDOWS_MM,
}
CLIENT_NAME = "kickgen"
MAX_BEHIND_S = 1.0  # how far behind the monotonic clock an event's own time may fall
POLL_S = 0.0005  # the input reader's sleep between empty polls


class PortError(KickgenError):
    """A MIDI port or API cannot be opened."""


def _api(name: str) -> int:
    """The rtmidi API for `name`; "auto" takes the first compiled API whose MIDI system
    opens (on Linux ALSA's sequencer, else a running JACK server)."""
    compiled = rtmidi.get_compiled_api()
    if name != "auto":
        if APIS[name] not in compiled:
            built = ", ".join(k for k, v in APIS.items() if v in compiled)
            raise PortError(f"--api {name}: this python-rtmidi was built without it (built with: {built})")
        return APIS[name]
    for api in compiled:
        try:
            rtmidi.MidiIn(api, name=f"{CLIENT_NAME}-probe").delete()
        except rtmidi.SystemError:
            continue
        return api
    raise PortError("no MIDI system could be opened (no ALSA sequencer, no JACK server running)")


def _open(kind, api: int, name: str | None, virtual: str, label: str):
    try:
        port = kind(api, name=CLIENT_NAME)
    except rtmidi.SystemError as exc:
        raise PortError(f"cannot open the MIDI system ({exc}); is the JACK server running? (try --api)") from None
    if name is None:
        try:
            port.open_virtual_port(virtual)
        except (rtmidi.NoDevicesError, NotImplementedError, rtmidi.SystemError) as exc:
            raise PortError(f"this MIDI system has no virtual ports ({exc}); name a port with --{label}") from None
        return port
    ports = port.get_ports()
    matches = [i for i, p in enumerate(ports) if name.lower() in p.lower()]
    if not matches:
        raise PortError(f"--{label} {name!r}: no such port (ports: {', '.join(ports) or 'none'})")
    port.open_port(matches[0])
    return port


class EventStamps:
    """Monotonic times for incoming events from the MIDI system's delta times.

    An event is read some time after it came, never before: of all the events so far,
    the one read soonest after its arrival tells best where the deltas' timeline lies
    (`anchor`: the monotonic time of the first event). Each event's time is that anchor
    plus its deltas, however late the reader polls: a reader held up for 60 ms must not
    move the clock ticks it then finds (the bridge would read a steady clock as two lost
    ticks and shift the song, seen under Ardour), and a first event read late must not
    make every later one late. Deltas that put an event more than `MAX_BEHIND_S` behind
    the moment it is read went wrong; the anchor then starts again."""

    def __init__(self) -> None:
        self.anchor: float | None = None
        self.elapsed = 0.0  # the deltas' sum since the first event, s

    def stamp(self, delta_s: float, now: float) -> float:
        if self.anchor is not None:
            self.elapsed += delta_s
        read_at_once = now - self.elapsed
        if self.anchor is None or read_at_once < self.anchor or read_at_once - self.anchor > MAX_BEHIND_S:
            self.anchor = read_at_once
        return self.anchor + self.elapsed


class MidiPorts:
    """An input (its messages go to `on_message(bytes, monotonic seconds)`) and an output."""

    def __init__(self, *, api: str = "auto", in_name: str | None = None, out_name: str | None = None,
                 virtual_prefix: str = CLIENT_NAME) -> None:
        api_id = _api(api)
        self.midi_in = _open(rtmidi.MidiIn, api_id, in_name, f"{virtual_prefix} in", "in")
        self.midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
        self.midi_out = _open(rtmidi.MidiOut, api_id, out_name, f"{virtual_prefix} out", "out")
        self._closing = threading.Event()
        self._reader: threading.Thread | None = None

    def listen(self, on_message: Callable[[list[int], float], None]) -> None:
        """Call `on_message(bytes, time)` for every message, from a reader thread.

        The reader polls rtmidi's queue rather than taking its callback: with JACK the
        callback would run Python (and wait for the GIL) inside the server's process
        cycle, and a cycle held up by a busy Python thread is an xrun for the whole
        graph. Times follow the MIDI system's own spacing of events (rtmidi's delta
        times, taken when the driver received them), anchored to time.monotonic(), so
        that a late poll does not squeeze a burst of clock ticks together (`EventStamps`)."""
        self._reader = threading.Thread(target=self._read, args=(on_message,), name="kickgen-midi-in", daemon=True)
        self._reader.start()

    def _read(self, on_message: Callable[[list[int], float], None]) -> None:
        stamps = EventStamps()
        while not self._closing.is_set():
            event = self.midi_in.get_message()
            if event is None:
                time.sleep(POLL_S)
                continue
            message, delta_s = event
            on_message(message, stamps.stamp(delta_s, time.monotonic()))

    def send(self, message: tuple[int, ...]) -> None:
        self.midi_out.send_message(list(message))

    def close(self) -> None:
        self._closing.set()
        if self._reader is not None:
            self._reader.join(timeout=1.0)
        self.midi_in.close_port()
        self.midi_out.close_port()


def list_ports(api: str = "auto") -> str:
    """The input and output ports the API sees, one per line."""
    api_id = _api(api)
    try:
        inputs = rtmidi.MidiIn(api_id, name=f"{CLIENT_NAME}-list").get_ports()
        outputs = rtmidi.MidiOut(api_id, name=f"{CLIENT_NAME}-list").get_ports()
    except rtmidi.SystemError as exc:
        raise PortError(f"cannot open the MIDI system ({exc}); is the JACK server running? (try --api)") from None
    lines = [f"MIDI API: {rtmidi.get_api_display_name(api_id)}", "inputs (--in):"]
    lines += [f"  {p}" for p in inputs] or ["  (none)"]
    lines += ["outputs (--out):"] + ([f"  {p}" for p in outputs] or ["  (none)"])
    return "\n".join(lines)
