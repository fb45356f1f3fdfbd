"""The real-time layer around `BridgeCore`: MIDI input on rtmidi's thread, a sender thread
that wakes for every due message (monotonic clock), and a generation thread so that
the sender never waits for the decoder. One lock guards the core; every path out
(stop, clock loss, panic, SIGINT/SIGTERM, exit) ends with the core's all-notes-off."""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from kickgen.bridge.core import BridgeCore, Sent
from kickgen.bridge.generator import GenerationRequest, Kick

IDLE_WAKE_S = 0.005  # the sender checks for a lost clock at least this often
SPIN_S = 0.0005  # the last stretch before a due time is waited out by spinning
TIMING_RECORD = 10_000  # the send errors kept for the statistics (the latest ones)


@dataclass
class Stats:
    generations: int = 0
    last_generation_ms: float = 0.0
    send_errors_ms: deque[float] | None = None  # (sent - due) per kick, the latest ones, when recorded


class BridgeRunner:
    def __init__(self, core: BridgeCore, generate: Callable[[GenerationRequest], list[Kick]],
                 send: Callable[[tuple[int, ...], float | None], None], *, record_timing: bool = False) -> None:
        """`send(message, position)` sends one message; `position` is a kick's target
        position in clock ticks (None for other messages)."""
        self.core, self.generate, self._send = core, generate, send
        self.lock = threading.Lock()
        self.work: queue.Queue[GenerationRequest | None] = queue.Queue()
        self.stop_event = threading.Event()
        self.stats = Stats(send_errors_ms=deque(maxlen=TIMING_RECORD) if record_timing else None)
        self.threads = [threading.Thread(target=self._guarded(self._sender), name="kickgen-sender", daemon=True),
                        threading.Thread(target=self._guarded(self._generator), name="kickgen-generator",
                                         daemon=True)]
        self.closed = False
        self.failed = threading.Event()  # set when a thread died; `failure` says which and why
        self.failure = ""

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def on_message(self, data: list[int], time_s: float) -> None:
        """From the MIDI input thread."""
        with self.lock:
            self._emit(self.core.receive(time_s, data))
            self._queue_requests()

    def _queue_requests(self) -> None:
        for request in self.core.take_requests():
            self.work.put(request)

    def _emit(self, sent: list[Sent]) -> None:
        for item in sent:
            is_kick = item.message[0] & 0xF0 == 0x90 and item.message[2] > 0
            self._send(item.message, self.core.last_sent_position if is_kick else None)
            if self.stats.send_errors_ms is not None and is_kick:
                due = self.core.clock.time_of(self.core.last_sent_position)
                if due is not None:
                    self.stats.send_errors_ms.append((time.monotonic() - due) * 1000)

    def _sender(self) -> None:
        while not self.stop_event.is_set():
            with self.lock:
                due = self.core.next_due()
            now = time.monotonic()
            wake = now + IDLE_WAKE_S if due is None else min(due, now + IDLE_WAKE_S)
            if wake - now > SPIN_S:
                time.sleep(wake - now - SPIN_S)
            while time.monotonic() < wake:
                pass
            with self.lock:
                self._emit(self.core.advance(time.monotonic()))
                self._queue_requests()

    def _generator(self) -> None:
        while True:
            request = self.work.get()
            if request is None:
                return
            started = time.perf_counter()
            kicks = self.generate(request)
            elapsed_ms = (time.perf_counter() - started) * 1000
            with self.lock:
                self.stats.generations += 1
                self.stats.last_generation_ms = elapsed_ms
                self._emit(self.core.commit(request, kicks, time.monotonic()))

    def _guarded(self, body: Callable[[], None]) -> Callable[[], None]:
        """`body` for a thread: should it raise, the cause is kept in `failure`, every
        sounding note is silenced (note-offs, then All Notes Off) and `failed` is set, so
        that the bridge stops and says why instead of going quiet."""

        def run() -> None:
            try:
                body()
            except Exception as exc:  # noqa: BLE001 (a thread must never die silently with notes sounding)
                self.failure = f"the {threading.current_thread().name} thread failed: {type(exc).__name__}: {exc}"
                self.stop_event.set()
                try:
                    with self.lock:
                        self._emit(self.core.shutdown(time.monotonic()))
                finally:
                    self.failed.set()

        return run

    def close(self) -> None:
        """Silence every note and stop the threads (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.stop_event.set()
        self.work.put(None)
        with self.lock:
            self._emit(self.core.shutdown(time.monotonic()))
        for thread in self.threads:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=1.0)
