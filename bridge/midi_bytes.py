"""Raw MIDI bytes to messages: running status, real-time bytes inside other messages,
SysEx skipped, stray data bytes dropped. Never raises."""

from __future__ import annotations

from collections.abc import Iterable

# data bytes that follow each status (high nibble for channel messages)
CHANNEL_DATA = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
SYSTEM_DATA = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0}
CLOCK, START, CONTINUE, STOP = 0xF8, 0xFA, 0xFB, 0xFC
SONG_POSITION = 0xF2


class MidiParser:
    """Feed bytes, get complete messages as tuples of ints (status first)."""

    def __init__(self) -> None:
        self.running: int | None = None
        self.pending: list[int] = []
        self.in_sysex = False

    def feed(self, data: Iterable[int]) -> list[tuple[int, ...]]:
        messages: list[tuple[int, ...]] = []
        for raw in data:
            byte = int(raw) & 0xFF
            if byte >= 0xF8:  # real-time: may appear anywhere, never breaks running status
                messages.append((byte,))
                continue
            if byte == 0xF0:
                self.in_sysex, self.running, self.pending = True, None, []
                continue
            if byte == 0xF7:
                self.in_sysex = False
                continue
            if byte & 0x80:
                self.in_sysex = False
                if byte >= 0xF0:  # system common: cancels running status
                    self.running = None
                    if SYSTEM_DATA.get(byte, -1) == 0:
                        messages.append((byte,))
                        self.pending = []
                    else:
                        self.pending = [byte] if byte in SYSTEM_DATA else []
                    continue
                self.running, self.pending = byte, [byte]
                continue
            if self.in_sysex:
                continue
            if not self.pending:
                if self.running is None:
                    continue  # a stray data byte
                self.pending = [self.running]
            self.pending.append(byte)
            status = self.pending[0]
            needed = SYSTEM_DATA[status] if status >= 0xF0 else CHANNEL_DATA[status & 0xF0]
            if len(self.pending) == needed + 1:
                messages.append(tuple(self.pending))
                self.pending = []
        return messages
