"""A private JACK server with the bridge, a clock (jack_midi_clock driven by
jack_transport), a clock-following player and a recorder (jack_midi_dump), wired up;
for the end-to-end test and benchmarks/bridge_jack.py. Everything it starts, it stops."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from typing_extensions import Self

HERE = Path(__file__).resolve().parent
RATE = 44100
TOOLS = ("jackd", "jack_midi_clock", "jack_midi_dump", "jack_transport", "jack_connect", "jack_lsp")
SERVER_SLOTS = 4
WIRING = (("mclk_out", "kickgen in"), ("mclk_out", "player in"), ("mclk_out", "dump:input"),
          ("player out", "kickgen in"), ("kickgen out", "dump:input"))


def tools_missing() -> bool:
    return any(shutil.which(t) is None for t in TOOLS)


def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return False


def parse_dump(text: str) -> list[tuple[int, tuple[int, ...]]]:
    """(frame, bytes) of every event jack_midi_dump -a printed."""
    events = []
    for line in text.splitlines():
        match = re.match(r"\s*(\d+):((?: [0-9a-f]{2})+)(?: |$)", line)
        if match:
            events.append((int(match.group(1)), tuple(int(b, 16) for b in match.group(2).split())))
    return events


def free_server_name() -> str:
    """A server name from a small fixed pool that no live jackd is using.

    JACK's shared registry holds at most 8 servers and reclaims a dead server's entry
    only when a server of the same name registers again, so fresh names per run (say,
    with a pid in them) fill it up after a few crashed runs ("Too many servers already
    active"); reused names never do.
    """
    for slot in range(SERVER_SLOTS):
        name = f"kickgen-e2e-{slot}"
        probe = subprocess.run(["jack_lsp"], env={**os.environ, "JACK_DEFAULT_SERVER": name,
                                                  "JACK_NO_START_SERVER": "1"}, capture_output=True)
        if probe.returncode != 0:
            return name
    raise RuntimeError(f"all {SERVER_SLOTS} kickgen-e2e JACK servers are busy")


class JackGraph:
    """A private JACK server (dummy driver, period 128) and the processes started in it;
    leaving the block stops every one of them."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {**os.environ, "JACK_DEFAULT_SERVER": free_server_name(), "JACK_NO_START_SERVER": "1"}
        self.running: list[subprocess.Popen] = []
        self.bridge: subprocess.Popen | None = None

    def _start(self, args, **kwargs) -> subprocess.Popen:
        process = subprocess.Popen(args, env=self.env, **kwargs)
        self.running.append(process)
        return process

    def ports(self) -> list[str]:
        result = subprocess.run(["jack_lsp"], env=self.env, capture_output=True, text=True)
        return result.stdout.splitlines() if result.returncode == 0 else []

    def port(self, suffix: str) -> str | None:
        return next((p for p in self.ports() if p.endswith(suffix)), None)

    def start_server(self, *, realtime: bool = False) -> None:
        """jackd with the dummy driver; `realtime` runs its graph (and every client's
        process thread) at real-time priority, as a DAW's JACK runs, where the system
        allows it. The default client timeout: with a long one (-t 10000) a client that
        misses a cycle stalls the dummy driver for good ("Driver is not running")."""
        scheduling = ["-R", "-P", "70"] if realtime else ["--no-realtime"]
        server = self._start(["jackd", "-n", self.env["JACK_DEFAULT_SERVER"], *scheduling, "-d", "dummy",
                              "-r", str(RATE), "-p", "128"],
                             stdout=subprocess.DEVNULL, stderr=(self.workdir / "jackd.log").open("w"))
        if not wait_for(lambda: bool(self.ports()) or server.poll() is not None):
            raise RuntimeError("jackd did not start")
        if server.poll() is not None:
            if realtime:  # the system refuses real-time priority: run as before
                return self.start_server(realtime=False)
            raise RuntimeError("jackd did not start")

    def start_bridge(self, args: list[str]) -> None:
        """The bridge on JACK with `args`, once it says it listens. One client at a time,
        each started once the one before has said it is ready (not by polling jack_lsp:
        every probe is a client joining the graph). A Python client's start-up (imports,
        model loading) competing with the graph on two cores is what makes the dummy
        driver's cycles overrun."""
        self.bridge = self._start([sys.executable, "-m", "kickgen.bridge.cli", "--api", "jack", "--quiet",
                                   "--log", str(self.log), *args], stderr=(self.workdir / "bridge.err").open("w"))
        self._await_line(self.workdir / "bridge.err", "listening on")

    def start_player(self, args: list[str] = ()) -> None:
        player_out = self.workdir / "player.out"
        self._start([sys.executable, str(HERE / "jack_player.py"), *args], stdout=player_out.open("w"))
        self._await_line(player_out, "ready")

    @property
    def log(self) -> Path:
        return self.workdir / "bridge.log"

    @property
    def dump(self) -> Path:
        return self.workdir / "dump.txt"

    def start_recorder(self) -> None:
        self._start(["jack_midi_dump", "-a", "dump"], stdout=self.dump.open("w"), stderr=subprocess.DEVNULL)

    def _await_line(self, path: Path, text: str) -> None:
        if not wait_for(lambda: path.exists() and text in path.read_text(), timeout_s=60):
            raise RuntimeError(f"{path.name} never said {text!r}; bridge: {self.bridge_error()}")

    def bridge_error(self) -> str:
        return (self.workdir / "bridge.err").read_text() if (self.workdir / "bridge.err").exists() else ""

    def stop_all(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def __exit__(self, *exc) -> None:
        self.stop_all()
        for leftover in Path("/dev/shm").glob(f"jack_sem.*{self.env['JACK_DEFAULT_SERVER']}*"):
            leftover.unlink(missing_ok=True)  # jackd leaves its semaphores behind

    def recorder_overruns(self) -> int:
        """Process cycles in which the recorder (jack_midi_dump) had not finished, from
        jackd's log: a handful in a normal run, over a thousand when the shared machine
        starves it, and then its frame stamps can lose a clock tick unnoticed."""
        return (self.workdir / "jackd.log").read_text(errors="replace").count("client = dump was not finished")


class JackSession(JackGraph):
    """The bridge between jack_midi_clock (driven by jack_transport: the DAW's clock), the
    clock-following player and the recorder."""

    def __init__(self, workdir: Path, *, bridge_args: list[str] = (), bpm: float = 120.0) -> None:
        super().__init__(workdir)
        self.bridge_args, self.bpm = list(bridge_args), bpm

    def transport(self, command: str) -> None:
        subprocess.run(["jack_transport"], input=f"{command}\nquit\n", env=self.env, capture_output=True,
                       text=True, timeout=10)

    def __enter__(self) -> Self:
        try:
            self.start_server()
            self.start_bridge(self.bridge_args)
            self.start_player()
            self.start_recorder()
            self._start(["jack_midi_clock", "-b", f"{self.bpm:g}"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
            needed = {s for pair in WIRING for s in pair}
            if not wait_for(lambda: all(self.port(s) for s in needed), timeout_s=60, interval_s=0.5):
                raise RuntimeError(f"ports missing: {self.ports()}; bridge: {self.bridge_error()}")
            for source, target in WIRING:
                subprocess.run(["jack_connect", self.port(source), self.port(target)], env=self.env, check=True)
            return self
        except BaseException:
            self.stop_all()
            raise

    def play(self, seconds: float) -> None:
        self.transport("locate 0")
        self.transport("play")
        time.sleep(seconds)
        self.transport("stop")
        time.sleep(1.0)

    def kick_timing(self) -> tuple[np.ndarray, np.ndarray, list[tuple[int, tuple[int, ...]]]]:
        """Kick arrival positions (clock ticks from Start, from the recorder's frames),
        the bridge's target positions (from its log), and all recorded events.

        A kick's position is interpolated between the frames of the clock ticks around
        it, so that the recorder's frame count need not keep pace with the wall clock
        that the bridge schedules by (the dummy driver's falls behind in an xrun)."""
        events = parse_dump(self.dump.read_text())
        start = next(frame for frame, message in events if message == (0xFA,))
        clocks = np.array([f for f, m in events if m == (0xF8,) and f >= start], float)
        kicks = np.array([f for f, m in events if m[:2] == (0x99, 36) and m[2] > 0], float)
        # each interval counts its ticks (two where the recorder lost one); numbering by
        # (frame - first frame) / median interval instead would drift, since the true
        # interval is fractional (459.375 frames at 240 bpm) and the median is not
        interval = np.median(np.diff(clocks))
        tick_numbers = np.concatenate([[0.0], np.cumsum(np.maximum(1, np.round(np.diff(clocks) / interval)))])
        positions = np.interp(kicks, clocks, tick_numbers)
        before, after = kicks < clocks[0], kicks > clocks[-1]  # placed by the interval from the end tick
        positions[before] = (kicks[before] - clocks[0]) / interval
        positions[after] = tick_numbers[-1] + (kicks[after] - clocks[-1]) / interval
        targets = np.array([float(line.split("@")[1]) for line in self.log.read_text().splitlines() if "@" in line])
        return positions, targets, events

    def tick_seconds(self, events) -> float:
        clocks = np.array([f for f, m in events if m == (0xF8,)], float)
        return float(np.median(np.diff(clocks)) / RATE)
